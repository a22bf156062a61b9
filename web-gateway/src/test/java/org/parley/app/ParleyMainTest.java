package org.parley.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.config.ServerSettings;

/** The command line with a fake server and fake accounts: runs without the real storage or network. */
class ParleyMainTest {

    @TempDir
    Path dir;

    private final FakeAccounts accounts = new FakeAccounts();
    private final AtomicReference<FakeServer> server = new AtomicReference<>();

    private CliContext context(String stdin) {
        InputStream in = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        return CliContext.forTesting(dir, in)
                .withAccounts(accounts)
                .withLauncher(settings -> {
                    FakeServer fake = new FakeServer(settings);
                    server.set(fake);
                    return fake;
                });
    }

    private Cli.Result parley(String... args) {
        return Cli.run(context(""), args);
    }

    @Test
    void versionCommandAndOption() {
        Cli.Result command = parley("version");
        Cli.Result option = parley("--version");
        assertEquals(0, command.exitCode());
        assertTrue(command.out().matches("Parley \\d+\\.\\d+\\.\\d+\\S*\n"), command.out());
        assertEquals(command, option);
        assertEquals("Parley " + ParleyVersion.version() + "\n", parley("user", "--version").out());
    }

    @Test
    void usageErrorsExitWithTwo() {
        Cli.Result unknownCommand = parley("frobnicate");
        assertEquals(2, unknownCommand.exitCode());
        assertTrue(unknownCommand.err().contains("Unmatched argument"), unknownCommand.err());
        assertEquals(2, parley("--bogus").exitCode());
        assertEquals(2, parley("run", "--c2s-port", "abc").exitCode());
        assertEquals(2, parley("user").exitCode());
        assertEquals(2, parley("user", "add").exitCode());
        assertEquals("", parley("user").out());
    }

    @Test
    void nodeTwoOfATrialClusterOnOneMachine() {
        AtomicReference<org.parley.server.config.ClusterSettings> cluster = new AtomicReference<>();
        CliContext clustered = CliContext.forTesting(dir, new ByteArrayInputStream(new byte[0]))
                .withAccounts(accounts).withLauncher(new ServerHandle.Launcher() {
                    @Override
                    public ServerHandle start(org.parley.server.config.ServerSettings settings) {
                        throw new AssertionError("--node starts a cluster node");
                    }

                    @Override
                    public ServerHandle start(org.parley.server.config.ServerSettings settings,
                                              org.parley.server.config.ClusterSettings c) throws Exception {
                        cluster.set(c);
                        FakeServer fake = new FakeServer(settings);
                        server.set(fake);
                        return fake;
                    }
                });
        Cli.Result result = Cli.run(clustered, "run", "--node", "2", "-Dstorage.jdbc-url=jdbc:postgresql://127.0.0.1/parley",
                "-Dc2s.bind-address=127.0.0.1");
        assertEquals(0, result.exitCode(), result.err());
        var c = cluster.get();
        assertTrue(c.enabled());
        assertEquals(5702, c.port());
        assertEquals(java.util.List.of("127.0.0.1:5701", "127.0.0.1:5702", "127.0.0.1:5703"), c.members());
        assertEquals(5232, server.get().settings.c2s().port(), "c2s.port 5222 shifted by 10");
        assertEquals(5233, server.get().settings.c2s().directTlsPort());
        assertEquals(8090, server.get().settings.http().port());
        assertEquals(2, parley("run", "--node", "10").exitCode());
    }

    @Test
    void aNodeOnTheEmbeddedDatabaseRefusesInOneLine() {
        Cli.Result result = parley("run", "--node", "1");
        assertEquals(1, result.exitCode());
        assertEquals("parley: cluster.enabled: cluster mode needs the shared PostgreSQL database"
                + " (storage.jdbc-url = jdbc:postgresql://...); the embedded database belongs to one node\n", result.err(),
                "one line, no stack trace");
        assertEquals(null, server.get(), "nothing was started");
    }

    @Test
    void helpExitsWithZero() {
        Cli.Result help = parley("--help");
        assertEquals(0, help.exitCode());
        assertTrue(help.out().contains("run") && help.out().contains("user"), help.out());
        assertTrue(help.out().contains("parley run --help"), "points at run's own help for ports and directories");
    }

