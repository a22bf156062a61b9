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
        LoggingSetup.apply(loaded.logging());

        PrintWriter out = spec.commandLine().getOut();
        ServerHandle server = context.launcher().start(loaded.server());
        try {
            printWhereItListens(out, loaded.server(), server);
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

    private static void printWhereItListens(PrintWriter out, ServerSettings settings, ServerHandle server) {
        String host = settings.c2s().bindAddress();
        out.println("Parley " + ParleyVersion.version() + " started");
        out.println("domain: " + server.domain());
        out.println("c2s (STARTTLS): " + hostPort(host, server.c2sPort()));
        out.println("c2s (Direct TLS): "
                + (server.directTlsPort() < 0 ? "disabled" : hostPort(host, server.directTlsPort())));
        String webHost = settings.http().bindAddress();
        out.println("http (BOSH, WebSocket): "
                + (server.httpPort() < 0 ? "disabled" : hostPort(webHost, server.httpPort())));
        out.println("https (BOSH, WebSocket): "
                + (server.httpsPort() < 0 ? "disabled" : hostPort(webHost, server.httpsPort())));
        out.println("data directory: " + server.dataDirectory());
        String fingerprint = fingerprint(server);
        if (fingerprint != null) {
            out.println("certificate SHA-256: " + fingerprint);
        }
        // The browser page needs HTTPS (or loopback) to log in, so point at HTTPS when it is on.
        if (server.httpsPort() >= 0) {
            out.println("chat page: https://" + server.domain() + ":" + server.httpsPort() + "/");
        } else if (server.httpPort() >= 0) {
            out.println("chat page: http://" + server.domain() + ":" + server.httpPort() + "/");
        }
        out.flush();
    }

    private static String hostPort(String host, int port) {
        return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }

    /** Colon-separated upper-case hex, as clients show it; null when there is no certificate to show. */
    static String fingerprint(ServerHandle server) {
        try {
            X509Certificate certificate = server.certificate();
            if (certificate == null) {
                return null;
            }
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        } catch (CertificateEncodingException | java.security.NoSuchAlgorithmException
                 | UnsupportedOperationException e) {
            return null;
        }
    }
}
