package org.parley.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parley as its own JVM, started the way operators start it: the repository's {@code ./parley} launcher (which
 * execs {@code java}, so the process is the server JVM) with the repository's config/parley.conf and benchmark
 * overrides on the command line, and the benchmark's JVM flags in {@code JAVA_OPTS}. The launcher's class data
 * sharing archive is therefore used as in production: the first start (creating the accounts) records the class
 * list if the build is newer than it, {@link #settle} has the archive built from it, the cold start maps it.
 */
class ParleyServer extends Server {
    private final Path repo;
    private final List<String> jvmFlags;
    private final String mamDefault;
    /** More {@code -D key=value} settings (storage and cluster for the cluster scenarios). */
    private final List<String> settings;

    ParleyServer(Path dir, Path repo, List<String> jvmFlags, boolean archiveAll) throws IOException {
        this("Parley", dir, repo, jvmFlags, archiveAll, List.of());
    }

    ParleyServer(String name, Path dir, Path repo, List<String> jvmFlags, boolean archiveAll, List<String> settings)
            throws IOException {
        super(name, dir);
        this.mamDefault = archiveAll ? "always" : "never";
        this.repo = repo;
        this.jvmFlags = jvmFlags;
        this.settings = settings;
    }

    /**
     * The launcher builds its class data sharing archive from the class list of the first server run after a
     * build, in the background of the next start of any command: {@code ./parley version} starts that build, and
     * this waits until its lock file is gone (at most two minutes), so that no measured start pays for it.
     */
    @Override
    void settle() throws IOException, InterruptedException {
        Process version = new ProcessBuilder(repo.resolve("parley").toString(), "version").directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        version.waitFor();
        Path lock = repo.resolve("web-gateway/target/parley.jsa.recording");
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (Files.exists(lock) && System.nanoTime() < deadline) {
            Thread.sleep(200); // a file written by a shell script: nothing to wait on but its absence
        }
    }

    @Override
    void prepare() {
        // Parley generates its own ECDSA P-256 certificate in the data directory on first start.
    }

    @Override
    List<String> command() {
        if (!Files.isRegularFile(repo.resolve("web-gateway/target/parley.classpath"))) {
            throw new IllegalStateException("build web-gateway first (benchmarks/run does)");
        }
        List<String> c = new ArrayList<>();
        c.add(repo.resolve("parley").toString());
        c.addAll(List.of("--config", repo.resolve("config/parley.conf").toString(),
                "--data-dir", dir.resolve("data").toString(),
                "--c2s-port", String.valueOf(c2sPort), "--direct-tls-port", "-1", "--http-port", String.valueOf(httpPort),
                // Benchmark overrides (documented in docs/benchmarks/README.md): loopback only, quiet logs,
                // registration throttle lifted so the benchmark can create its accounts in-band.
                "-D", "c2s.bind-address=127.0.0.1", "-D", "http.bind-address=127.0.0.1",
                "-D", "logging.level=warn", "-D", "registration.per-address-per-hour=100000",
                "-D", "muc.max-users=100000", "-D", "mam.default=" + mamDefault,
                // Room archives off, as for ejabberd (default_room_options: mam: false) and as the README
                // states: Parley's own default archives every new room's messages.
                "-D", "muc.archive-by-default=false",
                // Per-address and per-session abuse limits lifted (all clients share loopback; Prosody and
                // ejabberd run without mod_limits and shapers here too).
                "-D", "limits.unauthenticated-per-address=1000000",
                "-D", "limits.connections-per-address-per-minute=10000000",
                "-D", "limits.pre-auth-read-rate=16MiB", "-D", "limits.read-rate=1GiB",
                "-D", "limits.stanza-rate=1000000", "-D", "limits.stanza-burst=10000000",
                "-D", "limits.auth-failures-per-address=1000000",
                "-D", "proxy.port=0")); // no fixed SOCKS5 port: two runs on one machine must not collide
        for (String setting : settings) {
            c.addAll(List.of("-D", setting));
        }
        return c;
    }

    /** The benchmark's JDK and JVM flags for the launcher (JAVA_OPTS is split on spaces: no spaces in paths). */
    @Override
    Map<String, String> environment() {
        List<String> opts = new ArrayList<>(jvmFlags);
        // gc+phases: ZGC logs its pauses there (G1 logs them at gc); G1 phase lines carry no "Pause"
        opts.add("-Xlog:gc,gc+phases=info:file=" + gcLog() + ":uptime");
        return Map.of("JAVA_HOME", System.getProperty("java.home"), "JAVA_OPTS", String.join(" ", opts));
    }

    @Override
    String version() {
        String commit;
        try {
            commit = run("git", "-C", repo.toString(), "rev-parse", "--short", "HEAD").trim();
        } catch (IllegalStateException e) {
            commit = "unknown commit";
        }
        return "Parley " + commit + " (Java " + System.getProperty("java.version") + ", " + String.join(" ", jvmFlags) + ")";
    }

    @Override
    Path gcLog() {
        return dir.resolve("gc.log");
    }

    /** jcmd GC.run (a full collection), then the used heap from GC.heap_info. */
    @Override
    long heapAfterGc() {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        run(jcmd, String.valueOf(pid()), "GC.run");
        String info = run(jcmd, String.valueOf(pid()), "GC.heap_info");
        Matcher m = Pattern.compile("used (\\d+)([KMG])").matcher(info);
        if (!m.find()) {
            throw new IllegalStateException("unexpected GC.heap_info output: " + info);
        }
        long v = Long.parseLong(m.group(1));
        return v * switch (m.group(2)) {
            case "K" -> 1024L;
            case "M" -> 1024L * 1024;
            default -> 1024L * 1024 * 1024;
        };
    }
}
