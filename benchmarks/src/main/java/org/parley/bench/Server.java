package org.parley.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A server under test, started by the benchmark as its own process on free loopback ports in a temporary
 * directory, with a configuration from {@code benchmarks/servers/}.
 */
abstract class Server {
    static final String DOMAIN = "localhost";
    static final String MUC = "conference.localhost";

    final String name;
    final Path dir;
    final int c2sPort;
    final int httpPort;
    private Process process;
    private long startNanos;

    Server(String name, Path dir) throws IOException {
        this.name = name;
        this.dir = Files.createDirectories(dir);
        this.c2sPort = freePort();
        this.httpPort = freePort();
    }

    /** Writes configuration files (once, before the first start). */
    abstract void prepare() throws IOException;

    abstract List<String> command();

    Map<String, String> environment() {
        return Map.of();
    }

    /** The version string reported in the results. */
    abstract String version();

    URI webSocket() {
        return URI.create("ws://127.0.0.1:" + httpPort + "/xmpp-websocket");
    }

    URI bosh() {
        return URI.create("http://127.0.0.1:" + httpPort + "/http-bind");
    }

    /** The server client number {@code client} connects to: this one; a cluster spreads its clients. */
    Server forClient(int client) {
        return this;
    }

    /** The processes whose CPU time is the server's: this one (and its descendants); every node of a cluster. */
    List<Long> pids() {
        return List.of(pid());
    }

    /** Heap in use after a full collection, for JVM servers; -1 when not applicable. */
    long heapAfterGc() {
        return -1;
    }

    /** GC log of a JVM server, or null. */
    Path gcLog() {
        return null;
    }

    /**
     * After the first, unmeasured start has stopped: whatever the server prepares for later starts is ready (for
     * Parley, the launcher's class data sharing archive). Nothing by default.
     */
    void settle() throws IOException, InterruptedException {
    }

    /** Starts the process; returns System.nanoTime() just before it was started. */
    long start() throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command()).directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.out").toFile()));
        pb.environment().putAll(environment());
        startNanos = System.nanoTime();
        process = pb.start();
        return startNanos;
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    /** SIGTERM (each server shuts down cleanly on it), then SIGKILL after 30 s. */
    void stop() {
        if (process == null) {
            return;
        }
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        children.forEach(ProcessHandle::destroyForcibly);
        process = null;
    }

    /** SIGKILL, no shutdown at all (the soak test's crash): the JVM gets no chance to flush or close anything. */
    void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    String tailOfLog() {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("server.out"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no output)";
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Copies a template from benchmarks/servers, replacing @KEY@ placeholders. */
    static String template(Path templates, String file, Map<String, String> values) throws IOException {
        String s = Files.readString(templates.resolve(file));
        for (Map.Entry<String, String> e : values.entrySet()) {
            s = s.replace("@" + e.getKey() + "@", e.getValue());
        }
        return s;
    }

    static String run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + " did not finish within 60 s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
            }
            return out;
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(String.join(" ", cmd) + ": " + e, e);
        }
    }

    /**
     * A self-signed ECDSA P-256 certificate for the domain and its MUC service, shared by Prosody and ejabberd:
     * the key type Parley generates for itself, so every server signs its handshakes alike.
     */
    static void makeCertificate(Path dir) {
        Path key = dir.resolve("server.key");
        Path crt = dir.resolve("server.crt");
        if (Files.exists(crt)) {
            return;
        }
        run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key.toString(), "-out",
                crt.toString(), "-days", "30", "-subj", "/CN=" + DOMAIN,
                "-addext", "subjectAltName=DNS:" + DOMAIN + ",DNS:" + MUC);
        try {
            Files.writeString(dir.resolve("server.pem"), Files.readString(crt) + Files.readString(key));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
