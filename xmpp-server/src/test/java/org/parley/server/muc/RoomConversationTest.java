package org.parley.server.muc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.parley.server.muc.Rooms.created;
import static org.parley.server.muc.Rooms.jid;
import static org.parley.server.muc.Rooms.muc;
import static org.parley.server.muc.Rooms.nick;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.MessageBuilder;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.ping.PingManager;
import org.jivesoftware.smackx.delay.packet.DelayInformation;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.jivesoftware.smackx.muc.packet.MUCUser;
import org.jivesoftware.smackx.ping.packet.Ping;
import org.jivesoftware.smackx.xdata.form.FillableForm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.EntityBareJid;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.testing.TestServer;

/** Talking in rooms: XEP-0045 §7 (history, order, leaving, private messages, subject, invitations). */
class RoomConversationTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice", "bob", "carol", "dave");

    @Test
    void xep0045_7_2_15_historyComesAsAskedStampedWithDelayThenTheSubject() throws Exception {
        XMPPTCPConnection alice = server.login("alice");
        XMPPTCPConnection bob = server.login("bob");
        try {
            MultiUserChat room = created(alice, "history", "alice");
            room.changeSubject("what we talk about");
            for (int i = 1; i <= 5; i++) {
                room.sendMessage("line " + i);
            }
            // Alice's own reflections prove the room has handled all five before Bob enters.
            ConversationSupport.nextWithBody(room, "line 5");

            EntityBareJid historyRoom = jid("history");
            List<Message> seen = Collections.synchronizedList(new ArrayList<>());
            CountDownLatch subject = new CountDownLatch(1);
            bob.addSyncStanzaListener(s -> {
                Message m = (Message) s;
                seen.add(m);
                if (m.getSubject() != null) {
                    subject.countDown();
                }
            }, s -> s instanceof Message && historyRoom.equals(s.getFrom().asBareJid()));
            MultiUserChat seenByBob = muc(bob, "history");
            seenByBob.join(seenByBob.getEnterConfigurationBuilder(nick("bob")).requestMaxStanzasHistory(3).build());
            assertTrue(subject.await(10, TimeUnit.SECONDS), "§7.2.16: the subject is sent after the history");
            assertEquals(Arrays.asList("line 3", "line 4", "line 5", null), seen.stream().map(Message::getBody).toList());
            for (Message m : seen.subList(0, 3)) {
                DelayInformation delay = DelayInformation.from(m);
                assertNotNull(delay, "XEP-0203 stamp on history");
                assertEquals(jid("history").toString(), delay.getFrom());
                assertEquals(JidCreate.from("history@conference.localhost/alice"), m.getFrom());
            }
            assertEquals("what we talk about", seen.get(3).getSubject());
            seenByBob.leave();
            // Smack 4.5.0-beta5 race, not the server's: leave() returns when its collector sees the reflected
            // unavailable presence, but the room's own listener still has to handle that presence and needs the
            // MultiUserChat's monitor, which an immediate join() holds while it waits for its self-presence; the
            // connection's reader waits for that listener, so the join times out after 10 s (seen in a thread dump:
            // MultiUserChat.userHasLeft waiting for the lock join() holds). A round trip first lets it finish.
            PingManager.getInstanceFor(bob).ping(JidCreate.domainBareFrom("localhost"));

            List<Message> none = Collections.synchronizedList(new ArrayList<>());
            CountDownLatch subjectAgain = new CountDownLatch(1);
            bob.addSyncStanzaListener(s -> {
                none.add((Message) s);
                if (((Message) s).getSubject() != null) {
                    subjectAgain.countDown();
                }
            }, s -> s instanceof Message && historyRoom.equals(s.getFrom().asBareJid()));
            seenByBob.join(seenByBob.getEnterConfigurationBuilder(nick("bob")).requestNoHistory().build());
            assertTrue(subjectAgain.await(10, TimeUnit.SECONDS));
            assertEquals(1, none.size(), "maxchars=0: no history, only the subject: " + none);
        } finally {
            alice.disconnect();
            bob.disconnect();
        }
    }

    @Test
    void threeClientsSeeTheSameMessagesInTheSameOrder() throws Exception {
        XMPPTCPConnection alice = server.login("alice");
        XMPPTCPConnection bob = server.login("bob");
        XMPPTCPConnection carol = server.login("carol");
        try {
            MultiUserChat a = created(alice, "ordered", "alice");
            MultiUserChat b = muc(bob, "ordered");
            b.join(nick("bob"));
            MultiUserChat c = muc(carol, "ordered");
            c.join(nick("carol"));
            int perSender = 200;
            List<List<String>> views = new ArrayList<>();
            CountDownLatch complete = new CountDownLatch(3);
            for (XMPPTCPConnection connection : List.of(alice, bob, carol)) {
                List<String> view = Collections.synchronizedList(new ArrayList<>());
                views.add(view);
                // Sync listeners: the order Smack parsed is the order the server sent.
                connection.addSyncStanzaListener(s -> {
                    String body = ((Message) s).getBody();
                    if (body != null) {
                        view.add(body);
                        if (view.size() == 3 * perSender) {
                            complete.countDown();
                        }
                    }
                }, s -> s instanceof Message && ((Message) s).getType() == Message.Type.groupchat);
            }
            Thread[] senders = new Thread[3];
            MultiUserChat[] rooms = {a, b, c};
            for (int i = 0; i < 3; i++) {
                int sender = i;
                senders[i] = new Thread(() -> {
                    try {
                        for (int n = 0; n < perSender; n++) {
                            rooms[sender].sendMessage(sender + ":" + n);
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                senders[i].start();
            }
            for (Thread t : senders) {
                t.join();
            }
            assertTrue(complete.await(60, TimeUnit.SECONDS), "every client got every message");
            assertEquals(views.get(0), views.get(1), "alice and bob saw one order");
            assertEquals(views.get(0), views.get(2), "alice and carol saw one order");
            for (int sender = 0; sender < 3; sender++) {
                String prefix = sender + ":";
                List<String> own = views.get(0).stream().filter(m -> m.startsWith(prefix)).toList();
                for (int n = 0; n < perSender; n++) {
                    assertEquals(prefix + n, own.get(n), "RFC 6120 §10.1: each sender's messages in the order sent");
                }
            }
        } finally {
            alice.disconnect();
            bob.disconnect();
            carol.disconnect();
        }
    }

    @Test
    void aHundredOccupantsSeeEveryJoinAndEveryLeave() throws Exception {
        int n = 100;
        for (int i = 0; i < n; i++) {
            server.createUser("crowd" + i);
        }
        List<XMPPTCPConnection> connections = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                connections.add(server.login("crowd" + i));
            }
            created(connections.get(0), "crowded", "crowd0");
            EntityBareJid crowded = jid("crowded");
            // Occupant i listens from before it enters: it sees everyone already there, itself and every later
            // joiner (n presences); the creator listens from after it entered (n - 1). The creator also counts leaves.
            List<Set<String>> joinsSeen = new ArrayList<>();
            Set<String> leavesSeen = ConcurrentHashMap.newKeySet();
            CountDownLatch allJoinsSeen = new CountDownLatch(n);
            CountDownLatch allLeavesSeen = new CountDownLatch(1);
            for (int i = 0; i < n; i++) {
                Set<String> joins = ConcurrentHashMap.newKeySet();
                joinsSeen.add(joins);
                int expected = i == 0 ? n - 1 : n;
                boolean creator = i == 0;
                connections.get(i).addSyncStanzaListener(s -> {
                    Presence p = (Presence) s;
                    String who = p.getFrom().getResourceOrEmpty().toString();
                    if (p.getType() == Presence.Type.available) {
                        if (joins.add(who) && joins.size() == expected) {
                            allJoinsSeen.countDown();
                        }
                    } else if (p.getType() == Presence.Type.unavailable && creator) {
                        if (leavesSeen.add(who) && leavesSeen.size() == n - 1) {
                            allLeavesSeen.countDown();
                        }
                    }
                }, s -> s instanceof Presence && crowded.equals(s.getFrom().asBareJid()));
            }
            for (int i = 1; i < n; i++) {
                muc(connections.get(i), "crowded").join(nick("crowd" + i));
            }
            assertTrue(allJoinsSeen.await(60, TimeUnit.SECONDS),
                    "every occupant saw every joiner: " + joinsSeen.stream().map(Set::size).toList());
            for (int i = 1; i < n; i++) {
                muc(connections.get(i), "crowded").leave();
            }
            assertTrue(allLeavesSeen.await(60, TimeUnit.SECONDS), "the owner saw every leave: " + leavesSeen.size());
            assertEquals(1, MultiUserChatManager.getInstanceFor(connections.get(0)).getRoomInfo(jid("crowded"))
                    .getOccupantsCount());
        } finally {
            connections.forEach(XMPPTCPConnection::disconnect);
        }
    }

    @Test
    void xep0045_7_14_aSessionThatEndsWithoutLeavingLeavesTheRoomForEveryoneElse() throws Exception {
        XMPPTCPConnection alice = server.login("alice");
        // Without stream management: a resumable session (XEP-0198 §5) would rightly stay in the room until its
        // resumption timeout; this is the client that simply goes away.
        XMPPTCPConnection bob = new XMPPTCPConnection(server.config("bob").build());
        bob.setUseStreamManagement(false);
        bob.connect().login();
        try {
            MultiUserChat room = created(alice, "dropped", "alice");
            BlockingQueue<Presence> leaves = new LinkedBlockingQueue<>();
            room.addParticipantListener(p -> {
                if (p.getType() == Presence.Type.unavailable) {
                    leaves.add(p);
                }
            });
            muc(bob, "dropped").join(nick("bob"));
            bob.instantShutdown(); // no unavailable presence, no </stream>: the socket just goes
            Presence left = leaves.poll(30, TimeUnit.SECONDS);
            assertNotNull(left, "the room noticed the lost session");
            assertEquals(JidCreate.from("dropped@conference.localhost/bob"), left.getFrom());
            assertEquals(1, room.getOccupantsCount());
        } finally {
            alice.disconnect();
        }
    }

    @Test
    void xep0045_7_5_privateMessagesGoThroughTheRoomFromTheOccupantJid() throws Exception {
        XMPPTCPConnection alice = server.login("alice");
        XMPPTCPConnection bob = server.login("bob");
        XMPPTCPConnection carol = server.login("carol");
        try {
            created(alice, "whispers", "alice");
            muc(bob, "whispers").join(nick("bob"));
            BlockingQueue<Message> bobInbox = new LinkedBlockingQueue<>();
            bob.addSyncStanzaListener(s -> bobInbox.add((Message) s),
                    s -> s instanceof Message && ((Message) s).getType() == Message.Type.chat);
            alice.sendStanza(MessageBuilder.buildMessage().to(JidCreate.from("whispers@conference.localhost/bob"))
                    .ofType(Message.Type.chat).setBody("psst").build());
            Message pm = bobInbox.poll(10, TimeUnit.SECONDS);
            assertNotNull(pm);
            assertEquals("psst", pm.getBody());
            assertEquals(JidCreate.from("whispers@conference.localhost/alice"), pm.getFrom(),
                    "the sender's real address stays hidden");
            assertNotNull(pm.getExtension(MUCUser.class), "§7.5: marked as a MUC private message");

            BlockingQueue<Message> carolErrors = new LinkedBlockingQueue<>();
            carol.addSyncStanzaListener(s -> carolErrors.add((Message) s),
                    s -> s instanceof Message && ((Message) s).getType() == Message.Type.error);
            carol.sendStanza(MessageBuilder.buildMessage().to(JidCreate.from("whispers@conference.localhost/bob"))
                    .ofType(Message.Type.chat).setBody("hi").build());
            Message refused = carolErrors.poll(10, TimeUnit.SECONDS);
            assertNotNull(refused);
            assertEquals(StanzaError.Condition.not_acceptable, refused.getError().getCondition(),
                    "non-occupants cannot send private messages");
        } finally {
            alice.disconnect();
            bob.disconnect();
            carol.disconnect();
        }
    }

    @Test
    void xep0045_7_8_mediatedAndDirectInvitationsArrive() throws Exception {
        XMPPTCPConnection alice = server.login("alice");
        XMPPTCPConnection dave = server.login("dave");
        try {
            MultiUserChat room = muc(alice, "party");
            room.create(nick("alice"));
            FillableForm answer = room.getConfigurationForm().getFillableForm();
            answer.setAnswer("muc#roomconfig_membersonly", true);
            answer.setAnswer("muc#roomconfig_passwordprotectedroom", true);
            answer.setAnswer("muc#roomconfig_roomsecret", "cake");
            room.sendConfigurationForm(answer);

            // Invitations go to the bare JID: Dave must be available to get them now rather than offline.
            dave.sendStanza(dave.getStanzaFactory().buildPresenceStanza().build());
            dave.sendIqRequestAndWaitForResponse(new Ping(JidCreate.domainBareFrom("localhost"))); // presence processed
            BlockingQueue<String> invitations = new LinkedBlockingQueue<>();
            MultiUserChatManager.getInstanceFor(dave).addInvitationListener(
                    (conn, muc, inviter, reason, password, message, invite) ->
                            invitations.add(muc.getRoom() + " " + inviter.asBareJid() + " " + reason + " " + password));
            room.invite(JidCreate.entityBareFrom("dave@localhost"), "come");
            assertEquals("party@conference.localhost alice@localhost come cake", invitations.poll(10, TimeUnit.SECONDS));
            // An owner's invitation to a members-only room makes the invitee a member (§7.8.2).
            muc(dave, "party").join(muc(dave, "party").getEnterConfigurationBuilder(nick("dave"))
                    .withPassword("cake").build());

            BlockingQueue<Message> direct = new LinkedBlockingQueue<>();
            dave.addSyncStanzaListener(s -> direct.add((Message) s),
                    s -> s instanceof Message && ((Message) s).hasExtension("x", "jabber:x:conference"));
            room.inviteDirectly(JidCreate.entityBareFrom("dave@localhost"), "again", "cake", false, null);
            Message xep0249 = direct.poll(10, TimeUnit.SECONDS);
            assertNotNull(xep0249, "XEP-0249 direct invitation routed from user to user");
            assertEquals(JidCreate.from(alice.getUser().toString()), xep0249.getFrom());
        } finally {
            alice.disconnect();
            dave.disconnect();
        }
    }

    @Test
    void xep0045_7_4_strangersAndVisitorsCannotSpeakAndOnlyModeratorsSetTheSubjectByDefault() throws Exception {
        XMPPTCPConnection alice = server.login("alice");
        XMPPTCPConnection bob = server.login("bob");
        XMPPTCPConnection carol = server.login("carol");
        try {
            MultiUserChat room = muc(alice, "quiet");
            room.create(nick("alice")).getConfigFormManager().makeModerated().submitConfigurationForm();
            MultiUserChat seenByBob = muc(bob, "quiet");
            seenByBob.join(nick("bob"));
            XMPPException.XMPPErrorException visitor = assertThrows(XMPPException.XMPPErrorException.class,
                    () -> seenByBob.changeSubject("mine now"));
            assertEquals(StanzaError.Condition.forbidden, visitor.getStanzaError().getCondition());

            BlockingQueue<Message> bobErrors = new LinkedBlockingQueue<>();
            bob.addSyncStanzaListener(s -> bobErrors.add((Message) s),
                    s -> s instanceof Message && ((Message) s).getType() == Message.Type.error
                            && ((Message) s).getBody() != null);
            seenByBob.sendMessage("can anyone hear me?");
            Message silenced = bobErrors.poll(10, TimeUnit.SECONDS);
            assertNotNull(silenced);
            assertEquals(StanzaError.Condition.forbidden, silenced.getError().getCondition(),
                    "a visitor in a moderated room has no voice");

            room.grantVoice(nick("bob"));
            seenByBob.sendMessage("now I can");
            assertEquals("now I can", ConversationSupport.nextWithBody(room, "now I can").getBody());
            assertNull(bobErrors.poll(0, TimeUnit.SECONDS));
        } finally {
            alice.disconnect();
            bob.disconnect();
            carol.disconnect();
        }
    }
}
