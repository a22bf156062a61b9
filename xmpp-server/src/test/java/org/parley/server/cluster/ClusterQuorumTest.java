package org.parley.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.junit.jupiter.api.Test;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;
import org.parley.server.config.ClusterSettings;
import org.parley.server.config.ServerSettings;
import org.parley.server.testing.TestPostgres;
import org.parley.server.testing.TestServer;

/**
 * Split-brain protection (issue 19, cluster.min-members): two nodes with min-members = 2; once one is lost the
 * other is a minority and hosts no rooms, so a room can never have two hosts; 1:1 chat goes on.
 */
class ClusterQuorumTest {

    @Test
    void aMinoritySideHostsNoRooms() throws Exception {
        ServerSettings.StorageSettings db = TestPostgres.newDatabase();
        int p1 = freePort();
        int p2 = freePort();
        List<String> members = List.of("127.0.0.1:" + p1, "127.0.0.1:" + p2);
        String name = "parley-quorum-" + p1;
        List<Path> dirs = new ArrayList<>();
        TestServer n1 = node(db, name, p1, members, dirs);
        TestServer n2 = node(db, name, p2, members, dirs);
        try {
            await(() -> n1.server().cluster().hazelcast().getCluster().getMembers().size() == 2);
            n1.createUser("alice");
            n1.createUser("bob");
            XMPPTCPConnection alice = n1.login("alice", "desk");
            XMPPTCPConnection bob = n2.login("bob", "phone");
            String bobsNode = n2.server().cluster().memberId();
            await(() -> n1.server().cluster().allRoutes().values().stream().flatMap(r -> r.routes().stream())
                    .anyMatch(r -> r.member().equals(bobsNode)));
            MultiUserChatManager rooms = MultiUserChatManager.getInstanceFor(alice);
            rooms.getMultiUserChat(JidCreate.entityBareFrom("before@conference.localhost"))
                    .createOrJoin(Resourcepart.from("alice"));

            n2.server().cluster().hazelcast().getLifecycleService().terminate();
            n2.close();
            await(() -> n1.server().cluster().hazelcast().getCluster().getMembers().size() == 1);

            MultiUserChat after = rooms.getMultiUserChat(JidCreate.entityBareFrom("after@conference.localhost"));
            XMPPException.XMPPErrorException refused = assertThrows(XMPPException.XMPPErrorException.class,
                    () -> after.join(Resourcepart.from("alice")));
            assertEquals(StanzaError.Condition.service_unavailable, refused.getStanzaError().getCondition(),
                    "one node of two is below min-members: it hosts no room");
            assertEquals(1, n1.server().cluster().routesOf(new org.apache.vysper.xmpp.addressing.EntityImpl("alice",
                    "localhost", null)).size(), "routes are kept on a minority side: 1:1 chat goes on");
            String lost = n2.server().cluster().memberId();
            await(() -> n1.server().cluster().allRoutes().values().stream().flatMap(r -> r.routes().stream())
                    .noneMatch(r -> r.member().equals(lost)));
            alice.disconnect();
            bob.disconnect();
        } finally {
            n1.close();
            n2.close();
            for (Path dir : dirs) {
                try (var paths = Files.walk(dir)) {
                    paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    private static TestServer node(ServerSettings.StorageSettings db, String name, int port, List<String> members,
                                   List<Path> dirs) throws Exception {
        Path dir = Files.createTempDirectory("parley-quorum-");
        dirs.add(dir);
        return TestServer.startNode(dir, s -> s.withStorage(db),
                ClusterSettings.loopback(name, port, members, Duration.ofSeconds(3), 2));
    }

    private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 30 s");
            }
            Thread.sleep(20);
        }
    }

    private static int freePort() throws java.io.IOException {
        return org.parley.server.testing.MemberPorts.free();
    }
}
