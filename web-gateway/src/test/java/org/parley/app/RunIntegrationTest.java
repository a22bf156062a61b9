package org.parley.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code parley run} with the REAL ParleyServer on free ports and H2 in a temporary directory; the test
 * context stops the server right after start-up instead of waiting for SIGTERM.
 */
@Tag("needs-real-server")
class RunIntegrationTest {

    @TempDir
    Path dir;

    @Test
    void startsPrintsAndStops() {
        CliContext context = CliContext.forTesting(dir, new ByteArrayInputStream(new byte[0]));
        Cli.Result result = Cli.run(context, "run", "--c2s-port", "0", "--direct-tls-port", "0", "--http-port", "0",
                "-D", "c2s.bind-address=127.0.0.1", "--data-dir", dir.resolve("data").toString());
        assertEquals(0, result.exitCode(), result.err());
        String out = result.out();
        assertTrue(out.contains("domain: localhost\n"), out);
        assertTrue(out.matches("(?s).*c2s \\(STARTTLS\\): 127\\.0\\.0\\.1:[1-9]\\d*\n.*"), out);
        assertTrue(out.matches("(?s).*c2s \\(Direct TLS\\): 127\\.0\\.0\\.1:[1-9]\\d*\n.*"), out);
        assertTrue(out.contains("data directory: " + dir.resolve("data") + "\n"), out);
        assertTrue(out.matches("(?s).*certificate SHA-256: ([0-9A-F]{2}:){31}[0-9A-F]{2}\n.*"), out);
        assertTrue(out.endsWith("Parley stopped\n"), out);
    }
}
