package org.parley.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Cold start to the first login (issue 18), repeatable: each server is started as a fresh process on data that
 * already holds the account (created by a first, unmeasured start), and the time from the process's start to the
 * first successful login — STARTTLS, SCRAM-SHA-1, bind, with the benchmark's client — is taken together with the
 * CPU the process (and its children) spent until then. The servers take turns, one start each per round, so that
 * all of them see the same machine load; medians over the rounds. On a loaded machine the wall time mostly
 * measures waiting for a CPU: the CPU time is the robust figure.
 */
public final class ColdStart {
    static final String USAGE = """
            usage: benchmarks/coldstart/run [--name=value ...]
              --servers=parley,ejabberd,prosody   servers to measure (each started by the tool, turn by turn)
              --runs=5                            measured starts per server (1-50); medians are reported
              --parley-jvm="..."                  JVM flags for Parley (JAVA_OPTS of ./parley); default none,
                                                  i.e. the launcher's own defaults, as operators start it
              --threads-after=3                   seconds after the first login at which the server's threads
                                                  are counted (0: not counted)
              --per-thread                        print each start's CPU per thread name at the first login
              --keep                              keep the servers' directories (logs)
              --out=FILE                          also write the table (markdown) to FILE
            """;

    private ColdStart() {
    }

    record Sample(double wallMs, double cpuMs, long threads, double load) {
    }

