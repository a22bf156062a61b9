package org.parley.app;

import java.io.PrintWriter;

import org.parley.server.accounts.AccountException;
import org.parley.server.config.SettingsException;
import org.parley.server.storage.StorageException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns any failure of a command into one line {@code parley: <message>} on standard error and exit code 1.
 * Operators fix settings from that line; the stack trace is only printed with {@code --debug}.
 */
final class ErrorHandler implements IExecutionExceptionHandler {

    static final int ERROR = 1;

    @Override
    public int handleExecutionException(Exception exception, CommandLine command, ParseResult parseResult) {
        PrintWriter err = command.getErr();
        boolean debug = debug(parseResult);
        String message = message(exception);
        if (!expected(exception) && !debug) {
            message += " (run with --debug for details)";
        }
        err.println("parley: " + message);
        if (debug) {
            exception.printStackTrace(err);
        }
        err.flush();
        return ERROR;
    }

    /** Failures whose message alone says what is wrong. */
    private static boolean expected(Exception exception) {
        return exception instanceof SettingsException || exception instanceof CommandException
                || exception instanceof StorageException || exception instanceof AccountException
                || exception instanceof IllegalArgumentException;
    }

    /** The first line of the first message in the cause chain, or the exception's name. */
    static String message(Throwable exception) {
        for (Throwable t = exception; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (message != null && !message.isBlank()) {
                return message.strip().lines().findFirst().orElse(message);
            }
        }
        return exception.getClass().getSimpleName();
    }

    private static boolean debug(ParseResult parseResult) {
        for (ParseResult result = parseResult; result != null; result = result.subcommand()) {
            if (result.hasMatchedOption("--debug")) {
                return true;
            }
        }
        return false;
    }
}
