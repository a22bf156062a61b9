package org.parley.server.muc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.parley.server.muc.Rooms.created;
import static org.parley.server.muc.Rooms.jid;
import static org.parley.server.muc.Rooms.muc;
import static org.parley.server.muc.Rooms.nick;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.packet.IQ;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.disco.ServiceDiscoveryManager;
import org.jivesoftware.smackx.disco.packet.DiscoverInfo;
import org.jivesoftware.smackx.mam.MamManager;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.jivesoftware.smackx.muc.RoomInfo;
import org.jivesoftware.smackx.muc.UserStatusListener;
import org.jivesoftware.smackx.muc.packet.MUCOwner;
import org.jivesoftware.smackx.xdata.packet.DataForm;
import org.jivesoftware.smackx.xdata.form.FillableForm;
import org.jivesoftware.smackx.xdata.form.Form;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jxmpp.jid.EntityBareJid;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.config.ServerSettings;
import org.parley.server.testing.TestServer;

/** Creating, configuring, destroying and persisting rooms: XEP-0045 §6, §10. */
class RoomLifecycleTest {

    @TempDir
    Path data;

    @Test
    void xep0045_6_1_theServiceIsFoundFromTheServerAndTheConfiguredLobbyIsListed() throws Exception {
        try (TestServer server = TestServer.start(data)) {
            server.createUser("alice");
            XMPPTCPConnection alice = server.login("alice");
            MultiUserChatManager manager = MultiUserChatManager.getInstanceFor(alice);
            assertEquals(List.of(Rooms.service()), manager.getMucServiceDomains());
            assertTrue(manager.getRoomsHostedBy(Rooms.service()).containsKey(jid("lobby")),
                    "muc.rooms = [lobby] exists from the first start and is public");
            RoomInfo lobby = manager.getRoomInfo(jid("lobby"));
            assertTrue(lobby.isPersistent());
            assertEquals("Lobby", lobby.getName());
            alice.disconnect();
        }
    }

    @Test
    void xep0045_10_1_aNewRoomIsLockedWithStatus201UntilTheOwnerConfiguresIt() throws Exception {
        try (TestServer server = TestServer.start(data)) {
            server.createUser("owner");
            server.createUser("guest");
            XMPPTCPConnection owner = server.login("owner");
            XMPPTCPConnection guest = server.login("guest");
            MultiUserChat room = muc(owner, "fresh");
            // create() itself fails unless the self-presence carries status 201.
            MultiUserChat.MucCreateConfigFormHandle handle = room.create(nick("boss"));
            assertNotNull(handle, "status 201: the room was created");

            XMPPException.XMPPErrorException locked = assertThrows(XMPPException.XMPPErrorException.class,
                    () -> muc(guest, "fresh").join(nick("early")));
            assertEquals(StanzaError.Condition.item_not_found, locked.getStanzaError().getCondition(),
                    "§10.1.1: a locked room cannot be entered");

            Form form = room.getConfigurationForm();
            for (String field : List.of("roomname", "roomdesc", "persistentroom", "publicroom", "membersonly",
                    "moderatedroom", "passwordprotectedroom", "roomsecret", "maxusers", "whois", "allowinvites",
                    "changesubject", "historylength", "enablelogging", "roomowners", "roomadmins")) {
                assertNotNull(form.getField("muc#roomconfig_" + field), "§15.5.3 form field muc#roomconfig_" + field);
            }
            FillableForm answer = form.getFillableForm();
            answer.setAnswer("muc#roomconfig_roomname", "Fresh ideas");
            answer.setAnswer("muc#roomconfig_roomdesc", "Where new things start");
            answer.setAnswer("muc#roomconfig_moderatedroom", true);
            room.sendConfigurationForm(answer);

            muc(guest, "fresh").join(nick("early"));
            RoomInfo info = MultiUserChatManager.getInstanceFor(guest).getRoomInfo(jid("fresh"));
            assertEquals("Fresh ideas", info.getName());
            assertEquals("Where new things start", info.getDescription());
            assertTrue(info.isModerated());
            assertFalse(info.isPersistent());
            owner.disconnect();
            guest.disconnect();
        }
    }

