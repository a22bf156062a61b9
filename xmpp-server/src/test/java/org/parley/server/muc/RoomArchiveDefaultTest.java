package org.parley.server.muc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.parley.server.muc.Rooms.created;
import static org.parley.server.muc.Rooms.jid;

import java.nio.file.Path;
import java.util.List;

import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.disco.ServiceDiscoveryManager;
import org.jivesoftware.smackx.mam.MamManager;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.xdata.form.FillableForm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.config.ServerSettings;
import org.parley.server.testing.TestServer;

/**
 * New rooms are archived unless {@code muc.archive-by-default = false}: clients look for a room's history in its
 * archive (XEP-0313 §4.1.2, "Advanced Group Chat" of XEP-0479) only when the room's disco#info lists
 * {@code urn:xmpp:mam:2}, which is what the Conversations compliance tester's {@code xep0313muc} checks.
 */
class RoomArchiveDefaultTest {

    private static final String MAM2 = "urn:xmpp:mam:2";

    @TempDir
    Path data;

    @Test
    void xep0313_aNewInstantRoomIsArchivedAndSaysSoInDiscoInfo() throws Exception {
        try (TestServer server = TestServer.start(data)) {
            server.createUser("alice");
            XMPPTCPConnection alice = server.login("alice");
            try {
                MultiUserChat room = created(alice, "archived", "alice");
                assertTrue(ServiceDiscoveryManager.getInstanceFor(alice).discoverInfo(jid("archived"))
                        .containsFeature(MAM2), "a new room advertises its archive");
                assertTrue(room.getConfigurationForm().getField("muc#roomconfig_enablelogging")
                        .getFirstValue().matches("1|true"), "the owner sees logging on and may turn it off");

                room.sendMessage("kept for later");
                assertEquals("kept for later", nextBody(room), "the room reflected it (after the empty subject)");
                MamManager archive = MamManager.getInstanceFor(alice, jid("archived"));
                assertTrue(archive.isSupported()); // Smack learns the MAM version from disco here
                assertEquals(List.of("kept for later"), archive.queryArchive(MamManager.MamQueryArgs.builder()
                        .build()).getMessages().stream().map(m -> m.getBody()).toList());

                // The owner turns logging off: the feature goes with it (XEP-0045 §10.2 enablelogging).
                FillableForm off = room.getConfigurationForm().getFillableForm();
                off.setAnswer("muc#roomconfig_enablelogging", false);
                room.sendConfigurationForm(off);
                assertFalse(ServiceDiscoveryManager.getInstanceFor(alice).discoverInfo(jid("archived"))
                        .containsFeature(MAM2));
            } finally {
                alice.disconnect();
            }
        }
    }

    private static String nextBody(MultiUserChat room) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        for (long left = 10_000; left > 0; left = deadline - System.currentTimeMillis()) {
            org.jivesoftware.smack.packet.Message m = room.nextMessage(left);
            if (m == null || m.getBody() != null) {
                return m == null ? null : m.getBody();
            }
        }
        return null;
    }

    @Test
    void withArchiveByDefaultOffANewRoomIsNotArchived() throws Exception {
        try (TestServer server = TestServer.start(data, s -> s.withMuc(new ServerSettings.Muc(true, "conference",
                List.of("lobby"), true, 20, 200, 200, false)))) {
            server.createUser("bob");
            XMPPTCPConnection bob = server.login("bob");
            try {
                created(bob, "unlogged", "bob");
                assertFalse(ServiceDiscoveryManager.getInstanceFor(bob).discoverInfo(jid("unlogged"))
                        .containsFeature(MAM2));
                assertTrue(ServiceDiscoveryManager.getInstanceFor(bob).discoverInfo(jid("lobby"))
                        .containsFeature(MAM2), "the configured rooms are archived whatever the default");
            } finally {
                bob.disconnect();
            }
        }
    }
}
