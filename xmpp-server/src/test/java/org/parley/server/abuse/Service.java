package org.parley.server.abuse;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.parley.server.testing.RawClient;

/** Checks the abuse tests make while an attack runs: service to other users continues. */
public final class Service {

    private static int pings;

    private Service() {
    }

    /**
     * An XMPP ping (XEP-0199) on {@code client}'s session is answered within three seconds: generous, because
     * the test machine is shared, yet far below what a server wedged by the attack would take.
     */
    public static void pingStaysFast(RawClient client) throws Exception {
        String id = "ping-" + (++pings);
        client.clear();
        long started = System.nanoTime();
        client.send("<iq type='get' id='" + id + "' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
        client.await(id, Duration.ofSeconds(5));
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertTrue(millis < 3000, "another user's ping took " + millis + " ms");
    }
}
