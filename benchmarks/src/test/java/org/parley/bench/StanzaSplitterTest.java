package org.parley.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The load generator's stanza cutter: the only parsing between the servers' bytes and the figures. */
class StanzaSplitterTest {

    @Test
    void cutsTopLevelElementsOfAStreamFedInArbitraryPieces() {
        String stream = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' id='a>b' version='1.0'>"
                + "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>"
                + " <message to='x' note=\"1 > 0\"><body>t=123</body></message>\n<presence/>"
                + "<iq type='result' id='r'><query xmlns='jabber:iq:roster'><item jid='a@b'/></query></iq></stream:stream>";
        for (int piece = 1; piece <= 7; piece++) {
            StanzaSplitter s = new StanzaSplitter();
            List<String> out = new ArrayList<>();
            for (int i = 0; i < stream.length(); i += piece) {
                out.addAll(s.feed(stream.substring(i, Math.min(stream.length(), i + piece))));
            }
            assertEquals(4, out.size(), "piece size " + piece + ": " + out);
            assertTrue(out.get(0).startsWith("<stream:features>") && out.get(0).endsWith("</stream:features>"));
            assertEquals("<message to='x' note=\"1 > 0\"><body>t=123</body></message>", out.get(1));
            assertEquals("<presence/>", out.get(2));
            assertTrue(s.closed());
            assertEquals("a>b", StanzaSplitter.attr(s.header(), "id"));
        }
    }

    @Test
    void readsBoshBodiesAndHelpers() {
        StanzaSplitter s = new StanzaSplitter();
        List<String> out = s.feed("<body sid='s1' xmlns='http://jabber.org/protocol/httpbind'><success xmlns='x'>dj0x</success></body>");
        assertEquals(List.of("<success xmlns='x'>dj0x</success>"), out);
        assertEquals("s1", StanzaSplitter.attr(s.header(), "sid"));
        assertEquals("dj0x", StanzaSplitter.text(out.get(0), "success"));
        assertEquals("", StanzaSplitter.text("<success xmlns='x'/>", "success"));
        assertNull(StanzaSplitter.attr("<iq id='1'><x type='y'/></iq>", "type"), "only the first tag's attributes");
        StanzaSplitter empty = new StanzaSplitter();
        assertEquals(List.of(), empty.feed("<body type='terminate' xmlns='http://jabber.org/protocol/httpbind'/>"));
        assertEquals("terminate", StanzaSplitter.attr(empty.header(), "type"));
    }
}
