package org.parley.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Debian's ejabberd, started with erl directly (as ejabberdctl foreground would, minus its switch to the
 * ejabberd user) under its own node name and cookie, with its Mnesia spool in the temporary directory.
 */
final class EjabberdServer extends Server {
    private final Path templates;

    private final boolean archiveAll;

    EjabberdServer(Path dir, Path templates, boolean archiveAll) throws IOException {
        super("ejabberd", dir);
        this.templates = templates;
        this.archiveAll = archiveAll;
    }

    @Override
    void prepare() throws IOException {
        makeCertificate(dir);
        Files.createDirectories(dir.resolve("spool"));
        Files.writeString(dir.resolve("ejabberd.yml"), template(templates, "ejabberd.yml", Map.of(
                "DIR", dir.toString(), "C2S_PORT", String.valueOf(c2sPort), "HTTP_PORT", String.valueOf(httpPort),
                "MAM_DEFAULT", archiveAll ? "always" : "never")));
    }

    @Override
    List<String> command() {
        return List.of("/usr/bin/erl", "-sname", "parleybench" + c2sPort + "@localhost",
                "-setcookie", "parleybench" + httpPort, "+K", "true", "+P", "250000", "-noinput",
                "-mnesia", "dir", "\"" + dir.resolve("spool") + "\"", "-s", "ejabberd");
    }

    @Override
    Map<String, String> environment() {
        return Map.of("ERL_LIBS", "/usr/lib/x86_64-linux-gnu",
                "EJABBERD_CONFIG_PATH", dir.resolve("ejabberd.yml").toString(),
                "EJABBERD_LOG_PATH", dir.resolve("ejabberd.log").toString(),
                "ERL_CRASH_DUMP", dir.resolve("erl_crash.dump").toString(),
                "HOME", dir.toString());
    }

    @Override
    String version() {
        try {
            return "ejabberd " + run("dpkg-query", "-W", "-f=${Version}", "ejabberd").trim()
                    + " (Erlang/OTP " + run("erl", "-noshell", "-eval",
                            "io:format(\"~s\",[erlang:system_info(otp_release)]), halt().").trim() + ")";
        } catch (IllegalStateException e) {
            return "ejabberd";
        }
    }
}
