package org.parley.server.abuse;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.sm.StreamManagement;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * XEP-0198 §4: a client whose unacknowledged queue outgrows its bound is asked for an acknowledgement before
 * anything else happens. Small stanzas reach the count bound ({@link StreamManagement#MAX_UNACKED}) long before
 * the byte bound; the server used to drop such a client at once, without ever sending {@code <r/>} (found by the
 * cluster benchmark, whose ping client was dropped after ~10 000 stanzas).
 */
class AckRequestTest {

    // The stanza and read rates lifted: the burst below is the client's own, sent as fast as it can.
    @RegisterExtension
    static final TestServer server = TestServer.withSettings(GuardTweak.of(g -> {
        g.stanzaRate = 1_000_000;
        g.stanzaBurst = 10_000_000;
        g.readRate = 1 << 30;
    }), "romeo");

    @Test
    void xep0198_4_aBurstOfSmallStanzasPastTheCountBoundIsAnsweredWithAnAckRequestNotADrop() throws Exception {
        int n = StreamManagement.MAX_UNACKED + 50;
        try (RawClient raw = RawClient.loggedIn(server, "romeo")) {
            raw.send("<enable xmlns='urn:xmpp:sm:3'/>").await("</enabled>");
            raw.clear();
            StringBuilder burst = new StringBuilder();
            for (int i = 0; i < n; i++) {
                // Each answered with a small result: n stanzas to the client, none acknowledged yet.
                burst.append("<iq type='get' id='q").append(i).append("'><ping xmlns='urn:xmpp:ping'/></iq>");
            }
            raw.send(burst.toString());
            String seen = raw.await("id=\"q" + (n - 1) + "\"", Duration.ofSeconds(120));
            assertTrue(seen.contains("<r xmlns=\"urn:xmpp:sm:3\""), "asked for an acknowledgement past "
                    + StreamManagement.MAX_UNACKED + " unacknowledged stanzas");
            // Still connected: acknowledging everything and pinging once more works.
            raw.send("<a xmlns='urn:xmpp:sm:3' h='" + n + "'/><iq type='get' id='after'><ping xmlns='urn:xmpp:ping'/></iq>");
            raw.await("id=\"after\"", Duration.ofSeconds(30));
            assertFalse(raw.received().contains("</stream:stream>"), "the stream was not closed");
        }
    }
}