    public static void main(String[] args) throws Exception {
        List<String> names = new ArrayList<>(List.of("parley", "ejabberd", "prosody"));
        int[] runs = {5};
        int[] threadsAfter = {3};
        List<String> parleyJvm = new ArrayList<>();
        boolean[] keep = {false};
        boolean[] perThread = {false};
        Path[] out = {null};
        Options.parseOrExit("coldstart", args, a -> {
            Options.each(a, USAGE, flag -> {
                switch (flag) {
                    case "keep" -> keep[0] = true;
                    case "per-thread" -> perThread[0] = true;
                    default -> throw new IllegalArgumentException("unknown option --" + flag + "\n" + USAGE);
                }
            }, (k, v) -> {
                switch (k) {
                    case "servers" -> {
                        names.clear();
                        names.addAll(Arrays.asList(v.toLowerCase(Locale.ROOT).split(",")));
                        names.forEach(n -> {
                            if (!List.of("parley", "ejabberd", "prosody").contains(n)) {
                                throw new IllegalArgumentException("--servers: unknown '" + n + "'");
                            }
                        });
                    }
                    case "runs" -> runs[0] = Options.bounded(k, v, 1, 50);
                    case "threads-after" -> threadsAfter[0] = Options.bounded(k, v, 0, 60);
                    case "parley-jvm" -> {
                        parleyJvm.clear();
                        if (!v.isBlank()) {
                            parleyJvm.addAll(Arrays.asList(v.trim().split("\\s+")));
                        }
                    }
                    case "out" -> out[0] = Path.of(v);
                    default -> throw new IllegalArgumentException("unknown option --" + k + "\n" + USAGE);
                }
            });
            return null;
        });
        Path repo = Path.of(".").toAbsolutePath().normalize();
        Path work = Files.createTempDirectory("parley-coldstart-");
        Path templates = repo.resolve("benchmarks/servers");
        Options o = new Options(); // the login's settings (SCRAM-SHA-1, account u0)
        Map<Server, List<Sample>> samples = new LinkedHashMap<>();
        List<String> notes = new ArrayList<>();
        ZonedDateTime started = ZonedDateTime.now(ZoneOffset.UTC);
        for (String n : names) {
            Path dir = work.resolve(n);
            Server s = switch (n) {
                case "parley" -> new ParleyServer(dir, repo, parleyJvm, false);
                case "ejabberd" -> new EjabberdServer(dir, templates, false);
                default -> new ProsodyServer(dir, templates, false);
            };
            Runtime.getRuntime().addShutdownHook(new Thread(s::stop));
            try {
                s.prepare();
                // First start: the account (and, for Parley after a build, the class list of the launcher's CDS
                // archive, which settle() then has built).
                long t0 = s.start();
                new Scenarios(s, o, null, notes).firstRegistration(t0);
                s.stop();
                s.settle();
                samples.put(s, new ArrayList<>());
            } catch (Exception e) {
                notes.add(s.name + ": not measured: " + e.getMessage());
                System.err.println(s.name + ": not measured: " + e);
                s.stop();
            }
        }
        for (int r = 1; r <= runs[0]; r++) {
            for (Map.Entry<Server, List<Sample>> e : samples.entrySet()) {
                Server s = e.getKey();
                try {
                    Sample x = measure(s, o, notes, threadsAfter[0], perThread[0]);
                    e.getValue().add(x);
                    System.err.printf(Locale.ROOT, "[%s] %s run %d: %.0f ms to first login, %.0f ms CPU, %d threads, load %.2f%n",
                            java.time.LocalTime.now().withNano(0), s.name, r, x.wallMs, x.cpuMs, x.threads, x.load);
                } catch (Exception ex) {
                    notes.add(s.name + " run " + r + ": " + ex.getMessage());
                    System.err.println(s.name + " run " + r + ": " + ex);
                } finally {
                    s.stop();
                }
            }
        }
        String md = table(samples);
        StringBuilder b = new StringBuilder("Cold start to first login, ").append(started.withNano(0))
                .append(", ").append(runs[0]).append(" runs per server, turn by turn")
                .append(parleyJvm.isEmpty() ? "" : ", Parley JAVA_OPTS `" + String.join(" ", parleyJvm) + "`")
                .append("\n\n").append(Machine.describe()).append('\n').append(md);
        notes.forEach(n -> b.append("- note: ").append(n).append('\n'));
        System.out.println(b);
        if (out[0] != null) {
            Files.writeString(out[0], b.toString());
        }
        if (!keep[0]) {
            try (var paths = Files.walk(work)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        } else {
            System.out.println("server files kept in " + work);
        }
    }

    private static Sample measure(Server s, Options o, List<String> notes, int threadsAfter, boolean perThread) throws Exception {
        double load = loadAverage();
        long t0 = s.start();
        Scenarios sc = new Scenarios(s, o, null, notes);
        long wall = sc.firstLogin(t0, 180_000);
        long cpu = ProcStats.cpuNanos(s.pid());
        if (perThread) {
            StringBuilder b = new StringBuilder(s.name + " CPU by thread at the first login (ms):");
            ProcStats.cpuNanosByThread(s.pid()).stream().limit(12)
                    .forEach(e -> b.append(' ').append(e.getKey()).append('=').append(e.getValue() / 1_000_000));
            System.err.println(b);
        }
        long threads = -1;
        if (threadsAfter > 0) {
            Thread.sleep(threadsAfter * 1000L); // let start-up threads that end on their own end
            threads = ProcStats.threads(s.pid());
        }
        return new Sample(wall / 1e6, cpu / 1e6, threads, load);
    }

    private static String table(Map<Server, List<Sample>> samples) {
        StringBuilder b = new StringBuilder(
                "| server | runs | wall to first login, median (min–max) ms | CPU to first login, median (min–max) ms | threads after | load avg (1 min) |\n"
                        + "|---|---:|---:|---:|---:|---:|\n");
        Map<String, double[]> medians = new LinkedHashMap<>();
        for (Map.Entry<Server, List<Sample>> e : samples.entrySet()) {
            List<Sample> l = e.getValue();
            if (l.isEmpty()) {
                continue;
            }
            double[] wall = l.stream().mapToDouble(Sample::wallMs).sorted().toArray();
            double[] cpu = l.stream().mapToDouble(Sample::cpuMs).sorted().toArray();
            double[] load = l.stream().mapToDouble(Sample::load).sorted().toArray();
            long[] threads = l.stream().mapToLong(Sample::threads).sorted().toArray();
            medians.put(e.getKey().name, new double[] {median(wall), median(cpu)});
            b.append(String.format(Locale.ROOT, "| %s | %d | %.0f (%.0f–%.0f) | %.0f (%.0f–%.0f) | %d | %.1f–%.1f |%n",
                    e.getKey().name, l.size(), median(wall), wall[0], wall[wall.length - 1], median(cpu), cpu[0],
                    cpu[cpu.length - 1], threads[threads.length / 2], load[0], load[load.length - 1]));
        }
        double[] p = medians.get("Parley");
        if (p != null) {
            for (Map.Entry<String, double[]> m : medians.entrySet()) {
                if (!m.getKey().equals("Parley")) {
                    b.append(String.format(Locale.ROOT, "%nParley / %s: wall %.2f, CPU %.2f", m.getKey(),
                            p[0] / m.getValue()[0], p[1] / m.getValue()[1]));
                }
            }
            b.append("\n\n");
        }
        return b.toString();
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
