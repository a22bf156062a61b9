package org.parley.server.component;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jivesoftware.smack.StanzaCollector;
import org.jivesoftware.smack.filter.AndFilter;
import org.jivesoftware.smack.filter.FromMatchesFilter;
import org.jivesoftware.smack.filter.MessageTypeFilter;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.MessageBuilder;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.disco.ServiceDiscoveryManager;
import org.jivesoftware.smackx.disco.packet.DiscoverItems;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.Jid;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.config.ServerSettings;
import org.parley.server.testing.TestServer;

/** XEP-0114 (Jabber Component Protocol) over real sockets: a raw component, Smack users. */
class ExternalComponentTest {

    @RegisterExtension
    static final TestServer server = TestServer.withSettings(s -> s.withComponents(new ServerSettings.Components(0,
            "127.0.0.1", Map.of("component", "s3cret", "spoof", "s3cret", "dup", "s3cret", "gone", "s3cret",
                    "wrong", "s3cret"))), "alice");
    static XMPPTCPConnection alice;

    @BeforeAll
    static void login() throws Exception {
        alice = server.login("alice");
    }

    @AfterAll
    static void logout() {
        alice.disconnect();
    }

    @Test
    void xep0114_3_handshakeThenStanzasBothWaysAndListedInDisco() throws Exception {
        try (RawComponent component = RawComponent.connect("component.localhost")) {
            component.handshake("s3cret");
            component.await("<handshake/>");

            DiscoverItems items = ServiceDiscoveryManager.getInstanceFor(alice)
                    .discoverItems(JidCreate.from(TestServer.DOMAIN));
            assertTrue(items.getItems().stream().anyMatch(i -> i.getEntityID().toString().equals("component.localhost")),
                    items.toXML().toString());

            Jid echo = JidCreate.from("echo@component.localhost");
            StanzaCollector replies = alice.createStanzaCollector(new AndFilter(MessageTypeFilter.CHAT,
                    FromMatchesFilter.createFull(echo)));
            alice.sendStanza(MessageBuilder.buildMessage().to(echo).ofType(Message.Type.chat).setBody("hello")
                    .build());
            String received = component.await("</message>");
            // The component sees the user's full JID as 'from' (XEP-0114 §3: the server stamps it).
            assertTrue(received.contains("from=\"" + alice.getUser() + "\"")
                    || received.contains("from='" + alice.getUser() + "'"), received);
            assertTrue(received.contains("<body>hello</body>"), received);
            assertFalse(received.contains("jabber:client"), "content namespace is jabber:component:accept: "
                    + received);

            component.send("<message from='echo@component.localhost' to='" + alice.getUser()
                    + "' type='chat'><body>echo: hello</body></message>");
            Message reply = replies.nextResultOrThrow(10_000);
            assertEquals("echo: hello", reply.getBody());
            replies.cancel();

            // The server's own handlers are for client sessions: a request to the server is refused, not ignored.
            component.send("<iq type='get' id='p1' from='component.localhost' to='localhost'>"
                    + "<ping xmlns='urn:xmpp:ping'/></iq>");
            String refused = component.await("</iq>");
            assertTrue(refused.contains("type=\"error\"") || refused.contains("type='error'"), refused);
            assertTrue(refused.contains("service-unavailable"), refused);
        }
    }

    @Test
    void xep0114_3_wrongSecretIsNotAuthorizedAndClosed() throws Exception {
        try (RawComponent component = RawComponent.connect("wrong.localhost")) {
            component.handshake("not-the-secret");
            String end = component.awaitEnd();
            assertTrue(end.contains("<stream:error") && end.contains("<not-authorized"), end);
            assertFalse(end.contains("<handshake/>"), end);
        }
    }

    @Test
    void xep0114_3_unknownComponentNameIsHostUnknown() throws Exception {
        try (RawComponent component = RawComponent.connect("nobody.localhost")) {
            String end = component.awaitEnd();
            assertTrue(end.contains("<host-unknown"), end);
        }
    }

    @Test
    void rfc6120_4_9_3_9_spoofedFromIsInvalidFrom() throws Exception {
        try (RawComponent component = RawComponent.connect("spoof.localhost")) {
            component.handshake("s3cret");
            component.await("<handshake/>");
            component.send("<message from='admin@localhost' to='" + alice.getUser() + "'><body>x</body></message>");
            String end = component.awaitEnd();
            assertTrue(end.contains("<invalid-from"), end);
        }
    }

