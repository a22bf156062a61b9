package org.parley.gateway.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.AbstractXMPPConnection;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.jivesoftware.smackx.muc.ParticipantStatusListener;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.jxmpp.jid.EntityFullJid;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;
import org.parley.gateway.testing.TestGateway;
import org.parley.server.testing.TestServer;

/**
 * Interoperability with a browser XMPP library nobody on the team wrote: Strophe.js 5.0.0 (MIT, vendored
 * unmodified in {@code src/test/resources/vendor/strophe/} from the npm package {@code strophe.js}), running in
 * real headless Chromium, logs in over RFC 7395 WebSocket and over BOSH (XEP-0124/XEP-0206) with its own SASL
 * (SCRAM, RFC 5802/RFC 7677), enters a room (XEP-0045 §7.2) that a Smack user on TCP is in, and the two chat
 * both ways; then a 1:1 message each way (RFC 6121 §5).
 *
 * <p>The page is the gateway's own origin (host-meta.json), so the WebSocket origin check applies as it would
 * to a real web client served by Parley; Strophe is injected into it by WebDriver.
 */
class StropheInteropTest {

    private static final String ROOM = "lobby@conference." + TestServer.DOMAIN;

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withUsers("desk", "webws", "webbosh");

    @RegisterExtension
    static final BrowserExtension browsers = new BrowserExtension();

    @ParameterizedTest(name = "over {0}")
    @ValueSource(strings = {"websocket", "bosh"})
    void stropheClientChatsWithTcpUserInRoomAndOneToOne(String transport) throws Exception {
        String user = transport.equals("websocket") ? "webws" : "webbosh";
        String service = transport.equals("websocket")
                ? gateway.webSocketUri().toString() : gateway.boshUri().toString();

        AbstractXMPPConnection desk = gateway.server().login("desk", "desk-" + transport);
        BlockingQueue<Message> deskInbox = new LinkedBlockingQueue<>();
        desk.addAsyncStanzaListener(s -> deskInbox.add((Message) s),
                s -> s instanceof Message m && m.getBody() != null && m.getType() == Message.Type.chat);
        MultiUserChat room = MultiUserChatManager.getInstanceFor(desk).getMultiUserChat(JidCreate.entityBareFrom(ROOM));
        BlockingQueue<EntityFullJid> joined = new LinkedBlockingQueue<>();
        BlockingQueue<EntityFullJid> left = new LinkedBlockingQueue<>();
        room.addParticipantStatusListener(new ParticipantStatusListener() {
            @Override
            public void joined(EntityFullJid participant) {
                joined.add(participant);
            }

            @Override
            public void left(EntityFullJid participant) {
                left.add(participant);
            }
        });
        BlockingQueue<Message> roomMessages = new LinkedBlockingQueue<>();
        room.addMessageListener(roomMessages::add);
        room.join(Resourcepart.from("desk-" + transport));

        // Not closed here: quitting one ChromeDriver stops the driver service the class shares; afterAll closes it.
        Browser browser = browsers.open("strophe-" + transport);
        try {
            browser.get(gateway.httpUri("/.well-known/host-meta.json").toString());
            browser.script(resource("strophe.umd.min.js"));
            browser.script(resource("strophe-driver.js"));

            String connected = browser.asyncScript(
                    "stropheTest.connect(arguments[0], arguments[1], arguments[2], arguments[arguments.length - 1]);",
                    service, user + "@" + TestServer.DOMAIN + "/strophe", TestServer.PASSWORD);
            assertTrue(connected.startsWith("connected " + user + "@" + TestServer.DOMAIN + "/strophe "),
                    "Strophe logs in over " + transport + ": " + connected);
            assertTrue(connected.endsWith(" SCRAM-SHA-256"),
                    "Strophe picks the strongest mechanism offered (RFC 7677): " + connected);

            // Entering: the server answers with the self-presence carrying status 110 (XEP-0045 §7.2.2).
            browser.script("stropheTest.join(arguments[0], arguments[1]);", ROOM, user);
            browser.waitUntil("self-presence with status 110", d -> browser.<Boolean>script(
                    "return stropheTest.presences.some(p => p.from === arguments[0] && p.statuses.includes('110'));",
                    ROOM + "/" + user));
            awaitOccupant(joined, ROOM + "/" + user, "the TCP user sees the browser user join");

            // Room: browser -> TCP, TCP -> browser.
            String up = "hello from strophe <&> over " + transport;
            browser.script("stropheTest.groupchat(arguments[0], arguments[1]);", ROOM, up);
            Message fromBrowser = awaitBody(roomMessages, up);
            assertEquals(ROOM + "/" + user, fromBrowser.getFrom().toString());
            String down = "hello from tcp <&> to " + transport;
            room.sendMessage(down);
            awaitInBrowser(browser, ROOM + "/desk-" + transport, "groupchat", down);

            // 1:1: browser -> TCP, TCP -> browser (to the Strophe resource).
            browser.script("stropheTest.chat(arguments[0], arguments[1]);",
                    desk.getUser().toString(), "direct from strophe");
            Message direct = awaitBody(deskInbox, "direct from strophe");
            assertEquals(user + "@" + TestServer.DOMAIN + "/strophe", direct.getFrom().toString());
            desk.sendStanza(desk.getStanzaFactory().buildMessageStanza()
                    .to(direct.getFrom()).ofType(Message.Type.chat).setBody("direct from tcp").build());
            awaitInBrowser(browser, desk.getUser().toString(), "chat", "direct from tcp");

            // Strophe's own disconnect ends the session: the room sees the leave.
            browser.script("stropheTest.disconnect();");
            awaitOccupant(left, ROOM + "/" + user, "the TCP user sees the browser user leave");
        } finally {
            desk.disconnect();
        }
    }

    private static void awaitOccupant(BlockingQueue<EntityFullJid> queue, String occupant, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            EntityFullJid jid = queue.poll(left, TimeUnit.NANOSECONDS);
            if (jid != null && occupant.equals(jid.toString())) {
                return;
            }
        }
        throw new AssertionError(what + ": " + occupant + " not seen");
    }

    private static Message awaitBody(BlockingQueue<Message> queue, String body) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            Message m = queue.poll(left, TimeUnit.NANOSECONDS);
            if (m != null && body.equals(m.getBody())) {
                return m;
            }
        }
        throw new AssertionError("no message with body '" + body + "' arrived");
    }

    private static void awaitInBrowser(Browser browser, String from, String type, String body) {
        browser.waitUntil("message '" + body + "' from " + from, d -> {
            List<Map<String, Object>> messages = browser.script("return stropheTest.messages;");
            return messages.stream().anyMatch(m -> from.equals(m.get("from")) && type.equals(m.get("type"))
                    && body.equals(m.get("body")));
        });
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = StropheInteropTest.class.getResourceAsStream("/vendor/strophe/" + name)) {
            if (in == null) {
                throw new IOException("missing test resource vendor/strophe/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
