package org.parley.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.config.ServerSettings;
import org.parley.server.devicetokens.DeviceTokens;
import org.parley.server.storage.Storage;
import org.parley.server.storage.jdbc.JdbcStorage;

/**
 * {@code parley user ...} against the real JdbcStorage (embedded H2 in a temporary data directory) and
 * AccountService. Each command opens and closes the database itself, as separate processes would.
 */
@Tag("needs-real-storage")
class UserCommandsIntegrationTest {

    @TempDir
    Path dir;

    private Cli.Result parley(String stdin, String... args) {
        CliContext context = CliContext.forTesting(dir,
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        String[] withDataDir = new String[args.length + 2];
        System.arraycopy(args, 0, withDataDir, 0, args.length);
        withDataDir[args.length] = "--data-dir";
        withDataDir[args.length + 1] = dir.resolve("data").toString();
        return Cli.run(context, withDataDir);
    }

    @Test
    void addListPasswdDelete() {
        Cli.Result add = parley("correct horse\n", "user", "add", "Alice");
        assertEquals(0, add.exitCode(), add.err());
        assertEquals("created alice@localhost\n", add.out());
        assertEquals(0, parley("battery staple\n", "user", "add", "bob").exitCode());

        assertEquals("alice\nbob\n", parley("", "user", "list").out());

        Cli.Result duplicate = parley("another password\n", "user", "add", "alice");
        assertEquals(1, duplicate.exitCode());
        assertEquals("parley: username 'alice' is taken\n", duplicate.err());

        Cli.Result passwd = parley("new password\n", "user", "passwd", "alice");
        assertEquals(0, passwd.exitCode(), passwd.err());
        assertEquals("password changed for alice@localhost\n", passwd.out());

        Cli.Result deleted = parley("", "user", "delete", "bob");
        assertEquals(0, deleted.exitCode(), deleted.err());
        assertEquals("deleted bob@localhost\n", deleted.out());
        Cli.Result again = parley("", "user", "delete", "bob");
        assertEquals(1, again.exitCode());
        assertEquals("parley: no account 'bob'\n", again.err());
        assertEquals("alice\n", parley("", "user", "list").out());
    }

    /** A stopped server's password reset signs out the account's devices too (their tokens are revoked). */
    @Test
    void passwdRevokesTheDeviceTokens() {
        assertEquals(0, parley("correct horse\n", "user", "add", "alice").exitCode());
        assertEquals(1, devices(tokens -> tokens.issue("alice", "phone")).size());
        assertEquals(0, parley("new password\n", "user", "passwd", "alice").exitCode());
        assertEquals(0, devices(tokens -> null).size(), "revoked by the password change");
    }

    /** The account's device tokens in the data directory, after {@code change}. */
    private java.util.List<DeviceTokens.Device> devices(java.util.function.Function<DeviceTokens, ?> change) {
        Path data = dir.resolve("data");
        Storage storage = JdbcStorage.open(ServerSettings.forTesting("localhost", data).storage(), data);
        try {
            DeviceTokens tokens = new DeviceTokens(storage.documents(), Clock.systemUTC());
            change.apply(tokens);
            return tokens.list("alice");
        } finally {
            storage.close();
        }
    }

    @Test
    void rejectedInputIsOneLine() {
        Cli.Result unknown = parley("long enough\n", "user", "passwd", "nobody");
        assertEquals(1, unknown.exitCode());
        assertEquals("parley: no account 'nobody'\n", unknown.err());
        Cli.Result shortPassword = parley("abc\n", "user", "add", "carol");
        assertEquals(1, shortPassword.exitCode());
        assertEquals("parley: password must be at least 6 characters\n", shortPassword.err());
    }

    @Test
    void importFromFileAndStandardInput() throws IOException {
        Files.writeString(dir.resolve("accounts.txt"),
                "alice:secret11\n# comment\n\nno separator\nbob\tsecret22\nalice:again333\n");
        Cli.Result fromFile = parley("", "user", "import", "accounts.txt");
        assertEquals(0, fromFile.exitCode(), fromFile.err());
        assertEquals("created 2, skipped 1, invalid 1\ninvalid lines: 4\n", fromFile.out());

        Cli.Result fromStdin = parley("carol:secret33\nbob:secret44\n", "user", "import", "-");
        assertEquals("created 1, skipped 1, invalid 0\n", fromStdin.out());
        assertEquals("alice\nbob\ncarol\n", parley("", "user", "list").out());
    }
}