    @Test
    void xep0114_3_secondConnectionForTheSameNameIsConflict() throws Exception {
        try (RawComponent first = RawComponent.connect("dup.localhost")) {
            first.handshake("s3cret");
            first.await("<handshake/>");
            try (RawComponent second = RawComponent.connect("dup.localhost")) {
                second.handshake("s3cret");
                String end = second.awaitEnd();
                assertTrue(end.contains("<conflict"), end);
            }
            // The first one keeps the name and still works.
            StanzaCollector messages = alice.createStanzaCollector(FromMatchesFilter.createFull(
                    JidCreate.from("bot@dup.localhost")));
            first.send("<message from='bot@dup.localhost' to='" + alice.getUser() + "'><body>still here</body></message>");
            Message still = messages.nextResultOrThrow(10_000);
            assertEquals("still here", still.getBody());
            messages.cancel();
        }
    }

    @Test
    void xep0114_afterTheComponentLeavesStanzasToItAreAnsweredWithAnError() throws Exception {
        try (RawComponent component = RawComponent.connect("gone.localhost")) {
            component.handshake("s3cret");
            component.await("<handshake/>");
            component.send("</stream:stream>");
            component.awaitEnd();
        }
        Jid gone = JidCreate.from("bot@gone.localhost");
        StanzaCollector errors = alice.createStanzaCollector(new AndFilter(MessageTypeFilter.ERROR,
                FromMatchesFilter.createBare(gone)));
        alice.sendStanza(MessageBuilder.buildMessage().to(gone).ofType(Message.Type.chat).setBody("anyone?").build());
        Message error = errors.nextResult(10_000);
        assertNotNull(error, "an error reply within 10 s");
        assertEquals(StanzaError.Condition.service_unavailable, error.getError().getCondition());
        errors.cancel();
        DiscoverItems items = ServiceDiscoveryManager.getInstanceFor(alice)
                .discoverItems(JidCreate.from(TestServer.DOMAIN));
        assertFalse(items.getItems().stream().anyMatch(i -> i.getEntityID().toString().equals("gone.localhost")),
                items.toXML().toString());
    }

    /** A component written by hand: XEP-0114 §3 over a plain socket, reading with timeouts. */
    static final class RawComponent implements AutoCloseable {
        private static final Pattern ID = Pattern.compile("<stream:stream[^>]*\\sid=['\"]([^'\"]+)['\"]");
        private final Socket socket;
        private final InputStream in;
        private final StringBuilder received = new StringBuilder();
        private int consumed;
        private String streamId;

        private RawComponent(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            socket.setSoTimeout(200);
        }

        static RawComponent connect(String name) throws IOException {
            return connect(server, name);
        }

        static RawComponent connect(TestServer to, String name) throws IOException {
            RawComponent c = new RawComponent(new Socket("127.0.0.1", to.server().componentsPort()));
            c.send("<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams'"
                    + " to='" + name + "'>");
            return c;
        }

        void handshake(String secret) throws IOException {
            String header = await("<stream:stream[^>]*>");
            Matcher m = ID.matcher(header);
            assertTrue(m.find(), header);
            streamId = m.group(1);
            send("<handshake>" + ComponentConnection.sha1Hex(streamId + secret) + "</handshake>");
        }

        void send(String xml) throws IOException {
            socket.getOutputStream().write(xml.getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
        }

        /** Everything received after the last match up to the end of the next match of {@code regex}. */
        String await(String regex) throws IOException {
            Pattern p = Pattern.compile(regex);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (true) {
                Matcher m = p.matcher(received);
                if (m.find(consumed)) {
                    String part = received.substring(consumed, m.end());
                    consumed = m.end();
                    return part;
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no " + regex + " within 10 s; received: " + received);
                }
                if (!readSome()) {
                    throw new AssertionError("closed before " + regex + "; received: " + received);
                }
            }
        }

        /** Reads until the server closes the connection; everything not yet consumed. */
        String awaitEnd() throws IOException {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (readSome()) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("not closed within 10 s; received: " + received);
                }
            }
            String rest = received.substring(consumed);
            assertNotNull(rest);
            assertTrue(rest.contains("</stream:stream>"), "closing tag expected: " + rest);
            return rest;
        }

        /** False at end of stream. */
        private boolean readSome() throws IOException {
            byte[] buf = new byte[8192];
            try {
                int n = in.read(buf);
                if (n < 0) {
                    return false;
                }
                received.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            } catch (SocketTimeoutException e) {
                // nothing yet
            }
            return true;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
