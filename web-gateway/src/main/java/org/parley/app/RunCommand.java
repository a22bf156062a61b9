package org.parley.app;

import java.io.PrintWriter;
import java.security.MessageDigest;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import org.parley.app.logging.LoggingSetup;
import org.parley.server.config.ServerSettings;
import org.parley.server.config.SettingsLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code parley run}: starts the server, tells the operator where it listens, and stays up until the
 * process is told to stop (SIGTERM or Ctrl-C), then shuts down cleanly.
 */
@Command(name = "run", mixinStandardHelpOptions = true, versionProvider = ParleyVersion.class,
        description = "Start the server (the default command). Stops cleanly on SIGTERM or Ctrl-C.")
final class RunCommand implements Callable<Integer> {

    private final CliContext context;

    @Mixin
    SettingsOptions options;

    @Option(names = "--c2s-port", paramLabel = "PORT", description = "STARTTLS client port (setting c2s.port).")
    Integer c2sPort;

    @Option(names = "--direct-tls-port", paramLabel = "PORT",
            description = "Direct TLS client port, -1 to disable (setting c2s.direct-tls-port).")
    Integer directTlsPort;

    @Option(names = "--http-port", paramLabel = "PORT", description = "HTTP port, -1 to disable (setting http.port).")
    Integer httpPort;

    @Option(names = "--node", paramLabel = "N",
            description = "Run as node N (1-9) of a cluster on this machine, for a trial (README \"Cluster\"):"
                    + " cluster.enabled, cluster.port + N - 1, cluster.members 127.0.0.1 x3 unless set, and every"
                    + " listening port that is on shifted by 10 x (N - 1). Needs a PostgreSQL storage.jdbc-url.")
    Integer node;

    @Spec
    CommandSpec spec;

    RunCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws Exception {
        Map<String, String> ports = new LinkedHashMap<>();
        if (c2sPort != null) {
            ports.put("c2s.port", c2sPort.toString());
        }
        if (directTlsPort != null) {
            ports.put("c2s.direct-tls-port", directTlsPort.toString());
        }
        if (httpPort != null) {
            ports.put("http.port", httpPort.toString());
        }
        SettingsLoader.Loaded loaded = options.load(context, ports);
        if (node != null) {
            if (node < 1 || node > 9) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--node: a number 1-9");
            }
            ports.putAll(nodeOverrides(loaded, node));
            loaded = options.load(context, ports);
        }
        LoggingSetup.apply(loaded.logging());

        PrintWriter out = spec.commandLine().getOut();
        ServerHandle server = context.launcher().start(loaded.server(), loaded.cluster());
        try {
            // The start-up log lines (standard error) are written by now; flushing both streams before the summary
            // and printing the summary as one block keeps it together, after them, on a terminal showing both.
            System.err.flush();
            out.print(summary(loaded.server(), server));
            out.flush();
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        context.shutdown().await(() -> {
            server.close();
            out.println("Parley stopped");
            out.flush();
        });
        return 0;
    }

    /** {@code --node N}: cluster mode on this machine, node N's ports shifted so that nodes 1-9 fit side by side. */
    static Map<String, String> nodeOverrides(SettingsLoader.Loaded loaded, int n) {
        ServerSettings s = loaded.server();
        int shift = 10 * (n - 1);
        Map<String, String> o = new LinkedHashMap<>();
        o.put("cluster.enabled", "true");
        int base = loaded.cluster().port();
        o.put("cluster.port", Integer.toString(base + n - 1));
        if (loaded.cluster().members().isEmpty()) {
            o.put("cluster.members", "127.0.0.1:" + base + ",127.0.0.1:" + (base + 1) + ",127.0.0.1:" + (base + 2));
        }
        java.util.function.BiConsumer<String, Integer> shifted = (key, port) -> {
            if (port > 0) {
                o.put(key, Integer.toString(port + shift));
            }
        };
        shifted.accept("c2s.port", s.c2s().port());
        shifted.accept("c2s.direct-tls-port", s.c2s().directTlsPort());
        shifted.accept("http.port", s.http().port());
        shifted.accept("http.tls-port", s.http().tlsPort());
        shifted.accept("proxy.port", s.mobile().proxy().port());
        shifted.accept("components.port", s.components().port());
        return o;
    }

    /** What {@code parley run} prints once the server is up: one line per fact. */
    static String summary(ServerSettings settings, ServerHandle server) {
        StringBuilder text = new StringBuilder();
        java.util.function.Consumer<String> out = line -> text.append(line).append(System.lineSeparator());
        String host = settings.c2s().bindAddress();
        out.accept("Parley " + ParleyVersion.version() + " started");
        out.accept("domain: " + server.domain());
        out.accept("c2s (STARTTLS): " + hostPort(host, server.c2sPort()));
        out.accept("c2s (Direct TLS): "
                + (server.directTlsPort() < 0 ? "disabled" : hostPort(host, server.directTlsPort())));
        String webHost = settings.http().bindAddress();
        out.accept("http (BOSH, WebSocket): "
                + (server.httpPort() < 0 ? "disabled" : hostPort(webHost, server.httpPort())));
        out.accept("https (BOSH, WebSocket): "
                + (server.httpsPort() < 0 ? "disabled" : hostPort(webHost, server.httpsPort())));
        out.accept("data directory: " + server.dataDirectory());
        // Both digests, labelled: clients show one or the other (the web page and Parley's client SHA-256,
        // Profanity and others SHA-1), and a user compares what their client shows.
        String sha256 = fingerprint(server, "SHA-256");
        if (sha256 != null) {
            out.accept("certificate SHA-256: " + sha256);
            out.accept("certificate SHA-1: " + fingerprint(server, "SHA-1"));
        }
        // The browser page needs HTTPS (or loopback) to log in, so point at HTTPS when it is on.
        if (server.httpsPort() >= 0) {
            out.accept("chat page: https://" + server.domain() + ":" + server.httpsPort() + "/");
        } else if (server.httpPort() >= 0) {
            out.accept("chat page: http://" + server.domain() + ":" + server.httpPort() + "/");
        }
        return text.toString();
    }

    private static String hostPort(String host, int port) {
        return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }

    /** The SHA-256 fingerprint; see {@link #fingerprint(ServerHandle, String)}. */
    static String fingerprint(ServerHandle server) {
        return fingerprint(server, "SHA-256");
    }

    /** Colon-separated upper-case hex, as clients show it; null when there is no certificate to show. */
    static String fingerprint(ServerHandle server, String algorithm) {
        try {
            X509Certificate certificate = server.certificate();
            if (certificate == null) {
                return null;
            }
            byte[] digest = MessageDigest.getInstance(algorithm).digest(certificate.getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        } catch (CertificateEncodingException | java.security.NoSuchAlgorithmException
                 | UnsupportedOperationException e) {
            return null;
        }
    }
}