    @Test
    void xep0045_10_1_3_cancellingTheInitialConfigurationDestroysTheRoom() throws Exception {
        try (TestServer server = TestServer.start(data)) {
            server.createUser("owner");
            XMPPTCPConnection owner = server.login("owner");
            MultiUserChat room = muc(owner, "cancelled");
            room.create(nick("boss"));
            CompletableFuture<Void> destroyed = new CompletableFuture<>();
            room.addUserStatusListener(new UserStatusListener() {
                @Override
                public void roomDestroyed(MultiUserChat alternate, String password, String reason) {
                    destroyed.complete(null);
                }
            });
            MUCOwner cancel = new MUCOwner();
            cancel.setTo(jid("cancelled"));
            cancel.setType(IQ.Type.set);
            cancel.addExtension(DataForm.builder(DataForm.Type.cancel).build());
            owner.sendIqRequestAndWaitForResponse(cancel);
            destroyed.get(10, TimeUnit.SECONDS);
            assertFalse(MultiUserChatManager.getInstanceFor(owner).getRoomsHostedBy(Rooms.service())
                    .containsKey(jid("cancelled")));
            owner.disconnect();
        }
    }

    @Test
    void xep0045_10_9_destroyTellsEveryOccupantTheReasonAndTheAlternateVenue() throws Exception {
        try (TestServer server = TestServer.start(data)) {
            server.createUser("owner");
            server.createUser("guest");
            XMPPTCPConnection owner = server.login("owner");
            XMPPTCPConnection guest = server.login("guest");
            MultiUserChat room = created(owner, "doomed", "boss");
            MultiUserChat seenByGuest = muc(guest, "doomed");
            seenByGuest.join(nick("visitor"));
            CompletableFuture<String> notice = new CompletableFuture<>();
            seenByGuest.addUserStatusListener(new UserStatusListener() {
                @Override
                public void roomDestroyed(MultiUserChat alternate, String password, String reason) {
                    notice.complete(reason + " -> " + (alternate == null ? null : alternate.getRoom()));
                }
            });
            EntityBareJid lobby = jid("lobby");
            room.destroy("moving house", lobby);
            assertEquals("moving house -> " + lobby, notice.get(10, TimeUnit.SECONDS));
            assertFalse(seenByGuest.isJoined());
            XMPPException.XMPPErrorException gone = assertThrows(XMPPException.XMPPErrorException.class,
                    () -> ServiceDiscoveryManager.getInstanceFor(guest).discoverInfo(jid("doomed")));
            assertEquals(StanzaError.Condition.item_not_found, gone.getStanzaError().getCondition());
            owner.disconnect();
            guest.disconnect();
        }
    }

    @Test
    void xep0045_10_9_aDestroyedRoomTakesItsArchiveWithIt() throws Exception {
        try (TestServer server = TestServer.start(data)) {
            server.createUser("keeper");
            XMPPTCPConnection owner = server.login("keeper");
            try {
                MultiUserChat room = loggedRoom(owner, "chronicle");
                room.sendMessage("said before the end");
                assertNotNull(room.nextMessage(10_000));
                MamManager archive = MamManager.getInstanceFor(owner, jid("chronicle"));
                assertTrue(archive.isSupported());
                assertEquals(List.of("said before the end"), archive.queryArchive(MamManager.MamQueryArgs.builder()
                        .build()).getMessages().stream().map(m -> m.getBody()).toList());
                room.destroy("done", null);

                loggedRoom(owner, "chronicle"); // a new room under the old name
                assertTrue(archive.queryArchive(MamManager.MamQueryArgs.builder().build()).getMessages().isEmpty(),
                        "the new room's archive holds nothing of the destroyed one");
            } finally {
                owner.disconnect();
            }
        }
    }

