package org.parley.app;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a new password without putting it on the command line (where {@code ps} and shell history would
 * show it): prompted twice, unechoed, on a terminal; otherwise the first line of standard input, so
 * scripts can do {@code echo "$PW" | parley user add alice}.
 */
final class PasswordInput {

    private PasswordInput() {
    }

    static String read(CliContext context, String account) {
        Console console = context.console();
        return console != null ? prompt(console, account) : firstLine(context);
    }

    private static String prompt(Console console, String account) {
        char[] first = console.readPassword("Password for %s: ", account);
        char[] second = first == null ? null : console.readPassword("Repeat the password: ");
        try {
            if (first == null || first.length == 0) {
                throw new CommandException("no password given");
            }
            if (!Arrays.equals(first, second)) {
                throw new CommandException("the passwords do not match");
            }
            return new String(first);
        } finally {
            if (first != null) {
                Arrays.fill(first, '\0');
            }
            if (second != null) {
                Arrays.fill(second, '\0');
            }
        }
    }

    private static String firstLine(CliContext context) {
        try {
            String line = new BufferedReader(new InputStreamReader(context.stdin(), StandardCharsets.UTF_8)).readLine();
            if (line == null || line.isEmpty()) {
                throw new CommandException("no password given (put it on the first line of standard input)");
            }
            return line;
        } catch (IOException e) {
            throw new CommandException("cannot read the password from standard input: " + e.getMessage());
        }
    }
}
