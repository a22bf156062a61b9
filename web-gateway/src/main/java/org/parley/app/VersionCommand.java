package org.parley.app;

import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code parley version}: the same line as {@code parley --version}, for people who type it as a command. */
@Command(name = "version", description = "Print the version.")
final class VersionCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().getOut().println("Parley " + ParleyVersion.version());
    }
}
