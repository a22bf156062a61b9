package org.parley.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.Collections;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.gateway.testing.RawBosh;
import org.parley.gateway.testing.RawWebSocket;
import org.parley.gateway.testing.TestGateway;
import org.parley.server.config.ServerSettings;

/**
 * The SASL rule of the TCP listener holds over HTTP ({@code StreamTransport.isSecure()}): plain HTTP counts as
 * secure only from loopback, so PLAIN is offered there (and over HTTPS) but not to a client on the network,
 * which, with STARTTLS required (the default), gets no mechanism at all. Run against the machine's own
 * non-loopback address; skipped on a machine that has none.
 */
class TransportSecurityTest {

    /** Everything on every interface, STARTTLS required as by default. */
    @RegisterExtension
    static final TestGateway strict = TestGateway.withSettings(onAllInterfaces(c -> c), "alice");

    /** The same with c2s.starttls-required = false: SCRAM for network clients, still no PLAIN. */
    @RegisterExtension
    static final TestGateway relaxed = TestGateway.withSettings(onAllInterfaces(
            c -> new ServerSettings.C2s(c.bindAddress(), c.port(), false, c.directTlsPort())), "alice");

    private static String networkAddress;

    private static UnaryOperator<ServerSettings> onAllInterfaces(UnaryOperator<ServerSettings.C2s> c2s) {
        return s -> s.withC2s(c2s.apply(s.c2s())).withHttp(new ServerSettings.Http("0.0.0.0", 0));
    }

    @BeforeAll
    static void findNetworkAddress() throws Exception {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nic.isUp() || nic.isLoopback()) {
                continue;
            }
            for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                if (address instanceof Inet4Address && !address.isLoopbackAddress() && !address.isLinkLocalAddress()) {
                    networkAddress = address.getHostAddress();
                    return;
                }
            }
        }
    }

    private static URI bosh(TestGateway gateway, String host) {
        return URI.create("http://" + host + ":" + gateway.gateway().httpPort() + "/http-bind");
    }

    private static URI webSocket(TestGateway gateway, String host) {
        return URI.create("ws://" + host + ":" + gateway.gateway().httpPort() + "/xmpp-websocket");
    }

    private static String webSocketFeatures(URI uri) throws Exception {
        try (RawWebSocket ws = RawWebSocket.connect(uri)) {
            ws.send(RawWebSocket.OPEN);
            return ws.awaitMessage("</stream:features>");
        }
    }

    @Test
    void loopbackClientsGetPlain() throws Exception {
        assertTrue(new RawBosh(bosh(strict, "127.0.0.1")).create(5, 1, "").contains("<mechanism>PLAIN</mechanism>"));
        assertTrue(webSocketFeatures(webSocket(strict, "127.0.0.1")).contains("<mechanism>PLAIN</mechanism>"));
    }

    @Test
    void networkClientsOverPlainHttpCannotLogInWhenStarttlsIsRequired() throws Exception {
        assumeTrue(networkAddress != null, "no non-loopback address on this machine");
        RawBosh bosh = new RawBosh(bosh(strict, networkAddress));
        String creation = bosh.create(5, 1, "");
        assertFalse(creation.contains("<mechanisms"), creation);
        String refused = bosh.next("", "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>"
                + "biwsbj1hbGljZSxyPWFiYw==</auth>");
        assertEquals("remote-stream-error", RawBosh.attribute(refused, "condition"), refused);
        assertTrue(refused.contains("<policy-violation"), refused);
        assertFalse(webSocketFeatures(webSocket(strict, networkAddress)).contains("<mechanisms"));
    }

    @Test
    void networkClientsOverPlainHttpGetScramButNeverPlain() throws Exception {
        assumeTrue(networkAddress != null, "no non-loopback address on this machine");
        String creation = new RawBosh(bosh(relaxed, networkAddress)).create(5, 1, "");
        assertTrue(creation.contains("<mechanism>SCRAM-SHA-256</mechanism>"), creation);
        assertFalse(creation.contains("PLAIN"), creation);
        String features = webSocketFeatures(webSocket(relaxed, networkAddress));
        assertTrue(features.contains("<mechanism>SCRAM-SHA-1</mechanism>"), features);
        assertFalse(features.contains("PLAIN"), features);
    }

    @Test
    void sessionStartedOnLoopbackCannotBeContinuedFromTheNetwork() throws Exception {
        assumeTrue(networkAddress != null, "no non-loopback address on this machine");
        RawBosh local = new RawBosh(bosh(strict, "127.0.0.1"));
        local.create(5, 1, "");
        local.login("alice", "local");
        HttpResponse<String> remote = local.via(bosh(strict, networkAddress), RawBosh.http())
                .post(local.body(local.rid(), "", ""));
        assertEquals(403, remote.statusCode(), "a secure session stays on secure connections");
    }
}