    @Test
    void runPrintsWhereItListensAndClosesOnShutdown() {
        Cli.Result result = parley("run", "--domain", "Chat.Example.org", "--c2s-port", "0", "--direct-tls-port", "-1",
                "--data-dir", "state", "-Dc2s.bind-address=127.0.0.1");
        assertEquals(0, result.exitCode(), result.err());
        String[] lines = result.out().split("\n");
        assertEquals("Parley " + ParleyVersion.version() + " started", lines[0]);
        assertEquals("domain: chat.example.org", lines[1]);
        assertEquals("c2s (STARTTLS): 127.0.0.1:40001", lines[2]);
        assertEquals("c2s (Direct TLS): disabled", lines[3]);
        assertEquals("http (BOSH, WebSocket): disabled", lines[4]);
        assertEquals("https (BOSH, WebSocket): disabled", lines[5]);
        assertEquals("data directory: " + dir.resolve("state"), lines[6]);
        assertEquals("certificate SHA-256: " + RunCommand.fingerprint(server.get()), lines[7]);
        assertTrue(lines[7].matches("certificate SHA-256: ([0-9A-F]{2}:){31}[0-9A-F]{2}"), lines[7]);
        // Labelled SHA-1 too: some clients (Profanity) show only that one.
        assertEquals("certificate SHA-1: " + RunCommand.fingerprint(server.get(), "SHA-1"), lines[8]);
        assertTrue(lines[8].matches("certificate SHA-1: ([0-9A-F]{2}:){19}[0-9A-F]{2}"), lines[8]);
        assertEquals("Parley stopped", lines[9]);
        assertEquals(10, lines.length, result.out());
        assertTrue(server.get().closed);
        assertEquals("", result.err());
    }

    @Test
    void runIsTheDefaultCommand() {
        Cli.Result result = parley("--domain", "example.org");
        assertEquals(0, result.exitCode(), result.err());
        assertEquals("example.org", server.get().domain());
        assertEquals(0, parley().exitCode());
        assertEquals("localhost", server.get().domain());
        server.set(null);
        assertEquals(0, ParleyMain.commandLine(context("")).execute(), "without the argument rewriting too");
        assertEquals("localhost", server.get().domain());
    }

    @Test
    void settingsComeFromConfigFileEnvironmentAndCommandLine() throws IOException {
        Files.createDirectories(dir.resolve("config"));
        Files.writeString(dir.resolve("config/parley.conf"), "domain = file.example\nc2s.port = 1111\nhttp.port = 3333\n");
        CliContext context = context("").withEnvironment(Map.of("PARLEY_C2S_PORT", "2222", "PARLEY_HTTP_PORT", "4444"));
        assertEquals(0, Cli.run(context, "run", "--http-port", "5555").exitCode());
        ServerSettings settings = server.get().settings;
        assertEquals("file.example", settings.domain(), "config/parley.conf in the working directory is the default");
        assertEquals(2222, settings.c2s().port(), "environment beats the file");
        assertEquals(5555, settings.http().port(), "command line beats the environment");
        assertEquals(dir.resolve("data"), settings.dataDirectory());
    }

    @Test
    void settingsErrorIsOneLineAndExitOne() {
        Cli.Result result = parley("run", "--c2s-port", "70000");
        assertEquals(1, result.exitCode());
        assertEquals("parley: c2s.port: 70000 is not allowed (expected a port 0-65535), set on the command line\n",
                result.err());
        assertEquals("", result.out());
    }

    @Test
    void missingConfigFile() {
        Cli.Result result = parley("run", "--config", "nope.conf");
        assertEquals(1, result.exitCode());
        assertEquals("parley: config file " + dir.resolve("nope.conf") + " does not exist\n", result.err());
    }

    @Test
    void unknownSettingOnCommandLine() {
        Cli.Result result = parley("-D", "c2s.prot=5222");
        assertEquals(1, result.exitCode());
        assertEquals("parley: c2s.prot: unknown setting (did you mean c2s.port?), set on the command line\n",
                result.err());
    }

