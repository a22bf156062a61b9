package org.parley.app;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import org.parley.app.logging.LoggingSetup;
import org.parley.server.config.LoggingSettings;
import org.parley.server.config.ServerSettings;
import org.parley.server.config.SettingsLoader;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code parley user ...}: account administration straight on the database, so an operator can create
 * the first (admin) account before the server ever runs. With the embedded database stop the server
 * first: the embedded database belongs to one process at a time (its lock file, see EmbeddedDatabase).
 */
@Command(name = "user", mixinStandardHelpOptions = true, versionProvider = ParleyVersion.class,
        synopsisSubcommandLabel = "COMMAND",
        description = {"Manage accounts directly in the database.",
                "With the embedded database (no storage.jdbc-url) stop the server first: only one process can"
                        + " open it."})
final class UserCommand implements Runnable {

    @Spec
    CommandSpec spec;

    /** The {@code user} command with its subcommands. */
    static CommandLine create(CliContext context) {
        return new CommandLine(new UserCommand())
                .addSubcommand(new Add(context))
                .addSubcommand(new Passwd(context))
                .addSubcommand(new Delete(context))
                .addSubcommand(new ListUsers(context))
                .addSubcommand(new Import(context));
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    /** Loads settings, opens the accounts, runs one operation, closes. */
    abstract static class AccountCommand implements Callable<Integer> {
        final CliContext context;

        @Mixin
        SettingsOptions options;

        @Spec
        CommandSpec spec;

        AccountCommand(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            SettingsLoader.Loaded loaded = options.load(context, Map.of());
            LoggingSetup.apply(quieter(loaded.logging()));
            prepare(loaded.server());
            try (AccountAdmin accounts = context.accounts().open(loaded.server())) {
                execute(accounts, loaded.server(), spec.commandLine().getOut());
            }
            return 0;
        }

        /**
         * The result goes to standard output, so INFO logs ("Created account ...", "Storage: H2 ...") would
         * only repeat it on standard error: info becomes warn; an explicitly chosen debug or trace stays.
         */
        static LoggingSettings quieter(LoggingSettings logging) {
            return "info".equals(logging.level()) ? new LoggingSettings("warn", logging.format()) : logging;
        }

        /** Gathers input before the database is opened. */
        void prepare(ServerSettings settings) {
        }

        abstract void execute(AccountAdmin accounts, ServerSettings settings, PrintWriter out);

        static String jid(String username, ServerSettings settings) {
            return username.toLowerCase(Locale.ROOT) + "@" + settings.domain();
        }
    }

    /** A command on one account that needs a password, read before the database is opened. */
    abstract static class PasswordCommand extends AccountCommand {
        @Parameters(paramLabel = "NAME", description = "Username (the part before @).")
        String name;
        String password;

        PasswordCommand(CliContext context) {
            super(context);
        }

        @Override
        void prepare(ServerSettings settings) {
            password = PasswordInput.read(context, jid(name, settings));
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Create an account. The password (at least 6 characters) is asked for on a terminal,"
                    + " otherwise read from the first line of standard input.")
    static final class Add extends PasswordCommand {
        Add(CliContext context) {
            super(context);
        }

        @Override
        void execute(AccountAdmin accounts, ServerSettings settings, PrintWriter out) {
            String username = accounts.create(name, password);
            out.println("created " + jid(username, settings));
        }
    }

    @Command(name = "passwd", mixinStandardHelpOptions = true,
            description = "Set a new password, read like for add.")
    static final class Passwd extends PasswordCommand {
        Passwd(CliContext context) {
            super(context);
        }

        @Override
        void execute(AccountAdmin accounts, ServerSettings settings, PrintWriter out) {
            accounts.setPassword(name, password);
            out.println("password changed for " + jid(name, settings));
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete an account with its roster, offline messages and stored data.")
    static final class Delete extends AccountCommand {
        @Parameters(paramLabel = "NAME", description = "Username.")
        String name;

        Delete(CliContext context) {
            super(context);
        }

        @Override
        void execute(AccountAdmin accounts, ServerSettings settings, PrintWriter out) {
            accounts.delete(name);
            out.println("deleted " + jid(name, settings));
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Print every username, one per line.")
    static final class ListUsers extends AccountCommand {
        ListUsers(CliContext context) {
            super(context);
        }

        @Override
        void execute(AccountAdmin accounts, ServerSettings settings, PrintWriter out) {
            accounts.list().forEach(out::println);
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = {"Create many accounts from a file with one username:password (or username<TAB>"
                    + "password) per line; blank lines and lines starting with # are ignored. Existing accounts"
                    + " are skipped and left unchanged.",
                    "Prints how many were created, skipped and invalid, and the invalid line numbers."})
    static final class Import extends AccountCommand {
        /** Imports smaller than this finish in a moment and print no progress. */
        private static final int IMPORT_PROGRESS_FROM = 500;

        @Parameters(paramLabel = "FILE", description = "The file, or - for standard input.")
        String file;

        Import(CliContext context) {
            super(context);
        }

        @Override
        void prepare(ServerSettings settings) {
            if (!"-".equals(file) && !Files.isRegularFile(path())) {
                throw new CommandException(path() + ": no such file");
            }
        }

        @Override
        void execute(AccountAdmin accounts, ServerSettings settings, PrintWriter out) {
            AccountAdmin.ImportSummary summary;
            try (Reader reader = open()) {
                PrintWriter err = spec.commandLine().getErr();
                summary = accounts.importAccounts(reader, (done, total) -> {
                    if (total > IMPORT_PROGRESS_FROM) {
                        err.println("parley: stored " + done + " of " + total + " accounts");
                        err.flush();
                    }
                });
            } catch (IOException e) {
                throw new CommandException("cannot read " + file + ": " + e.getMessage());
            }
            out.println("created " + summary.created() + ", skipped " + summary.skipped()
                    + ", invalid " + summary.invalidLines().size());
            if (!summary.invalidLines().isEmpty()) {
                out.println("invalid lines: " + summary.invalidLines().stream().map(String::valueOf)
                        .collect(Collectors.joining(", ")));
            }
        }

        private Path path() {
            return context.workingDirectory().resolve(file);
        }

        private Reader open() throws IOException {
            return "-".equals(file)
                    ? new InputStreamReader(context.stdin(), StandardCharsets.UTF_8)
                    : Files.newBufferedReader(path(), StandardCharsets.UTF_8);
        }
    }
}
