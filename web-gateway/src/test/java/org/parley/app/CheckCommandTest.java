package org.parley.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.parley.gateway.testing.TestGateway;
import org.parley.server.config.ServerSettings;

/**
 * {@code parley check} against a real running server and gateway (issue 20): every step passes on a healthy
 * deployment, the temporary account is gone afterwards, and a switched-off BOSH fails with a line that says so.
 */
class CheckCommandTest {

    @RegisterExtension
    static final TestGateway healthy = TestGateway.withUsers("carol");

    @RegisterExtension
    static final TestGateway noBosh = TestGateway.withSettings(TestGateway.http(h -> new ServerSettings.Http(
            h.bindAddress(), h.port(), h.tlsPort(), h.allowedOrigins(), h.bosh().withEnabled(false), h.metrics())));

    @TempDir
    Path workingDirectory;

    private Cli.Result check(TestGateway gateway, String... more) {
        String[] args = {"check", "--domain", "localhost", "--host", "127.0.0.1",
                "--xmpp-port", Integer.toString(gateway.server().server().c2sPort()),
                "--web", "http://127.0.0.1:" + gateway.gateway().httpPort() + "/", "--timeout", "20"};
        String[] all = Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        Cli.Result result = Cli.run(CliContext.forTesting(workingDirectory, new ByteArrayInputStream(new byte[0])), all);
        System.out.print(result.out()); // the report in the build log
        return result;
    }

    private static String line(Cli.Result result, String check) {
        return result.out().lines().filter(l -> l.matches("  \\S+\\s+" + check + "\\s.*")).findFirst()
                .orElseThrow(() -> new AssertionError("no '" + check + "' line in:\n" + result.out()));
    }

    @Test
    void aHealthyDeploymentPassesEveryStep() {
        Cli.Result result = check(healthy);
        assertEquals(0, result.exitCode(), result.out() + result.err());
        for (String check : new String[] {"xmpp-tcp", "account", "login-tcp", "host-meta", "cors", "websocket", "bosh",
                "message-tcp-websocket", "message-websocket-bosh", "room", "archive", "cleanup"}) {
            assertTrue(line(result, check).startsWith("  PASS"), line(result, check));
        }
        // The generated certificate is self-signed: a warning that says so, not a failure.
        assertTrue(line(result, "certificate").startsWith("  WARN"), line(result, "certificate"));
        assertTrue(line(result, "certificate").contains("self-signed"), line(result, "certificate"));
        assertTrue(result.out().contains(" 0 failed"), result.out());
        assertFalse(result.out().contains("Exception"), "no stack traces or class names: " + result.out());
        // The temporary account was deleted: only carol (and the admin of the test settings, if any) remain.
        assertTrue(healthy.server().server().storage().accounts().list().stream().noneMatch(u -> u.startsWith("check-")),
                "temporary account left behind");
    }

    @Test
    void boshSwitchedOffFailsWithALineThatSaysWhy() {
        Cli.Result result = check(noBosh);
        assertEquals(1, result.exitCode(), result.out());
        String bosh = line(result, "bosh");
        assertTrue(bosh.startsWith("  FAIL"), bosh);
        assertTrue(bosh.contains("/http-bind returned 404"), bosh);
        assertTrue(line(result, "host-meta").contains("lists no BOSH address"), line(result, "host-meta"));
        assertTrue(line(result, "websocket").startsWith("  PASS"), "the rest still runs: " + result.out());
        assertTrue(line(result, "message-websocket-bosh").startsWith("  SKIP"), result.out());
        assertTrue(line(result, "cors").startsWith("  SKIP"), "no BOSH, no preflight to check: " + result.out());
    }
}
