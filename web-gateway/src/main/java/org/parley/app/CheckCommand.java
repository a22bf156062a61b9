package org.parley.app;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.parley.app.check.SelfCheck;
import org.parley.server.config.ServerSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code parley check}: an end-to-end probe of a running deployment through its public addresses (see
 * {@link SelfCheck}), printed as a table; exit code 0 when nothing failed, 1 otherwise.
 */
@Command(name = "check", description = {"Check a running Parley end to end, as its users' clients would: TLS and"
        + " certificate, login over TCP, WebSocket and BOSH (found through host-meta), a message across them, a chat"
        + " room, the archive, a file upload, CORS. Uses a temporary account (in-band registration) unless --user"
        + " is given (password on standard input). Defaults come from the same settings as the server."},
        footer = {"", "Exit codes: 0 nothing failed (warnings allowed), 1 a check failed, 2 usage error."})
final class CheckCommand implements Callable<Integer> {

    @Mixin
    SettingsOptions options;

    @Option(names = "--host", paramLabel = "HOST",
            description = "Where the XMPP service is reached. Default: the domain (127.0.0.1 for localhost).")
    String host;

    @Option(names = "--xmpp-port", paramLabel = "PORT", description = "XMPP (STARTTLS) port. Default: c2s.port.")
    Integer xmppPort;

    @Option(names = "--web", paramLabel = "URL",
            description = "The web gateway's public base URL, e.g. https://chat.example.org. Default: http://HOST:<http.port>"
                    + " (https with http.tls-port when HTTP is off).")
    URI web;

    @Option(names = "--user", paramLabel = "NAME",
            description = "Check with this existing account (password on standard input) instead of a temporary one.")
    String user;

    @Option(names = "--fingerprint", paramLabel = "SHA256",
            description = "The certificate's SHA-256 fingerprint, when it is not signed by a known authority.")
    String fingerprint;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "How long each step may take. Default: ${DEFAULT-VALUE}.")
    int timeoutSeconds;

    @Spec
    CommandSpec spec;

    private final CliContext context;

    CheckCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        ServerSettings settings = options.load(context, Map.of()).server();
        String domain = settings.domain();
        String h = host != null ? host : "localhost".equals(domain) ? "127.0.0.1" : domain;
        int port = xmppPort != null ? xmppPort : settings.c2s().port();
        URI base = web != null ? web : defaultWeb(settings, h);
        if (timeoutSeconds < 1 || timeoutSeconds > 300) {
            throw new CommandException("--timeout must be 1 to 300 seconds");
        }
        char[] password = user == null ? null : password();
        PrintWriter out = spec.commandLine().getOut();
        out.println("Parley check of " + domain + ": XMPP " + h + ":" + port + ", web " + base);
        List<SelfCheck.Result> results = SelfCheck.run(new SelfCheck.Target(domain, h, port, base, user, password,
                fingerprint, Duration.ofSeconds(timeoutSeconds)));
        int width = results.stream().mapToInt(r -> r.check().length()).max().orElse(10);
        int failed = 0;
        int warned = 0;
        int passed = 0;
        int skipped = 0;
        for (SelfCheck.Result r : results) {
            out.printf("  %-4s  %-" + width + "s  %s%n", r.outcome(), r.check(), r.detail());
            switch (r.outcome()) {
                case FAIL -> failed++;
                case WARN -> warned++;
                case PASS -> passed++;
                case SKIP -> skipped++;
            }
        }
        out.println(passed + " passed, " + failed + " failed, " + warned + (warned == 1 ? " warning, " : " warnings, ")
                + skipped + " skipped");
        out.flush();
        return failed == 0 ? 0 : 1;
    }

    private static URI defaultWeb(ServerSettings settings, String host) {
        String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        ServerSettings.Http http = settings.http();
        if (http.port() > 0) {
            return URI.create("http://" + h + ":" + http.port() + "/");
        }
        if (http.tlsPort() > 0) {
            return URI.create("https://" + h + ":" + http.tlsPort() + "/");
        }
        throw new CommandException("the web gateway is off here (http.port and http.tls-port): give --web URL");
    }

    /** One line: the password of --user, from the console or standard input. */
    private char[] password() {
        if (context.console() != null) {
            char[] typed = context.console().readPassword("Password for %s: ", user);
            if (typed == null || typed.length == 0) {
                throw new CommandException("no password given");
            }
            return typed;
        }
        try {
            String line = new BufferedReader(new InputStreamReader(context.stdin(), StandardCharsets.UTF_8)).readLine();
            if (line == null || line.isEmpty()) {
                throw new CommandException("no password given (put it on the first line of standard input)");
            }
            return line.toCharArray();
        } catch (IOException e) {
            throw new CommandException("cannot read the password from standard input: " + e.getMessage());
        }
    }
}