    private static MultiUserChat loggedRoom(XMPPTCPConnection owner, String name) throws Exception {
        MultiUserChat room = muc(owner, name);
        room.create(nick("keeper"));
        FillableForm answer = room.getConfigurationForm().getFillableForm();
        answer.setAnswer("muc#roomconfig_enablelogging", true);
        room.sendConfigurationForm(answer);
        return room;
    }

    @Test
    void persistentRoomsKeepConfigurationAffiliationsAndSubjectAcrossARestartTemporaryRoomsDoNot() throws Exception {
        try (TestServer server = TestServer.start(data)) {
            server.createUser("owner");
            server.createUser("member");
            server.createUser("outcast");
            XMPPTCPConnection owner = server.login("owner");
            MultiUserChat kept = muc(owner, "kept");
            kept.create(nick("boss"));
            FillableForm answer = kept.getConfigurationForm().getFillableForm();
            answer.setAnswer("muc#roomconfig_persistentroom", true);
            answer.setAnswer("muc#roomconfig_membersonly", true);
            answer.setAnswer("muc#roomconfig_roomname", "Kept room");
            answer.setAnswer("muc#roomconfig_historylength", "5");
            kept.sendConfigurationForm(answer);
            kept.grantMembership(JidCreate.bareFrom("member@localhost"));
            kept.banUser(JidCreate.bareFrom("outcast@localhost"), "no");
            kept.changeSubject("remember me");
            created(owner, "fleeting", "boss");
            owner.disconnect();

            server.restart();

            XMPPTCPConnection member = server.login("member");
            MultiUserChatManager manager = MultiUserChatManager.getInstanceFor(member);
            RoomInfo info = manager.getRoomInfo(jid("kept"));
            assertEquals("Kept room", info.getName());
            assertTrue(info.isMembersOnly());
            assertTrue(info.isPersistent());
            assertEquals("remember me", info.getSubject());
            MultiUserChat seenByMember = muc(member, "kept");
            seenByMember.join(nick("m"));
            XMPPException.XMPPErrorException temporary = assertThrows(XMPPException.XMPPErrorException.class,
                    () -> manager.getRoomInfo(jid("fleeting")));
            assertEquals(StanzaError.Condition.item_not_found, temporary.getStanzaError().getCondition(),
                    "a temporary room ends with its last occupant, and with the server");

            XMPPTCPConnection outcast = server.login("outcast");
            XMPPException.XMPPErrorException banned = assertThrows(XMPPException.XMPPErrorException.class,
                    () -> muc(outcast, "kept").join(nick("o")));
            assertEquals(StanzaError.Condition.forbidden, banned.getStanzaError().getCondition(), "the ban survived");

            XMPPTCPConnection ownerAgain = server.login("owner");
            MultiUserChat asOwner = muc(ownerAgain, "kept");
            asOwner.join(nick("boss"));
            assertEquals(List.of(JidCreate.bareFrom("member@localhost")),
                    asOwner.getMembers().stream().map(a -> a.getJid()).toList(), "the member list survived");
            member.disconnect();
            outcast.disconnect();
            ownerAgain.disconnect();
        }
    }

    @Test
    void whenRoomCreationIsForAdminsOthersGetNotAllowed() throws Exception {
        try (TestServer server = TestServer.start(data, s -> s.withMuc(new ServerSettings.Muc(true, "conference",
                List.of(), false, 20, 200, 200)))) {
            server.createUser("alice");
            server.createUser("admin");
            XMPPTCPConnection alice = server.login("alice");
            XMPPException.XMPPErrorException refused = assertThrows(XMPPException.XMPPErrorException.class,
                    () -> muc(alice, "mine").create(nick("a")));
            assertEquals(StanzaError.Condition.not_allowed, refused.getStanzaError().getCondition());
            XMPPTCPConnection admin = server.login("admin");
            created(admin, "official", "root");
            DiscoverInfo info = ServiceDiscoveryManager.getInstanceFor(alice).discoverInfo(jid("official"));
            assertTrue(info.containsFeature("http://jabber.org/protocol/muc"));
            alice.disconnect();
            admin.disconnect();
        }
    }
}
