package org.parley.server.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.Executors;

import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.protocol.SessionStateHolder;
import org.apache.vysper.xmpp.server.DefaultServerRuntimeContext;
import org.apache.vysper.xmpp.server.ServerFeatures;
import org.apache.vysper.xmpp.state.resourcebinding.ResourceRegistry;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.ping.PingManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.session.ParleySession;
import org.parley.server.session.StreamTransport;
import org.parley.server.testing.TestServer;

/**
 * RFC 6120 §7.7 lets two accounts bind the same resource name. Vysper's handlers look resources up by that
 * name alone; Parley passes the account explicitly (the session's runtime is scoped to it) and treats an
 * unscoped look-up that two accounts could answer as an error, never a guess.
 */
class ResourceScopeTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice", "bob", "carol");

    @Test
    void anUnscopedLookupOfASharedResourceIsAnErrorAndAScopedOneIsExact() {
        SessionRegistry registry = new SessionRegistry();
        DefaultServerRuntimeContext runtime = new DefaultServerRuntimeContext(EntityImpl.parseUnchecked("localhost"),
                null, new ServerFeatures(), List.of(), registry);
        ParleySession alice = session(runtime, "alice@localhost");
        ParleySession bob = session(runtime, "bob@localhost");
        registry.bind(alice, "laptop");
        assertSame(alice, registry.getSessionContext("laptop"), "one account with the resource: no ambiguity");
        registry.bind(bob, "laptop");

        var error = assertThrows(SessionRegistry.AmbiguousResourceException.class,
                () -> registry.getSessionContext("laptop"));
        assertTrue(error.getMessage().contains("'laptop' is bound by 2 accounts"), error.getMessage());
        assertThrows(SessionRegistry.AmbiguousResourceException.class, () -> registry.setResourcePriority("laptop", 3));

        ResourceRegistry asAlice = alice.getServerRuntimeContext().getResourceRegistry();
        ResourceRegistry asBob = bob.getServerRuntimeContext().getResourceRegistry();
        assertSame(alice, asAlice.getSessionContext("laptop"));
        assertSame(bob, asBob.getSessionContext("laptop"));
        asBob.setResourcePriority("laptop", -1);
        assertEquals(-1, registry.bindingOf(bob).orElseThrow().priority());
        assertEquals(0, registry.bindingOf(alice).orElseThrow().priority(), "alice's binding untouched");
        assertEquals(null, asAlice.getSessionContext("phone"), "another account's resource is not found");
    }

    /**
     * End to end through Vysper's presence handler: bob's negative priority lands on bob's binding, not on
     * alice's same-named one, so a message to bob's bare JID is stored offline (RFC 6121 §8.5.2.1.1) while
     * one to alice's bare JID reaches alice's "laptop".
     */
    @Test
    void rfc6121_8_5_2_priorityOfASharedResourceNameStaysWithItsAccount() throws Exception {
        XMPPTCPConnection alice = server.login("alice", "laptop");
        XMPPTCPConnection bob = server.login("bob", "laptop");
        XMPPTCPConnection carol = server.login("carol", "desk");
        try {
            var aliceInbox = new java.util.concurrent.LinkedBlockingQueue<String>();
            alice.addSyncStanzaListener(s -> aliceInbox.add(((org.jivesoftware.smack.packet.Message) s).getBody()),
                    s -> s instanceof org.jivesoftware.smack.packet.Message m && m.getBody() != null);
            alice.sendStanza(alice.getStanzaFactory().buildPresenceStanza().setPriority(1).build());
            bob.sendStanza(bob.getStanzaFactory().buildPresenceStanza().setPriority(-1).build());
            // A round trip after each presence: each session processes in order, so both are applied.
            assertTrue(PingManager.getInstanceFor(alice).pingMyServer());
            assertTrue(PingManager.getInstanceFor(bob).pingMyServer());

            carol.sendStanza(carol.getStanzaFactory().buildMessageStanza().to(JidCreate.entityBareFrom("bob@localhost"))
                    .setBody("for bob, offline").build());
            carol.sendStanza(carol.getStanzaFactory().buildMessageStanza().to(JidCreate.entityBareFrom("alice@localhost"))
                    .setBody("for alice").build());
            assertTrue(PingManager.getInstanceFor(carol).pingMyServer());
            assertEquals("for alice", aliceInbox.poll(10, java.util.concurrent.TimeUnit.SECONDS));
        } finally {
            alice.disconnect();
            bob.disconnect();
            carol.disconnect();
        }
        assertEquals(List.of("for bob, offline"), server.messagesOnLogin("bob", 1));
    }

    private static ParleySession session(DefaultServerRuntimeContext runtime, String user) {
        ParleySession session = new ParleySession(runtime, new SessionStateHolder(), new NullTransport(),
                new SerialExecutor(Executors.newSingleThreadExecutor()));
        session.setInitiatingEntity(EntityImpl.parseUnchecked(user));
        return session;
    }

    /** A transport that drops what is sent: these sessions never write. */
    private static final class NullTransport implements StreamTransport {
        @Override
        public void send(String xml) {
        }

        @Override
        public void close() {
        }

        @Override
        public boolean isSecure() {
            return true;
        }

        @Override
        public boolean canStartTls() {
            return false;
        }

        @Override
        public void startTls(String proceed) {
        }

        @Override
        public String remoteAddress() {
            return "127.0.0.1";
        }
    }

}
