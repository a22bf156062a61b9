package org.parley.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Parley on PostgreSQL as one node or as a cluster of {@code n} nodes on this machine (issue 19), each node its
 * own JVM started by {@code ./parley} like {@link ParleyServer}, all on one database of the shared throwaway
 * {@link Postgres}. Client number i connects to node i mod n (round robin), so a 1:1 pair (u2k, u2k+1) is split
 * across two nodes and a room's occupants alternate between them. The server's CPU is every node's.
 */
final class ParleyNodes extends Server {
    private final List<ParleyServer> nodes = new ArrayList<>();

    ParleyNodes(int n, Path dir, Path repo, List<String> jvmFlags, boolean archiveAll, String jdbcUrl)
            throws IOException {
        super(n == 1 ? "Parley 1 node" : "Parley " + n + " nodes", dir);
        List<Integer> memberPorts = new ArrayList<>();
        List<String> members = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int port = freePort();
            memberPorts.add(port);
            members.add("127.0.0.1:" + port);
        }
        for (int i = 0; i < n; i++) {
            List<String> settings = new ArrayList<>(List.of("storage.jdbc-url=" + jdbcUrl, "storage.user=" + Postgres.USER));
            if (n > 1) {
                settings.addAll(List.of("cluster.enabled=true", "cluster.name=bench-" + memberPorts.get(0),
                        "cluster.port=" + memberPorts.get(i), "cluster.members=" + String.join(",", members)));
            }
            nodes.add(new ParleyServer(name + " #" + (i + 1), dir.resolve("node" + (i + 1)), repo, jvmFlags, archiveAll,
                    settings));
        }
    }

    @Override
    void prepare() {
        nodes.forEach(ParleyServer::prepare);
    }

    @Override
    List<String> command() {
        throw new UnsupportedOperationException("started node by node");
    }

    @Override
    String version() {
        return nodes.get(0).version() + (nodes.size() > 1 ? ", " + nodes.size() + " nodes on embedded Hazelcast" : "")
                + ", PostgreSQL";
    }

    /**
     * Node 1 first, then each next one once the previous accepts connections (a node that starts alone forms its
     * own cluster and merges only seconds later, while one that starts after its peer joins it at once); returns
     * once the last one accepts them too.
     */
    @Override
    long start() throws IOException {
        long t0 = 0;
        for (int i = 0; i < nodes.size(); i++) {
            ParleyServer node = nodes.get(i);
            long t = node.start();
            t0 = i == 0 ? t : t0;
            awaitPort(node);
        }
        return t0;
    }

    private static void awaitPort(ParleyServer node) throws IOException {
        long deadline = System.nanoTime() + 180_000_000_000L; // a JVM start on a loaded shared machine
        while (System.nanoTime() < deadline) {
            if (!node.alive()) {
                throw new IOException(node.name + " exited:\n" + node.tailOfLog());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", node.c2sPort), 1000);
                return;
            } catch (IOException e) {
                Scenarios.sleepUntil(System.nanoTime() + 100_000_000L); // polling a starting node's port
            }
        }
        throw new IOException(node.name + " did not start:\n" + node.tailOfLog());
    }

    /** Node {@code client mod n}. */
    @Override
    Server forClient(int client) {
        return nodes.get(Math.floorMod(client, nodes.size()));
    }

    @Override
    long pid() {
        return nodes.get(0).pid();
    }

    @Override
    List<Long> pids() {
        return nodes.stream().map(Server::pid).toList();
    }

    @Override
    boolean alive() {
        return nodes.stream().allMatch(Server::alive);
    }

    @Override
    void stop() {
        for (int i = nodes.size() - 1; i >= 0; i--) {
            nodes.get(i).stop();
        }
    }

    @Override
    void kill() {
        nodes.forEach(Server::kill);
    }

    @Override
    String tailOfLog() {
        StringBuilder b = new StringBuilder();
        for (ParleyServer node : nodes) {
            b.append("--- ").append(node.name).append('\n').append(node.tailOfLog()).append('\n');
        }
        return b.toString();
    }
}
