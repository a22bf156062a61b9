package org.parley.server.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import org.jivesoftware.smack.ConnectionConfiguration.SecurityMode;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.parley.server.ParleyServer;
import org.parley.server.config.ServerSettings;
import org.parley.server.storage.Storage;

/**
 * A real Parley server on ephemeral loopback ports with its own data directory, plus helpers that give
 * Smack clients a trust store holding exactly this server's certificate (no trust-all).
 *
 * <p>Either started directly ({@link #start}, closed by the test) or registered as a JUnit extension for a
 * whole test class: {@code @RegisterExtension static final TestServer server = TestServer.withUsers("alice")}
 * starts it with those accounts before the class and stops it (deleting its data) after.
 */
public final class TestServer implements AutoCloseable, BeforeAllCallback, AfterAllCallback {

    public static final String DOMAIN = "localhost";
    public static final String PASSWORD = "secret-password";

    private final List<String> users;
    private final UnaryOperator<ServerSettings> tweak;
    private Path dataDirectory;
    private ServerSettings settings;
    private ParleyServer server;
    private boolean ownsDirectory;

    private TestServer(List<String> users, UnaryOperator<ServerSettings> tweak) {
        this.users = users;
        this.tweak = tweak;
    }

    private TestServer(Path dataDirectory, ServerSettings settings, UnaryOperator<Storage> storageView)
            throws Exception {
        this(dataDirectory, settings, storageView, org.parley.server.config.ClusterSettings.OFF);
    }

    private TestServer(Path dataDirectory, ServerSettings settings, UnaryOperator<Storage> storageView,
                       org.parley.server.config.ClusterSettings cluster) throws Exception {
        this(List.of(), UnaryOperator.identity());
        this.dataDirectory = dataDirectory;
        this.settings = settings;
        this.server = ParleyServer.start(settings, storageView, cluster);
    }

    /** A node of a cluster (issue 19): the test defaults adjusted by {@code tweak}, joined as {@code cluster} says. */
    public static TestServer startNode(Path dataDirectory, UnaryOperator<ServerSettings> tweak,
                                       org.parley.server.config.ClusterSettings cluster) throws Exception {
        return new TestServer(dataDirectory, tweak.apply(ServerSettings.forTesting(DOMAIN, dataDirectory)),
                UnaryOperator.identity(), cluster);
    }

    /** An extension that starts a server with these accounts (password {@link #PASSWORD}) for a test class. */
    public static TestServer withUsers(String... users) {
        return new TestServer(List.of(users), UnaryOperator.identity());
    }

    /** The same, with the test settings adjusted by {@code tweak}. */
    public static TestServer withSettings(UnaryOperator<ServerSettings> tweak, String... users) {
        return new TestServer(List.of(users), tweak);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        dataDirectory = Files.createTempDirectory("parley-test-");
        ownsDirectory = true;
        settings = tweak.apply(ServerSettings.forTesting(DOMAIN, dataDirectory));
        server = ParleyServer.start(settings);
        users.forEach(this::createUser);
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        close();
    }

    public static TestServer start(Path dataDirectory) throws Exception {
        return start(dataDirectory, UnaryOperator.identity());
    }

    /** Starts with the test defaults, adjusted by {@code tweak}. */
    public static TestServer start(Path dataDirectory, UnaryOperator<ServerSettings> tweak) throws Exception {
        return start(dataDirectory, tweak, UnaryOperator.identity());
    }

    /** The same, with the server's storage seen through {@code storageView} (a store that fails on purpose). */
    public static TestServer start(Path dataDirectory, UnaryOperator<ServerSettings> tweak,
                                   UnaryOperator<Storage> storageView) throws Exception {
        return new TestServer(dataDirectory, tweak.apply(ServerSettings.forTesting(DOMAIN, dataDirectory)),
                storageView);
    }

    public ParleyServer server() {
        return server;
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    /** The settings the server runs with (for components started next to it, e.g. the web gateway). */
    public ServerSettings settings() {
        return settings;
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

    /**
     * Logs {@code username} in, becomes available (RFC 6121 §4.2, which releases offline messages) and returns
     * the bodies of the first {@code count} messages in the order they arrived; fails after 10 s per message.
     */
    public List<String> messagesOnLogin(String username, int count) throws Exception {
        XMPPTCPConnection connection = new XMPPTCPConnection(config(username).build());
        BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
        // A sync listener: Smack calls async listeners concurrently, which would reorder what arrived in order.
        connection.addSyncStanzaListener(s -> inbox.add((Message) s), s -> s instanceof Message);
        try {
            connection.connect().login();
            connection.sendStanza(connection.getStanzaFactory().buildPresenceStanza().build());
            List<String> bodies = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                Message m = inbox.poll(10, TimeUnit.SECONDS);
                if (m == null) {
                    throw new AssertionError(username + " got " + bodies + ", then nothing more within 10 s");
                }
                bodies.add(m.getBody());
            }
            return bodies;
        } finally {
            connection.disconnect();
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        if (ownsDirectory) {
            try (Stream<Path> paths = Files.walk(dataDirectory)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a leftover temporary directory is harmless
            }
        }
    }
}