    @Test
    void startFailureWithoutAndWithDebug() {
        CliContext failing = context("").withLauncher(settings -> {
            throw new java.io.IOException("cannot bind 0.0.0.0:5222", new java.net.BindException("in use"));
        });
        Cli.Result plain = Cli.run(failing, "run");
        assertEquals(1, plain.exitCode());
        assertEquals("parley: cannot bind 0.0.0.0:5222 (run with --debug for details)\n", plain.err());
        Cli.Result debug = Cli.run(failing, "run", "--debug");
        assertEquals(1, debug.exitCode());
        assertTrue(debug.err().startsWith("parley: cannot bind 0.0.0.0:5222\njava.io.IOException"), debug.err());
        assertTrue(debug.err().contains("Caused by: java.net.BindException"), debug.err());
    }

    @Test
    void userAddReadsThePasswordFromStandardInput() {
        Cli.Result result = Cli.run(context("s3cret pass\nignored\n"), "user", "add", "Alice");
        assertEquals(0, result.exitCode(), result.err());
        assertEquals("created alice@localhost\n", result.out());
        assertEquals(Map.of("alice", "s3cret pass"), accounts.passwords);
        assertEquals(1, accounts.closed);
        assertEquals(4096, accounts.openedWith.limits().scramIterations());
    }

    @Test
    void userAddWithoutPasswordFails() {
        Cli.Result result = Cli.run(context(""), "user", "add", "alice");
        assertEquals(1, result.exitCode());
        assertEquals("parley: no password given (put it on the first line of standard input)\n", result.err());
        assertEquals(0, accounts.opened, "storage is not opened without a password");
    }

    @Test
    void userCommandsUseTheSettings() {
        assertEquals(0, Cli.run(context("pw\n"), "user", "add", "bob", "--data-dir", "elsewhere",
                "--domain", "example.org").exitCode());
        assertEquals(dir.resolve("elsewhere"), accounts.openedWith.dataDirectory());
        assertEquals("password changed for bob@example.org\n",
                Cli.run(context("pw2\n"), "user", "passwd", "bob", "--domain", "example.org").out());
        assertEquals("pw2", accounts.passwords.get("bob"));
        Cli.Result unknown = Cli.run(context("pw\n"), "user", "passwd", "nobody");
        assertEquals(1, unknown.exitCode());
        assertEquals("parley: no account 'nobody'\n", unknown.err());
    }

    @Test
    void userListAndDelete() {
        accounts.passwords.put("bob", "x");
        accounts.passwords.put("alice", "y");
        assertEquals("alice\nbob\n", parley("user", "list").out());
        Cli.Result deleted = parley("user", "delete", "bob");
        assertEquals(0, deleted.exitCode());
        assertEquals("deleted bob@localhost\n", deleted.out());
        Cli.Result again = parley("user", "delete", "bob");
        assertEquals(1, again.exitCode());
        assertEquals("parley: no account 'bob'\n", again.err());
    }

    @Test
    void userImportFromFileAndStandardInput() throws IOException {
        accounts.passwords.put("carol", "x");
        Files.writeString(dir.resolve("accounts.txt"), "alice:a\nnonsense\ncarol:c\nbob:b\n:\n");
        Cli.Result fromFile = parley("user", "import", "accounts.txt");
        assertEquals(0, fromFile.exitCode(), fromFile.err());
        assertEquals("created 2, skipped 1, invalid 2\ninvalid lines: 2, 5\n", fromFile.out());

        Cli.Result fromStdin = Cli.run(context("dave:d\n"), "user", "import", "-");
        assertEquals("created 1, skipped 0, invalid 0\n", fromStdin.out());

        Cli.Result missing = parley("user", "import", "missing.txt");
        assertEquals(1, missing.exitCode());
        assertEquals("parley: " + dir.resolve("missing.txt") + ": no such file\n", missing.err());
    }

    @Test
    void accountErrorsAreOneLine() {
        accounts.passwords.put("alice", "x");
        Cli.Result result = Cli.run(context("pw\n"), "user", "add", "alice");
        assertEquals(1, result.exitCode());
        assertEquals("parley: username 'alice' is taken\n", result.err());
        assertFalse(result.err().contains("\tat "));
    }
}
