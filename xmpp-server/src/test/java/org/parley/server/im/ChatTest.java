package org.parley.server.im;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.MessageBuilder;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.delay.packet.DelayInformation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.testing.TestServer;

/** One-to-one messages (RFC 6121 §5), ordering (RFC 6120 §10.1) and offline storage (XEP-0160). */
class ChatTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice", "bob", "carol", "dave");

    @BeforeAll
    static void start() throws Exception {
        for (int i = 0; i < 20; i++) {
            server.createUser("p" + i);
        }
    }

    static Message chat(XMPPTCPConnection from, String to, String body) throws Exception {
        return MessageBuilder.buildMessage().to(JidCreate.from(to)).ofType(Message.Type.chat).setBody(body).build();
    }

    @Test
    void messageToFullAndBareJidArrives() throws Exception {
        XMPPTCPConnection alice = server.login("alice");
        XMPPTCPConnection bob = server.login("bob");
        try {
            bob.sendStanza(bob.getStanzaFactory().buildPresenceStanza().build());
            BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
            bob.addAsyncStanzaListener(s -> inbox.add((Message) s), s -> s instanceof Message);

            alice.sendStanza(chat(alice, bob.getUser().toString(), "to full"));
            Message first = inbox.poll(10, TimeUnit.SECONDS);
            assertNotNull(first);
            assertEquals("to full", first.getBody());
            assertEquals(alice.getUser(), first.getFrom(), "RFC 6120 §8.1.2.1: stamped with the sender's full JID");

            alice.sendStanza(chat(alice, "bob@localhost", "to bare"));
            Message second = inbox.poll(10, TimeUnit.SECONDS);
            assertNotNull(second);
            assertEquals("to bare", second.getBody());
        } finally {
            alice.disconnect();
            bob.disconnect();
        }
    }

    @Test
    void rfc6120_10_1_tenPairsOfAThousandMessagesArriveCompleteAndInOrder() throws Exception {
        int pairs = 10;
        int perPair = 1000;
        List<XMPPTCPConnection> connections = new ArrayList<>();
        try {
            ConcurrentHashMap<Integer, List<Integer>> received = new ConcurrentHashMap<>();
            CountDownLatch done = new CountDownLatch(pairs);
            List<XMPPTCPConnection> senders = new ArrayList<>();
            List<XMPPTCPConnection> receivers = new ArrayList<>();
            for (int p = 0; p < pairs; p++) {
                XMPPTCPConnection sender = server.login("p" + (2 * p % 20));
                XMPPTCPConnection receiver = server.login("p" + ((2 * p + 1) % 20), "pair" + p);
                connections.add(sender);
                connections.add(receiver);
                senders.add(sender);
                receivers.add(receiver);
                int pair = p;
                List<Integer> seen = java.util.Collections.synchronizedList(new ArrayList<>());
                received.put(p, seen);
                receiver.addSyncStanzaListener(s -> {
                    Message m = (Message) s;
                    if (m.getBody() != null && m.getBody().startsWith(pair + ":")) {
                        seen.add(Integer.parseInt(m.getBody().substring(m.getBody().indexOf(':') + 1)));
                        if (seen.size() == perPair) {
                            done.countDown();
                        }
                    }
                }, s -> s instanceof Message);
            }
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < pairs; p++) {
                XMPPTCPConnection sender = senders.get(p);
                String to = receivers.get(p).getUser().toString();
                int pair = p;
                Thread t = new Thread(() -> {
                    try {
                        for (int i = 0; i < perPair; i++) {
                            sender.sendStanza(chat(sender, to, pair + ":" + i));
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                t.start();
                threads.add(t);
            }
            for (Thread t : threads) {
                t.join();
            }
            assertTrue(done.await(120, TimeUnit.SECONDS), "every message arrived");
            for (int p = 0; p < pairs; p++) {
                List<Integer> seen = received.get(p);
                for (int i = 0; i < perPair; i++) {
                    assertEquals(i, seen.get(i), "pair " + p + " message " + i + " in order");
                }
            }
        } finally {
            connections.forEach(XMPPTCPConnection::disconnect);
        }
    }

    @Test
    void xep0160_offlineMessageIsDeliveredWithDelayOnNextLogin() throws Exception {
        XMPPTCPConnection alice = server.login("alice");
        try {
            alice.sendStanza(chat(alice, "carol@localhost", "while you were out"));
            // Round trip so the message is surely stored before carol logs in.
            alice.sendIqRequestAndWaitForResponse(new org.jivesoftware.smackx.ping.packet.Ping(
                    JidCreate.domainBareFrom("localhost")));
        } finally {
            alice.disconnect();
        }
        XMPPTCPConnection carol = new XMPPTCPConnection(server.config("carol").build());
        try {
            BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
            carol.addAsyncStanzaListener(s -> inbox.add((Message) s), s -> s instanceof Message);
            carol.connect().login();
            carol.sendStanza(carol.getStanzaFactory().buildPresenceStanza().build());
            Message offline = inbox.poll(10, TimeUnit.SECONDS);
            assertNotNull(offline, "offline message delivered after initial presence");
            assertEquals("while you were out", offline.getBody());
            assertNotNull(offline.getExtension(DelayInformation.class), "XEP-0203 delay stamp");
        } finally {
            carol.disconnect();
        }
    }

    @Test
    void messageToUnknownUserIsServiceUnavailable() throws Exception {
        XMPPTCPConnection alice = server.login("alice");
        try {
            BlockingQueue<Message> errors = new LinkedBlockingQueue<>();
            alice.addAsyncStanzaListener(s -> errors.add((Message) s),
                    s -> s instanceof Message m && m.getType() == Message.Type.error);
            alice.sendStanza(chat(alice, "nobody@localhost", "hello?"));
            Message error = errors.poll(10, TimeUnit.SECONDS);
            assertNotNull(error);
            assertEquals(StanzaError.Condition.service_unavailable, error.getError().getCondition());
        } finally {
            alice.disconnect();
        }
    }

    @Test
    void messageToOtherDomainIsRemoteServerNotFound() throws Exception {
        XMPPTCPConnection alice = server.login("alice");
        try {
            BlockingQueue<Message> errors = new LinkedBlockingQueue<>();
            alice.addAsyncStanzaListener(s -> errors.add((Message) s),
                    s -> s instanceof Message m && m.getType() == Message.Type.error);
            alice.sendStanza(chat(alice, "someone@example.org", "hello?"));
            Message error = errors.poll(10, TimeUnit.SECONDS);
            assertNotNull(error);
            assertEquals(StanzaError.Condition.remote_server_not_found, error.getError().getCondition());
        } finally {
            alice.disconnect();
        }
    }

    static Presence available(XMPPTCPConnection c) {
        return c.getStanzaFactory().buildPresenceStanza().build();
    }
}
