package org.parley.server.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for Hazelcast members in tests. A cluster's member list must be known before its members bind, so the
 * port is chosen first and bound later; a port from {@code new ServerSocket(0)} lies in the kernel's ephemeral
 * range, where any outgoing connection on the machine (a Smack client, a JDBC connection, a parallel build) can
 * take it in between — seen in CI as "Port [41795] is already in use". Ports below that range are only ever
 * bound on purpose, so a free one there stays free unless another test picks the same one.
 */
public final class MemberPorts {

    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private MemberPorts() {
    }

    /** A loopback port below the ephemeral range, free now and not handed out before by this JVM. */
    public static int free() throws IOException {
        int high = ephemeralLow() - 1;
        int low = Math.max(1024, high - 12_000);
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(low, high + 1);
            if (!HANDED_OUT.add(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            } catch (IOException inUse) {
                // taken: try another
            }
        }
        throw new IOException("no free port below the ephemeral range after 200 tries");
    }

    private static int ephemeralLow() {
        try {
            // readLine, not Files.readString: a /proc file reports size 0 and readString returned only "3" here
            String range;
            try (var in = Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
                range = in.readLine().trim();
            }
            int low = Integer.parseInt(range.split("\\s+")[0]);
            return low > 2_048 ? low : 32_768;
        } catch (IOException | RuntimeException e) {
            return 32_768; // Linux's default; elsewhere (49 152 on macOS and Windows) this range is still outside it
        }
    }
}
