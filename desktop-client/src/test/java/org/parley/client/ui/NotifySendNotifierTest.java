package org.parley.client.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Notifications without a tray: a real {@code notify-send} process (here a stand-in script that records its
 * arguments) gets title and text as separate arguments, after "--", so nothing in a message is taken as an
 * option or reaches a shell; long texts are cut.
 */
class NotifySendNotifierTest {

    @TempDir
    Path dir;

    @Test
    void runsNotifySendWithTheTextAsPlainArguments() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "SKIPPED: needs a POSIX shell for the stand-in script");
        assertNull(NotifySendNotifier.onPath(dir.toString()), "none on this PATH");
        Path log = dir.resolve("args.txt");
        Path script = dir.resolve("notify-send");
        Files.writeString(script, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> '" + log + "'; done\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));

        NotifySendNotifier notifier = NotifySendNotifier.onPath("/nonexistent:" + dir);
        assertNotNull(notifier, "found on the PATH");
        notifier.notify("bob", "--help; $(rm -rf /) " + "x".repeat(300));
        notifier.drain();
        List<String> args = Files.readAllLines(log, StandardCharsets.UTF_8);
        assertEquals(List.of("--app-name=Parley", "--", "bob", "--help; $(rm -rf /) " + "x".repeat(180) + "…"), args);
    }
}
