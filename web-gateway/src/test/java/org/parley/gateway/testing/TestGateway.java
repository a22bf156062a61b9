package org.parley.gateway.testing;

import java.net.URI;
import java.util.List;
import java.util.function.UnaryOperator;

import org.jivesoftware.smack.ConnectionConfiguration.SecurityMode;
import org.jivesoftware.smack.bosh.BOSHConfiguration;
import org.jivesoftware.smack.bosh.XMPPBOSHConnection;
import org.jivesoftware.smack.c2s.ModularXmppClientToServerConnection;
import org.jivesoftware.smack.c2s.ModularXmppClientToServerConnectionConfiguration;
import org.jivesoftware.smack.websocket.XmppWebSocketTransportModuleDescriptor;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.parley.gateway.WebGateway;
import org.parley.server.config.ServerSettings;
import org.parley.server.storage.RosterEntry;
import org.parley.server.testing.TestServer;

/**
 * A real Parley server ({@link TestServer}, from the xmpp-server test jar) with the real web gateway beside
 * it, on ephemeral loopback ports, for a whole test class:
 * {@code @RegisterExtension static final TestGateway gateway = TestGateway.withUsers("alice")}. Also builds
 * Smack BOSH and WebSocket clients for it.
 */
public final class TestGateway implements BeforeAllCallback, AfterAllCallback {

    private final TestServer server;
    private WebGateway gateway;

    private TestGateway(TestServer server) {
        this.server = server;
    }

    public static TestGateway withUsers(String... users) {
        return new TestGateway(TestServer.withUsers(users));
    }

    /** The same, with the test settings adjusted by {@code tweak}. */
    public static TestGateway withSettings(UnaryOperator<ServerSettings> tweak, String... users) {
        return new TestGateway(TestServer.withSettings(tweak, users));
    }

    /** {@code tweak} for test settings with other HTTP settings. */
    public static UnaryOperator<ServerSettings> http(UnaryOperator<ServerSettings.Http> change) {
        return s -> s.withHttp(change.apply(s.http()));
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        server.beforeAll(context);
        gateway = WebGateway.start(server.server(), server.settings());
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        server.server().close(); // first, so web clients are told system-shutdown through the gateway
        gateway.close();
        server.afterAll(context);
    }

    /**
     * Restarts the server (every session ends with {@code system-shutdown}; XMPP ports change) and the gateway on
     * the same HTTP port, so that a page loaded from it can reconnect.
     */
    public void restart() throws Exception {
        int port = gateway.httpPort();
        server.server().close();
        gateway.close();
        server.restart();
        ServerSettings.Http http = server.settings().http();
        gateway = WebGateway.start(server.server(), server.settings().withHttp(
                new ServerSettings.Http(http.bindAddress(), port, http.tlsPort(), http.allowedOrigins(), http.bosh())));
    }

    public TestServer server() {
        return server;
    }

    public WebGateway gateway() {
        return gateway;
    }

    public URI boshUri() {
        return URI.create("http://127.0.0.1:" + gateway.httpPort() + "/http-bind");
    }

    public URI webSocketUri() {
        return URI.create("ws://127.0.0.1:" + gateway.httpPort() + "/xmpp-websocket");
    }

    public URI httpUri(String path) {
        return URI.create("http://127.0.0.1:" + gateway.httpPort() + path);
    }

    /** On the HTTPS port (http.tls-port must be on); 127.0.0.1 is in the generated certificate. */
    public URI httpsUri(String path) {
        return URI.create("https://127.0.0.1:" + gateway.httpsPort() + path);
    }

    /** Mutual presence subscription between two existing users, written straight to the store. */
    public void befriend(String a, String b) {
        var rosters = server.server().storage().rosters();
        rosters.put(a, new RosterEntry(b + "@" + TestServer.DOMAIN, null, "both", false, false, false, List.of()));
        rosters.put(b, new RosterEntry(a + "@" + TestServer.DOMAIN, null, "both", false, false, false, List.of()));
    }

    /** A logged-in Smack BOSH client (plain HTTP on loopback, which the server treats as secure). */
    public XMPPBOSHConnection boshLogin(String user) throws Exception {
        BOSHConfiguration config = BOSHConfiguration.builder()
                .setXmppDomain(TestServer.DOMAIN)
                .setHost("localhost") // an IP literal becomes "/127.0.0.1" in Smack 4.5's BOSH URI
                .setPort(gateway.httpPort())
                .setFile("/http-bind")
                .setUseHttps(false)
                .setSecurityMode(SecurityMode.disabled)
                .setUsernameAndPassword(user, TestServer.PASSWORD)
                .setResource("bosh")
                .setSendPresence(false)
                .build();
        XMPPBOSHConnection connection = new XMPPBOSHConnection(config);
        connection.setReplyTimeout(10_000);
        connection.connect().login();
        return connection;
    }

    /** A logged-in Smack RFC 7395 WebSocket client (ws:// on loopback). */
    public ModularXmppClientToServerConnection webSocketLogin(String user) throws Exception {
        ModularXmppClientToServerConnectionConfiguration.Builder builder =
                ModularXmppClientToServerConnectionConfiguration.builder();
        builder.removeAllModules();
        builder.addModule(XmppWebSocketTransportModuleDescriptor.getBuilder(builder)
                .explicitlySetWebSocketEndpointAndDiscovery(webSocketUri(), false)
                .build());
        ModularXmppClientToServerConnectionConfiguration config = builder
                .setXmppDomain(TestServer.DOMAIN)
                .setSecurityMode(SecurityMode.disabled)
                .setUsernameAndPassword(user, TestServer.PASSWORD)
                .setResource("websocket")
                .setSendPresence(false)
                .build();
        ModularXmppClientToServerConnection connection = new ModularXmppClientToServerConnection(config);
        connection.setReplyTimeout(10_000);
        connection.connect().login();
        return connection;
    }
}
