package org.parley.app;

import java.io.Console;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the commands take from the outside world (environment, working directory, standard input,
 * terminal, server, storage, process shutdown) in one place, so tests can run every command in-process
 * with their own values instead of the JVM's.
 *
 * @param environment      where {@code PARLEY_*} variables are read from
 * @param workingDirectory where {@code config/parley.conf} is looked for and relative paths start
 * @param stdin            passwords and {@code user import -} read from here
 * @param console          the terminal to prompt for passwords on; null when not interactive
 * @param launcher         starts the server for {@code run}
 * @param accounts         opens the accounts for {@code user ...}
 * @param shutdown         blocks {@code run} until the process is asked to stop
 */
public record CliContext(Map<String, String> environment, Path workingDirectory, InputStream stdin, Console console,
                         ServerHandle.Launcher launcher, AccountAdmin.Opener accounts, ShutdownWait shutdown) {

    public CliContext {
        environment = Map.copyOf(environment);
        workingDirectory = workingDirectory.toAbsolutePath().normalize();
        Objects.requireNonNull(stdin, "stdin");
        Objects.requireNonNull(launcher, "launcher");
        Objects.requireNonNull(accounts, "accounts");
        Objects.requireNonNull(shutdown, "shutdown");
    }

    /** Blocks until the process should stop, then runs {@code onShutdown}. */
    @FunctionalInterface
    public interface ShutdownWait {
        void await(Runnable onShutdown) throws InterruptedException;
    }

    /** The real process: its environment, working directory, stdin and terminal; SIGTERM/Ctrl-C stops. */
    public static CliContext system() {
        return new CliContext(System.getenv(), Path.of(""), System.in, System.console(),
                ServerHandle.REAL, JdbcAccountAdmin::open, JvmShutdown::await);
    }

    /**
     * For tests: no environment, no terminal, the real server and storage, and {@code run} stopping right
     * after start-up instead of waiting for a signal.
     */
    public static CliContext forTesting(Path workingDirectory, InputStream stdin) {
        return new CliContext(Map.of(), workingDirectory, stdin, null,
                ServerHandle.REAL, JdbcAccountAdmin::open, Runnable::run);
    }

    public CliContext withEnvironment(Map<String, String> value) {
        return new CliContext(value, workingDirectory, stdin, console, launcher, accounts, shutdown);
    }

    public CliContext withLauncher(ServerHandle.Launcher value) {
        return new CliContext(environment, workingDirectory, stdin, console, value, accounts, shutdown);
    }

    public CliContext withAccounts(AccountAdmin.Opener value) {
        return new CliContext(environment, workingDirectory, stdin, console, launcher, value, shutdown);
    }
}
