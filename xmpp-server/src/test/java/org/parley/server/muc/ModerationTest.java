package org.parley.server.muc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.parley.server.muc.Rooms.created;
import static org.parley.server.muc.Rooms.muc;
import static org.parley.server.muc.Rooms.nick;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.muc.Affiliate;
import org.jivesoftware.smackx.muc.MUCAffiliation;
import org.jivesoftware.smackx.muc.MUCRole;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.UserStatusListener;
import org.jivesoftware.smackx.muc.packet.MUCItem;
import org.jivesoftware.smackx.muc.packet.MUCUser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.Jid;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.testing.TestServer;

/** Roles and affiliations: XEP-0045 §8 (moderator), §9 (admin), §10 (owner). */
class ModerationTest {

    @RegisterExtension
    // Not "admin": that account is a server admin in the test settings, and server admins own every room.
    static final TestServer server = TestServer.withUsers("owner", "deputy", "member", "troll");

    @Test
    void xep0045_8_2_kickAndBanTellTheVictimWhoAndWhy() throws Exception {
        XMPPTCPConnection owner = server.login("owner");
        XMPPTCPConnection troll = server.login("troll");
        try {
            MultiUserChat room = created(owner, "kicks", "boss");
            MultiUserChat seenByTroll = muc(troll, "kicks");
            seenByTroll.join(nick("troll"));
            CompletableFuture<String> kicked = new CompletableFuture<>();
            CompletableFuture<String> banned = new CompletableFuture<>();
            seenByTroll.addUserStatusListener(new UserStatusListener() {
                @Override
                public void kicked(Jid actor, String reason) {
                    kicked.complete(reason);
                }

                @Override
                public void banned(Jid actor, String reason) {
                    banned.complete(reason);
                }
            });
            room.kickParticipant(nick("troll"), "calm down");
            assertEquals("calm down", kicked.get(10, TimeUnit.SECONDS), "status 307 with the reason");
            seenByTroll.join(nick("troll"));
            room.banUser(JidCreate.bareFrom("troll@localhost"), "enough");
            assertEquals("enough", banned.get(10, TimeUnit.SECONDS), "status 301 with the reason");
            XMPPException.XMPPErrorException refused = assertThrows(XMPPException.XMPPErrorException.class,
                    () -> seenByTroll.join(nick("troll")));
            assertEquals(StanzaError.Condition.forbidden, refused.getStanzaError().getCondition());
            assertEquals(List.of(JidCreate.bareFrom("troll@localhost")),
                    room.getOutcasts().stream().map(Affiliate::getJid).toList(), "§9.2 the ban list");
        } finally {
            owner.disconnect();
            troll.disconnect();
        }
    }

    @Test
    void xep0045_9_adminsManageMembersButNotOwnersAndTheLastOwnerCannotLeaveTheRoomOwnerless() throws Exception {
        XMPPTCPConnection owner = server.login("owner");
        XMPPTCPConnection admin = server.login("deputy");
        try {
            MultiUserChat room = created(owner, "hierarchy", "boss");
            room.grantAdmin(JidCreate.bareFrom("deputy@localhost"));
            MultiUserChat seenByAdmin = muc(admin, "hierarchy");
            // The self-presence join() returns (§7.2.2); Smack fills its occupant map from a listener that may lag.
            MUCUser self = MUCUser.from(seenByAdmin.join(nick("deputy")));
            MUCItem item = self.getItem();
            assertEquals(MUCAffiliation.admin, item.getAffiliation());
            assertEquals(MUCRole.moderator, item.getRole(), "§5.1.2: admins moderate");

            seenByAdmin.grantMembership(JidCreate.bareFrom("member@localhost"));
            assertEquals(List.of(JidCreate.bareFrom("member@localhost")),
                    seenByAdmin.getMembers().stream().map(Affiliate::getJid).toList());
            XMPPException.XMPPErrorException notAllowed = assertThrows(XMPPException.XMPPErrorException.class,
                    () -> seenByAdmin.banUser(JidCreate.bareFrom("owner@localhost"), "coup"));
            assertEquals(StanzaError.Condition.not_allowed, notAllowed.getStanzaError().getCondition(),
                    "§9.1: an admin cannot ban an owner");
            XMPPException.XMPPErrorException lastOwner = assertThrows(XMPPException.XMPPErrorException.class,
                    () -> room.revokeOwnership(JidCreate.bareFrom("owner@localhost")));
            assertEquals(StanzaError.Condition.conflict, lastOwner.getStanzaError().getCondition(),
                    "§10.6: the only owner cannot step down");
            XMPPException.XMPPErrorException notOwner = assertThrows(XMPPException.XMPPErrorException.class,
                    seenByAdmin::getConfigurationForm);
            assertEquals(StanzaError.Condition.forbidden, notOwner.getStanzaError().getCondition(),
                    "§10.2: only owners configure");
        } finally {
            owner.disconnect();
            admin.disconnect();
        }
    }
}
