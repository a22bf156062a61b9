package org.parley.server.testing;

import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.function.UnaryOperator;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import org.jivesoftware.smack.ConnectionConfiguration.SecurityMode;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;
import org.parley.server.ParleyServer;
import org.parley.server.config.ServerSettings;

/**
 * A real Parley server on ephemeral loopback ports with its own data directory, plus helpers that give
 * Smack clients a trust store holding exactly this server's certificate (no trust-all).
 */
public final class TestServer implements AutoCloseable {

    public static final String DOMAIN = "localhost";
    public static final String PASSWORD = "secret-password";

    private final Path dataDirectory;
    private final ServerSettings settings;
    private ParleyServer server;

    private TestServer(Path dataDirectory, ServerSettings settings) throws Exception {
        this.dataDirectory = dataDirectory;
        this.settings = settings;
        this.server = ParleyServer.start(settings);
    }

    public static TestServer start(Path dataDirectory) throws Exception {
        return start(dataDirectory, UnaryOperator.identity());
    }

    /** Starts with the test defaults, adjusted by {@code tweak}. */
    public static TestServer start(Path dataDirectory, UnaryOperator<ServerSettings> tweak) throws Exception {
        return new TestServer(dataDirectory, tweak.apply(ServerSettings.forTesting(DOMAIN, dataDirectory)));
    }

    public ParleyServer server() {
        return server;
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    /** Stops and starts again on the same data directory (new ports). */
    public void restart() throws Exception {
        server.close();
        server = ParleyServer.start(settings);
    }

    /** Creates an account with {@link #PASSWORD}. */
    public void createUser(String username) {
        server.accounts().create(username, PASSWORD);
    }

    public X509TrustManager trustManager() {
        return trustManagerFor(server.certificate());
    }

    public SSLContext clientSslContext() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new javax.net.ssl.TrustManager[] {trustManager()}, null);
            return context;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static X509TrustManager trustManagerFor(X509Certificate certificate) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            store.setCertificateEntry("parley", certificate);
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            return (X509TrustManager) factory.getTrustManagers()[0];
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A STARTTLS-required Smack configuration for {@code username}. */
    public XMPPTCPConnectionConfiguration.Builder config(String username) {
        try {
            return XMPPTCPConnectionConfiguration.builder()
                    .setXmppDomain(DOMAIN)
                    .setHost("127.0.0.1")
                    .setPort(server.c2sPort())
                    .setSecurityMode(SecurityMode.required)
                    .setCustomX509TrustManager(trustManager())
                    .setUsernameAndPassword(username, PASSWORD)
                    .setSendPresence(false)
                    .setConnectTimeout(10_000);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A connected, logged-in client for an existing user. */
    public XMPPTCPConnection login(String username) throws Exception {
        return login(config(username).build());
    }

    public XMPPTCPConnection login(String username, String resource) throws Exception {
        return login(config(username).setResource(resource).build());
    }

    public static XMPPTCPConnection login(XMPPTCPConnectionConfiguration configuration) throws Exception {
        XMPPTCPConnection connection = new XMPPTCPConnection(configuration);
        connection.setReplyTimeout(10_000);
        connection.connect().login();
        return connection;
    }

    @Override
    public void close() {
        server.close();
    }
}
