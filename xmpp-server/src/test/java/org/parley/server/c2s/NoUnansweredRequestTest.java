package org.parley.server.c2s;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.apache.vysper.xmpp.modules.DefaultModule;
import org.apache.vysper.xmpp.protocol.HandlerDictionary;
import org.apache.vysper.xmpp.protocol.NamespaceHandlerDictionary;
import org.apache.vysper.xmpp.modules.core.base.handler.DefaultIQHandler;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.stanza.IQStanza;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * RFC 6120 §8.2.3 / §8.3: every IQ request gets an answer. A module whose handler throws must produce
 * {@code internal-server-error}, not the silence Vysper 0.7 leaves (the client would hang until its timeout).
 */
class NoUnansweredRequestTest {

    static final String BROKEN_NS = "urn:parley:test:broken";

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice");

    /** A module whose only handler fails on every request, as a buggy extension would. */
    static final class BrokenModule extends DefaultModule {
        @Override
        public String getName() {
            return "broken test module";
        }

        @Override
        public String getVersion() {
            return "0";
        }

        @Override
        protected void addHandlerDictionaries(List<HandlerDictionary> dictionaries) {
            dictionaries.add(new NamespaceHandlerDictionary(BROKEN_NS, new DefaultIQHandler() {
                @Override
                protected boolean verifyNamespace(Stanza stanza) {
                    return verifyInnerNamespace(stanza, BROKEN_NS);
                }

                @Override
                protected Stanza handleGet(IQStanza stanza, ServerRuntimeContext runtime, SessionContext session) {
                    throw new IllegalStateException("deliberately broken");
                }
            }));
        }
    }

    @BeforeAll
    static void install() {
        server.server().addModule(new BrokenModule());
    }

    @Test
    void rfc6120_8_3_aHandlerThatThrowsYieldsInternalServerError() throws Exception {
        try (RawClient client = RawClient.loggedIn(server, "alice")) {
            String reply = client.send("<iq type='get' id='boom' to='localhost'><q xmlns='" + BROKEN_NS + "'/></iq>")
                    .await("id=\"boom\"");
            String rest = client.await("</iq>");
            assertTrue(rest.contains("internal-server-error"), rest);
            // The session survives and keeps answering.
            client.clear();
            client.send("<iq type='get' id='ping' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
            assertTrue(client.await("id=\"ping\"").contains("result"));
            assertTrue(reply.contains("type=\"error\""), reply);
        }
    }
}
