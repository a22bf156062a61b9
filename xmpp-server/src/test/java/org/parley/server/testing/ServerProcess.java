package org.parley.server.testing;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.ConnectionConfiguration.SecurityMode;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;
import org.parley.server.ParleyServer;
import org.parley.server.config.ClusterSettings;
import org.parley.server.config.ServerSettings;
import org.parley.server.config.ServerSettings.StorageSettings;

/**
 * A Parley server in a child JVM, for tests that must kill it the hard way ({@code kill -9}: nothing of the
 * server's shutdown runs). The child runs {@link #main} with the test defaults of {@link TestServer} on a
 * given data directory (and optionally a JDBC URL), creates the accounts it is told to, and reports its
 * port and certificate on standard output; its log goes to {@code <data>/../server-N.log}.
 */
public final class ServerProcess implements AutoCloseable {

    private static final String READY = "PARLEY-READY ";
    /** System property of the child: a cluster node's settings, ';'-separated (see {@link #startNode}). */
    private static final String CLUSTER = "parley.test.cluster";

    private final Process process;
    private final int c2sPort;
    private final X509Certificate certificate;
    private final Path log;

    private ServerProcess(Process process, int c2sPort, X509Certificate certificate, Path log) {
        this.process = process;
        this.c2sPort = c2sPort;
        this.certificate = certificate;
        this.log = log;
    }

    /**
     * Starts a server JVM and waits until it accepts connections.
     *
     * @param jdbcUrl null for the embedded database in the data directory
     * @param users   accounts to create (password {@link TestServer#PASSWORD}) if they do not exist
     */
    public static ServerProcess start(Path dataDirectory, String jdbcUrl, String jdbcUser, List<String> users)
            throws IOException, InterruptedException {
        return launch(dataDirectory, jdbcUrl, jdbcUser, users, List.of());
    }

    /**
     * Starts a cluster node (issue 19) in its own JVM on the shared PostgreSQL {@code database}, joined as
     * {@code cluster} says, and waits until it accepts connections: a node that a test can SIGKILL.
     */
    public static ServerProcess startNode(Path dataDirectory, StorageSettings database, ClusterSettings cluster)
            throws IOException, InterruptedException {
        String spec = String.join(";", cluster.name(), cluster.bindAddress(), Integer.toString(cluster.port()),
                String.join(",", cluster.members()), Long.toString(cluster.failureTimeout().toMillis()),
                Integer.toString(cluster.minMembers()));
        return launch(dataDirectory, database.jdbcUrl(), database.user(), List.of(), List.of("-D" + CLUSTER + "=" + spec));
    }

    private static ServerProcess launch(Path dataDirectory, String jdbcUrl, String jdbcUser, List<String> users,
                                        List<String> properties) throws IOException, InterruptedException {
        Path log = Files.createTempFile(dataDirectory.getParent(), "server-", ".log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        command.addAll(properties);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                ServerProcess.class.getName(), dataDirectory.toString(), String.join(",", users)));
        if (jdbcUrl != null) {
            command.add(jdbcUrl);
            command.add(jdbcUser);
        }
        Process process = new ProcessBuilder(command).redirectError(Redirect.appendTo(log.toFile())).start();
        CompletableFuture<String> ready = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    if (line.startsWith(READY)) {
                        ready.complete(line.substring(READY.length()));
                    }
                }
            } catch (IOException e) {
                // the process is gone
            }
            ready.completeExceptionally(new IOException("the server process ended before it was ready"));
        }, "server-process-out");
        reader.setDaemon(true);
        reader.start();
        try {
            String[] fields = ready.get(60, TimeUnit.SECONDS).split(" ");
            X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(fields[1])));
            return new ServerProcess(process, Integer.parseInt(fields[0]), certificate, log);
        } catch (Exception e) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            throw new IOException("server process did not start: " + e + "; its log:\n" + Files.readString(log), e);
        }
    }

    public int c2sPort() {
        return c2sPort;
    }

    /** The server's log (standard error) so far, for failure messages. */
    public String log() throws IOException {
        return Files.readString(log);
    }

    /** A STARTTLS-required Smack configuration for {@code username}. */
    public XMPPTCPConnectionConfiguration.Builder config(String username) throws IOException {
        return XMPPTCPConnectionConfiguration.builder()
                .setXmppDomain(TestServer.DOMAIN)
                .setHost("127.0.0.1")
                .setPort(c2sPort)
                .setSecurityMode(SecurityMode.required)
                .setCustomX509TrustManager(TestServer.trustManagerFor(certificate))
                .setUsernameAndPassword(username, TestServer.PASSWORD)
                .setSendPresence(false)
                .setConnectTimeout(10_000);
    }

    /** SIGKILL on Linux ({@link Process#destroyForcibly()}): no shutdown hook, no close, no flush. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the killed server process did not end");
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }

    /**
     * The child: args are the data directory, comma-separated accounts, and optionally a JDBC URL and user;
     * the system property {@value #CLUSTER} makes it a cluster node.
     */
    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        ServerSettings settings = ServerSettings.forTesting(TestServer.DOMAIN, data);
        if (args.length > 3) {
            settings = settings.withStorage(new StorageSettings(args[2], args[3], "", 4));
        }
        String cluster = System.getProperty(CLUSTER);
        ParleyServer server;
        if (cluster == null) {
            server = ParleyServer.start(settings);
        } else {
            String[] c = cluster.split(";", -1);
            server = ParleyServer.start(settings, new ClusterSettings(true, c[0], c[1], Integer.parseInt(c[2]),
                    List.of(c[3].split(",")), "tcp-ip", null, Duration.ofMillis(Long.parseLong(c[4])),
                    Integer.parseInt(c[5])));
        }
        for (String user : args[1].split(",")) {
            if (!user.isEmpty() && !server.accounts().exists(user)) {
                server.accounts().create(user, TestServer.PASSWORD);
            }
        }
        PrintStream out = System.out;
        out.println(READY + server.c2sPort() + " " + encoded(server.certificate()));
        out.flush();
        Thread.currentThread().join(); // until killed
    }

    private static String encoded(X509Certificate certificate) throws CertificateException {
        return Base64.getEncoder().encodeToString(certificate.getEncoded());
    }
}
