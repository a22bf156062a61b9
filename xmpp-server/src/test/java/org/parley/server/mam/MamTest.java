package org.parley.server.mam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.MessageBuilder;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.SmackException;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.packet.IQ;
import org.jivesoftware.smackx.iqregister.AccountManager;
import org.jivesoftware.smackx.mam.MamManager;
import org.jivesoftware.smackx.mam.element.MamPrefsIQ;
import org.jivesoftware.smackx.mam.element.MamVersion;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.jivesoftware.smackx.ping.packet.Ping;
import org.jivesoftware.smackx.sid.element.StanzaIdElement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.Jid;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;
import org.parley.server.testing.TestServer;

/** Message Archive Management (XEP-0313) with result set paging (XEP-0059) and stanza ids (XEP-0359). */
class MamTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice", "bob", "carol", "quiet", "away", "gone");

    private static Message chat(String to, String body) throws Exception {
        return MessageBuilder.buildMessage().to(JidCreate.from(to)).ofType(Message.Type.chat).setBody(body).build();
    }

    @Test
    void xep0313_4_pagingAThousandMessagesForwardAndBackwardHasNoGapsAndNoDuplicates() throws Exception {
        XMPPTCPConnection alice = server.login("alice");
        XMPPTCPConnection bob = server.login("bob");
        try {
            MamManager mam = MamManager.getInstanceFor(alice);
            assertTrue(mam.isSupported(), "§7: urn:xmpp:mam:2 on the account's disco#info");
            int total = 1000;
            for (int i = 0; i < total; i++) {
                alice.sendStanza(chat("bob@localhost", "m" + i));
            }
            // A ping answered after the last message means the server has routed (and archived) them all.
            // On a loaded 2-core machine routing a thousand messages can take longer than Smack's default
            // reply timeout (10 s): the wait is bounded but generous.
            alice.setReplyTimeout(60_000);
            alice.sendIqRequestAndWaitForResponse(new Ping(JidCreate.domainBareFrom("localhost")));
            Jid bobJid = JidCreate.bareFrom("bob@localhost");

            MamManager.MamQuery forward = mam.queryArchive(MamManager.MamQueryArgs.builder()
                    .limitResultsToJid(bobJid).setResultPageSizeTo(70).build());
            List<String> seen = new ArrayList<>(bodies(forward.getMessages()));
            while (!forward.isComplete()) {
                seen.addAll(bodies(forward.pageNext(70)));
            }
            assertEquals(expected(total), seen, "forward: every message once, in order");

            MamManager.MamQuery backward = mam.queryArchive(MamManager.MamQueryArgs.builder()
                    .limitResultsToJid(bobJid).setResultPageSizeTo(70).queryLastPage().build());
            List<String> back = new ArrayList<>(bodies(backward.getMessages()));
            assertEquals("m999", back.get(back.size() - 1), "the last page ends with the newest message");
            while (!backward.isComplete()) {
                List<String> page = bodies(backward.pagePrevious(70));
                back.addAll(0, page);
            }
            assertEquals(expected(total), back, "backward: every message once, in order");
            assertEquals(total, backward.getPage().getMamFinIq().getRSMSet().getCount());

            // Bob's archive holds the same conversation, and what he received carried his archive's id.
            assertTrue(MamManager.getInstanceFor(bob).isSupported()); // Smack learns the MAM version from disco
            MamManager.MamQuery bobs = MamManager.getInstanceFor(bob).queryArchive(MamManager.MamQueryArgs.builder()
                    .limitResultsToJid(JidCreate.bareFrom("alice@localhost")).setResultPageSizeTo(5).build());
            assertEquals(List.of("m0", "m1", "m2", "m3", "m4"), bodies(bobs.getMessages()));
            assertFalse(bobs.isComplete());
        } finally {
            alice.disconnect();
            bob.disconnect();
        }
    }

    @Test
    void xep0359_receivedMessagesCarryTheArchiveIdAndForgedIdsAreRemoved() throws Exception {
        XMPPTCPConnection alice = server.login("alice");
        XMPPTCPConnection carol = server.login("carol");
        try {
            carol.sendStanza(carol.getStanzaFactory().buildPresenceStanza().build());
            // A session's stanzas are processed in order: once the ping is answered, carol is available and
            // messages to her bare JID reach her instead of offline storage.
            carol.sendIqRequestAndWaitForResponse(new Ping(JidCreate.domainBareFrom("localhost")));
            BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
            carol.addSyncStanzaListener(s -> inbox.add((Message) s), s -> s instanceof Message);
            alice.sendStanza(MessageBuilder.buildMessage().to(JidCreate.from("carol@localhost"))
                    .ofType(Message.Type.chat).setBody("with a forged id")
                    .addExtension(new StanzaIdElement("forged", "carol@localhost")).build());
            Message received = inbox.poll(10, TimeUnit.SECONDS);
            assertNotNull(received);
            List<StanzaIdElement> ids = received.getExtensions(StanzaIdElement.class);
            assertEquals(1, ids.size(), "one stanza-id by carol@localhost: " + ids);
            assertEquals("carol@localhost", ids.get(0).getBy());
            assertFalse(ids.get(0).getId().equals("forged"));

            assertTrue(MamManager.getInstanceFor(carol).isSupported());
            MamManager.MamQuery page = MamManager.getInstanceFor(carol).queryArchive(MamManager.MamQueryArgs.builder()
                    .afterUid(ids.get(0).getId()).build());
            assertTrue(page.getMessages().isEmpty() && page.isComplete(), "nothing after the newest id");
            XMPPException.XMPPErrorException unknown = assertThrows(XMPPException.XMPPErrorException.class,
                    () -> MamManager.getInstanceFor(carol).queryArchive(MamManager.MamQueryArgs.builder()
                            .afterUid("no-such-id").build()));
            assertEquals(StanzaError.Condition.item_not_found, unknown.getStanzaError().getCondition());
        } finally {
            alice.disconnect();
            carol.disconnect();
        }
    }

    @Test
    void xep0359_anOfflineMessageIsArchivedOnceAndArrivesWithThatArchiveId() throws Exception {
        XMPPTCPConnection alice = server.login("alice");
        try {
            alice.sendStanza(chat("away@localhost", "while you were away"));
            alice.sendIqRequestAndWaitForResponse(new Ping(JidCreate.domainBareFrom("localhost")));
        } finally {
            alice.disconnect();
        }
        XMPPTCPConnection away = new XMPPTCPConnection(server.config("away").build());
        BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
        away.addSyncStanzaListener(s -> inbox.add((Message) s), s -> s instanceof Message && ((Message) s).getBody() != null);
        try {
            away.connect().login();
            away.sendStanza(away.getStanzaFactory().buildPresenceStanza().build()); // offline messages follow
            Message received = inbox.poll(10, TimeUnit.SECONDS);
            assertNotNull(received, "the offline message arrives after initial presence");
            List<StanzaIdElement> ids = received.getExtensions(StanzaIdElement.class);
            assertEquals(1, ids.size(), "one stanza-id by away@localhost: " + ids);

            MamManager mam = MamManager.getInstanceFor(away);
            assertTrue(mam.isSupported());
            MamManager.MamQuery archived = mam.queryArchive(MamManager.MamQueryArgs.builder()
                    .limitResultsToJid(JidCreate.bareFrom("alice@localhost")).build());
            assertEquals(List.of("while you were away"), bodies(archived.getMessages()),
                    "delivering from offline storage does not archive the message a second time");
            assertEquals(ids.get(0).getId(), archived.getMamResultExtensions().get(0).getId(),
                    "the id the message arrived with is its id in the archive, so a client can match the two");
        } finally {
            away.disconnect();
        }
    }

    @Test
    void xep0077_3_9_aDeletedAccountTakesItsArchiveWithIt() throws Exception {
        XMPPTCPConnection alice = server.login("alice");
        XMPPTCPConnection gone = server.login("gone");
        try {
            alice.sendStanza(chat("gone@localhost", "for the first gone only"));
            alice.sendIqRequestAndWaitForResponse(new Ping(JidCreate.domainBareFrom("localhost")));
            MamManager mam = MamManager.getInstanceFor(gone);
            assertTrue(mam.isSupported());
            assertEquals(List.of("for the first gone only"),
                    bodies(mam.queryArchive(MamManager.MamQueryArgs.builder().build()).getMessages()));
            try {
                AccountManager.getInstance(gone).deleteAccount();
            } catch (SmackException.NotConnectedException e) {
                // XEP-0077 §3.2: the server answers and then ends the account's streams; Smack can handle the
                // stream error before it hands the answer to the waiting request. The account must be gone either way.
            }
            assertFalse(server.server().accounts().exists("gone"), "the account was deleted");
        } finally {
            alice.disconnect();
            gone.disconnect();
        }
        server.createUser("gone"); // someone else takes the name
        XMPPTCPConnection next = server.login("gone");
        try {
            MamManager mam = MamManager.getInstanceFor(next);
            assertTrue(mam.isSupported());
            assertTrue(mam.queryArchive(MamManager.MamQueryArgs.builder().build()).getMessages().isEmpty(),
                    "the new owner of the name sees none of the earlier owner's conversations");
        } finally {
            next.disconnect();
        }
    }

    @Test
    void xep0313_6_preferenceNeverKeepsNothing() throws Exception {
        XMPPTCPConnection quiet = server.login("quiet");
        XMPPTCPConnection alice = server.login("alice");
        try {
            MamManager mam = MamManager.getInstanceFor(quiet);
            assertTrue(mam.isSupported());
            assertTrue(MamManager.getInstanceFor(alice).isSupported());
            // Smack's MamManager.setDefaultBehavior misreads the prefs namespace on its own parser (it reports
            // jabber:client), so the IQ is sent as built by Smack's element class instead.
            MamPrefsIQ never = new MamPrefsIQ(MamVersion.MAM2, List.of(), List.of(), MamPrefsIQ.DefaultBehavior.never);
            never.setType(IQ.Type.set);
            MamPrefsIQ answer = quiet.sendIqRequestAndWaitForResponse(never);
            assertEquals(MamPrefsIQ.DefaultBehavior.never, answer.getDefault(), "§6.1: the stored preferences come back");
            alice.sendStanza(chat("quiet@localhost", "not kept"));
            alice.sendIqRequestAndWaitForResponse(new Ping(JidCreate.domainBareFrom("localhost")));
            assertTrue(mam.queryArchive(MamManager.MamQueryArgs.builder().build()).getMessages().isEmpty());
            // Alice archives her side as she likes.
            assertTrue(bodies(MamManager.getInstanceFor(alice).queryArchive(MamManager.MamQueryArgs.builder()
                    .limitResultsToJid(JidCreate.bareFrom("quiet@localhost")).build()).getMessages()).contains("not kept"));
        } finally {
            quiet.disconnect();
            alice.disconnect();
        }
    }

    @Test
    void aLoggedRoomKeepsItsArchiveForAnyoneWhoMayEnter() throws Exception {
        XMPPTCPConnection alice = server.login("alice");
        XMPPTCPConnection bob = server.login("bob");
        try {
            MultiUserChat lobby = MultiUserChatManager.getInstanceFor(alice).getMultiUserChat(
                    JidCreate.entityBareFrom("lobby@conference.localhost"));
            lobby.join(Resourcepart.from("alice"));
            for (int i = 0; i < 3; i++) {
                lobby.sendMessage("lobby " + i);
            }
            Message last = null;
            for (int seen = 0; seen < 3; seen++) {
                last = lobby.nextMessage(10_000);
                assertNotNull(last);
            }
            StanzaIdElement roomId = last.getExtension(StanzaIdElement.class);
            assertNotNull(roomId, "XEP-0359: the room stamps its archive id on what it broadcasts");
            assertEquals("lobby@conference.localhost", roomId.getBy());

            MamManager roomArchive = MamManager.getInstanceFor(bob, JidCreate.entityBareFrom("lobby@conference.localhost"));
            assertTrue(roomArchive.isSupported());
            List<String> bodies = bodies(roomArchive.queryArchive(MamManager.MamQueryArgs.builder()
                    .queryLastPage().setResultPageSizeTo(3).build()).getMessages());
            assertEquals(List.of("lobby 0", "lobby 1", "lobby 2"), bodies);
        } finally {
            alice.disconnect();
            bob.disconnect();
        }
    }

    private static List<String> bodies(List<Message> messages) {
        return messages.stream().map(Message::getBody).toList();
    }

    private static List<String> expected(int n) {
        List<String> list = new ArrayList<>();
        Set<String> unique = new HashSet<>();
        for (int i = 0; i < n; i++) {
            list.add("m" + i);
            unique.add("m" + i);
        }
        assertEquals(n, unique.size());
        return list;
    }
}
