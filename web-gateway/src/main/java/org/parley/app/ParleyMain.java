package org.parley.app;

import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.Callable;

import org.parley.server.StringPrepTables;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The {@code parley} command: {@code run} (the default), {@code user ...}, {@code check} and {@code version}. One entry
 * point so that operators start the server and administer accounts with the same settings and options.
 * Exit codes: 0 success, 1 error (one line on standard error), 2 usage error.
 */
@Command(name = "parley", mixinStandardHelpOptions = true, versionProvider = ParleyVersion.class,
        synopsisSubcommandLabel = "[COMMAND]",
        description = "Parley instant messaging server. Without a command, runs the server.",
        footer = {"", "Ports, data directory and the other options of the server: parley run --help.",
                "Settings: config/parley.conf (documents every key), overridden by PARLEY_<KEY> environment"
                + " variables, overridden by -D key=value.",
                "Exit codes: 0 ok, 1 error, 2 usage error."})
public final class ParleyMain implements Callable<Integer> {

    private static final Set<String> OWN_OPTIONS = Set.of("-h", "--help", "-V", "--version");

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        StringPrepTables.prepareInBackground(); // overlaps with parsing the settings and opening storage
        org.parley.server.tls.ServerTls.prepareInBackground(); // likewise: BoringSSL's native library
        System.exit(execute(CliContext.system(), args));
    }

    /** Runs one command line; {@code run} is implied when the arguments start with one of its options. */
    public static int execute(CliContext context, String... args) {
        return commandLine(context).execute(withDefaultCommand(args));
    }

    /** The configured command tree, for {@link CommandLine#execute} with captured output in tests. */
    public static CommandLine commandLine(CliContext context) {
        CommandLine commandLine = new CommandLine(new ParleyMain())
                .addSubcommand(new RunCommand(context))
                .addSubcommand(UserCommand.create(context))
                .addSubcommand(new CheckCommand(context))
                .addSubcommand(new VersionCommand())
                .addSubcommand(new CommandLine.HelpCommand());
        commandLine.setExecutionExceptionHandler(new ErrorHandler());
        return commandLine;
    }

    static String[] withDefaultCommand(String[] args) {
        if (args.length == 0 || (args[0].startsWith("-") && !OWN_OPTIONS.contains(args[0]))) {
            String[] withRun = new String[args.length + 1];
            withRun[0] = "run";
            System.arraycopy(args, 0, withRun, 1, args.length);
            return withRun;
        }
        return Arrays.copyOf(args, args.length);
    }

    /** {@code parley} without a command when used through {@link #commandLine}: runs the server. */
    @Override
    public Integer call() {
        return spec.commandLine().getSubcommands().get("run").execute();
    }
}
