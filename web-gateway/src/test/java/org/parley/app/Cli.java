package org.parley.app;

import java.io.PrintWriter;
import java.io.StringWriter;

import picocli.CommandLine;

/** Runs {@code parley} in-process through picocli's {@link CommandLine#execute} and captures its output. */
final class Cli {

    record Result(int exitCode, String out, String err) {
    }

    private Cli() {
    }

    static Result run(CliContext context, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = ParleyMain.commandLine(context);
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int exitCode = commandLine.execute(ParleyMain.withDefaultCommand(args));
        return new Result(exitCode, out.toString().replace("\r\n", "\n"), err.toString().replace("\r\n", "\n"));
    }
}
