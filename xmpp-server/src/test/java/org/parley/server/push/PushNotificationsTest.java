package org.parley.server.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.ping.packet.Ping;
import org.jivesoftware.smackx.pubsub.LeafNode;
import org.jivesoftware.smackx.pubsub.PubSubManager;
import org.jivesoftware.smackx.pubsub.PublishModel;
import org.jivesoftware.smackx.pubsub.form.FillableConfigureForm;
import org.jivesoftware.smackx.push_notifications.PushNotificationsManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.Jid;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.config.ServerSettings;
import org.parley.server.storage.PushStore;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * Push Notifications (XEP-0357) end to end: Parley's own pubsub service plays the app server; a Smack
 * client subscribed to the node stands for the app server's backend, which would wake the phone.
 */
class PushNotificationsTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice", "bob", "appserver", "carol", "dave", "erin");

    private static Jid jid(String s) throws Exception {
        return JidCreate.from(s);
    }

    /** Creates a node on pubsub.localhost that anyone may publish to (or only its owner) and subscribes to it. */
    private static BlockingQueue<Message> appServerNode(XMPPTCPConnection appServer, String node, PublishModel model)
            throws Exception {
        PubSubManager pubsub = PubSubManager.getInstanceFor(appServer, JidCreate.bareFrom("pubsub.localhost"));
        FillableConfigureForm form = pubsub.getDefaultConfiguration().getFillableForm();
        form.setPublishModel(model);
        LeafNode leaf = (LeafNode) pubsub.createNode(node, form);
        leaf.subscribe(appServer.getUser()); // the full JID: the test clients send no presence
        BlockingQueue<Message> notifications = new LinkedBlockingQueue<>();
        appServer.addAsyncStanzaListener(s -> notifications.add((Message) s), s -> s instanceof Message m
                && m.getFrom() != null && m.getFrom().toString().equals("pubsub.localhost")
                && m.toXML().toString().contains(node));
        return notifications;
    }

    /** §5 enable, §7 a notification for a message to the offline account, without the body by default. */
    @Test
    void offlineAccountGetsANotificationWithoutTheBody() throws Exception {
        XMPPTCPConnection appServer = server.login("appserver", "backend");
        XMPPTCPConnection bob = server.login("bob", "desk");
        try {
            BlockingQueue<Message> notifications = appServerNode(appServer, "alice-phone", PublishModel.open);

            XMPPTCPConnection alice = server.login("alice", "phone");
            PushNotificationsManager push = PushNotificationsManager.getInstanceFor(alice);
            assertTrue(push.isSupported(), "§4: urn:xmpp:push:0 on the account");
            assertTrue(push.enable(jid("pubsub.localhost"), "alice-phone",
                    Map.of("pubsub#publish_model", "open")), "§5: enabled with publish-options");
            alice.disconnect();

            bob.sendStanza(bob.getStanzaFactory().buildMessageStanza().to(jid("alice@localhost"))
                    .ofType(Message.Type.chat).setBody("secret plans").build());
            Message notification = notifications.poll(10, TimeUnit.SECONDS);
            assertNotNull(notification, "§7: the app server's node got a notification");
            String xml = notification.toXML().toString();
            assertTrue(xml.contains("urn:xmpp:push:0") && xml.contains("urn:xmpp:push:summary"), xml);
            assertTrue(xml.contains("message-count"), xml);
            assertFalse(xml.contains("secret plans"), "the body stays on the server by default: " + xml);
            assertFalse(xml.contains("last-message-sender"), xml);

            // §6: disabled, no more notifications; the message still waits offline.
            XMPPTCPConnection again = server.login("alice", "phone");
            assertTrue(PushNotificationsManager.getInstanceFor(again).disable(jid("pubsub.localhost"), "alice-phone"));
            again.disconnect();
            assertEquals(List.of(), server.server().storage().push().registrations("alice"));
            bob.sendStanza(bob.getStanzaFactory().buildMessageStanza().to(jid("alice@localhost"))
                    .ofType(Message.Type.chat).setBody("more plans").build());
            bob.createStanzaCollectorAndSend(new Ping(jid("localhost"))).nextResultOrThrow(10_000);
            appServer.createStanzaCollectorAndSend(new Ping(jid("localhost"))).nextResultOrThrow(10_000);
            assertTrue(notifications.isEmpty(), "nothing after disable: " + notifications);
            assertEquals(List.of("secret plans", "more plans"), server.messagesOnLogin("alice", 2));
        } finally {
            appServer.disconnect();
            bob.disconnect();
        }
    }

    /** §7: a session that lost its connection and waits for an XEP-0198 resumption gets notifications too. */
    @Test
    void detachedStreamManagementSessionGetsANotification() throws Exception {
        XMPPTCPConnection appServer = server.login("appserver", "backend2");
        XMPPTCPConnection bob = server.login("bob", "desk2");
        try {
            BlockingQueue<Message> notifications = appServerNode(appServer, "carol-phone", PublishModel.open);
            try (RawClient carol = RawClient.loggedIn(server, "carol")) {
                carol.send("<iq type='set' id='e1'><enable xmlns='urn:xmpp:push:0' jid='pubsub.localhost' "
                        + "node='carol-phone'/></iq>").await("id=\"e1\"");
                carol.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/><presence/>").await("<enabled");
                // The socket closes without a closing tag: the session is detached, not ended.
            }
            bob.sendStanza(bob.getStanzaFactory().buildMessageStanza().to(jid("carol@localhost"))
                    .ofType(Message.Type.chat).setBody("are you there?").build());
            assertNotNull(notifications.poll(10, TimeUnit.SECONDS), "notification for the detached session");
        } finally {
            appServer.disconnect();
            bob.disconnect();
        }
    }

    /**
     * XEP-0357 with XEP-0198 §5: a message that reached the session but was never acknowledged when the connection
     * dropped (a phone that went to sleep mid-delivery) is notified when the session becomes detached.
     */
    @Test
    void unacknowledgedMessageOfASessionThatDropsGetsANotification() throws Exception {
        XMPPTCPConnection appServer = server.login("appserver", "backend4");
        XMPPTCPConnection bob = server.login("bob", "desk4");
        try {
            BlockingQueue<Message> notifications = appServerNode(appServer, "erin-phone", PublishModel.open);
            try (RawClient erin = RawClient.loggedIn(server, "erin")) {
                erin.send("<iq type='set' id='e1'><enable xmlns='urn:xmpp:push:0' jid='pubsub.localhost' "
                        + "node='erin-phone'/></iq>").await("id=\"e1\"");
                erin.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/><presence/>").await("<enabled");
                bob.sendStanza(bob.getStanzaFactory().buildMessageStanza().to(jid("erin@localhost"))
                        .ofType(Message.Type.chat).setBody("did you read this?").build());
                erin.await("did you read this?"); // delivered to the live session, never acknowledged
            } // the socket closes without a closing tag: the session is detached with the message unacknowledged
            Message notification = notifications.poll(10, TimeUnit.SECONDS);
            assertNotNull(notification, "notification for the unacknowledged message");
        } finally {
            appServer.disconnect();
            bob.disconnect();
        }
    }

    /** An app server that keeps answering with errors loses the registration after push.max-failures (3). */
    @Test
    void failingAppServerRegistrationIsRemoved() throws Exception {
        XMPPTCPConnection appServer = server.login("appserver", "backend3");
        XMPPTCPConnection bob = server.login("bob", "desk3");
        try {
            // Only the owner may publish here: every notification is refused with <forbidden/>.
            appServerNode(appServer, "dave-phone", PublishModel.publishers);
            XMPPTCPConnection dave = server.login("dave", "phone");
            assertTrue(PushNotificationsManager.getInstanceFor(dave).enable(jid("pubsub.localhost"), "dave-phone"));
            dave.disconnect();
            for (int i = 1; i <= 3; i++) {
                assertEquals(1, server.server().storage().push().registrations("dave").size(), "still there before "
                        + i + " failures");
                bob.sendStanza(bob.getStanzaFactory().buildMessageStanza().to(jid("dave@localhost"))
                        .ofType(Message.Type.chat).setBody("message " + i).build());
                // Bob's stanzas are handled in order, and the publish with its answer happens while his
                // message is routed: once this round trip is answered, the failure is counted.
                bob.createStanzaCollectorAndSend(new Ping(jid("localhost"))).nextResultOrThrow(10_000);
            }
            assertEquals(List.of(), server.server().storage().push().registrations("dave"));
        } finally {
            appServer.disconnect();
            bob.disconnect();
        }
    }

    /** Bad input gets the exact errors, and nothing is stored. */
    @Test
    void badEnableRequestsGetTheirErrors() throws Exception {
        try (RawClient raw = RawClient.loggedIn(server, "bob")) {
            raw.send("<iq type='set' id='x1'><enable xmlns='urn:xmpp:push:0' jid='pubsub.localhost'/></iq>");
            assertError(raw, "x1", "bad-request"); // no node
            raw.send("<iq type='set' id='x2'><enable xmlns='urn:xmpp:push:0' jid='pubsub.localhost' node='nope'/></iq>");
            assertError(raw, "x2", "item-not-found"); // a node of the local pubsub service that does not exist
            raw.send("<iq type='set' id='x3'><enable xmlns='urn:xmpp:push:0' jid='a@b@c' node='n'/></iq>");
            assertError(raw, "x3", "jid-malformed");
            raw.send("<iq type='set' id='x4'><enable xmlns='urn:xmpp:push:0' jid='push.example.net' node='n'>"
                    + "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:other</value></field>"
                    + "</x></enable></iq>");
            assertError(raw, "x4", "bad-request"); // not a publish-options form
            raw.send("<iq type='get' id='x5'><enable xmlns='urn:xmpp:push:0' jid='push.example.net' node='n'/></iq>");
            assertError(raw, "x5", "bad-request");
        }
        assertEquals(List.of(), server.server().storage().push().registrations("bob"));
    }

    private static void assertError(RawClient raw, String id, String condition) throws Exception {
        String got = raw.await("</iq>");
        assertTrue(got.contains("id=\"" + id + "\"") && got.contains("type=\"error\""), got);
        assertTrue(got.contains("<" + condition + " "), "expected " + condition + " in " + got);
        raw.clear();
    }

    /** With push.include-body on, the summary carries the sender and the text (§7). */
    @Test
    void summaryCarriesSenderAndBodyWhenTheOperatorAllowsIt() throws Exception {
        Path directory = Files.createTempDirectory("parley-push-");
        try (TestServer withBody = TestServer.start(directory, s -> s.withMobile(new ServerSettings.Mobile(
                s.mobile().blockListMax(), s.mobile().csiBuffer(), new ServerSettings.Push(true, 3, 20),
                s.mobile().proxy())))) {
            List.of("erin", "frank", "app").forEach(withBody::createUser);
            XMPPTCPConnection app = withBody.login("app", "backend");
            XMPPTCPConnection frank = withBody.login("frank", "desk");
            try {
                BlockingQueue<Message> notifications = appServerNode(app, "erin-phone", PublishModel.open);
                withBody.server().storage().push().put("erin",
                        new PushStore.Registration("pubsub.localhost", "erin-phone", null));
                frank.sendStanza(frank.getStanzaFactory().buildMessageStanza().to(jid("erin@localhost"))
                        .ofType(Message.Type.chat).setBody("lunch at noon").build());
                Message notification = notifications.poll(10, TimeUnit.SECONDS);
                assertNotNull(notification);
                String xml = notification.toXML().toString();
                assertTrue(xml.contains("lunch at noon") && xml.contains("frank@localhost/desk"), xml);
            } finally {
                app.disconnect();
                frank.disconnect();
            }
        }
    }
}
