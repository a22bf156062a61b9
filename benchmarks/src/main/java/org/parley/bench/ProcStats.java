package org.parley.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CPU time and resident memory of a process and its descendants, read from /proc (Linux). CPU time is
 * the figure that travels between machines: it does not depend on how busy the rest of the machine is.
 */
final class ProcStats {
    private static final long TICK_NANOS = 1_000_000_000L / clockTicks();

    private ProcStats() {
    }

    /** {@link #cpuNanos(long)} summed over several processes (the nodes of a cluster). */
    static long cpuNanos(List<Long> pids) {
        return pids.stream().mapToLong(ProcStats::cpuNanos).sum();
    }

    /** {@link #compilerCpuNanos(long)} summed over several processes. */
    static long compilerCpuNanos(List<Long> pids) {
        return pids.stream().mapToLong(ProcStats::compilerCpuNanos).sum();
    }

    /** utime + stime of pid and its descendants, in nanoseconds. */
    static long cpuNanos(long pid) {
        long ticks = 0;
        for (long p : tree(pid)) {
            try {
                ticks += cpuTicks(Path.of("/proc/" + p + "/stat"));
            } catch (IOException | RuntimeException e) {
                // the process ended between listing and reading
            }
        }
        return ticks * TICK_NANOS;
    }

    /**
     * CPU time of the JIT compiler threads of a JVM ({@code C1/C2 CompilerThread*}; HotSpot names them so
     * in /proc), in nanoseconds; 0 for a process that has none (Prosody, ejabberd).
     */
    static long compilerCpuNanos(long pid) {
        long ticks = 0;
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    if (!Files.readString(task.resolve("comm")).contains("CompilerThre")) {
                        continue;
                    }
                    ticks += cpuTicks(task.resolve("stat"));
                } catch (IOException | RuntimeException e) {
                    // the thread ended between listing and reading
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return ticks * TICK_NANOS;
    }

    /**
     * CPU time per thread name of a process (digits and "#n" suffixes folded, so a pool's threads add up), in
     * nanoseconds, largest first: where a start-up's CPU went, without a profiler.
     */
    static java.util.List<java.util.Map.Entry<String, Long>> cpuNanosByThread(long pid) {
        java.util.Map<String, Long> byName = new java.util.HashMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String name = Files.readString(task.resolve("comm")).trim().replaceAll("[#-]?[0-9]+", "#");
                    byName.merge(name, cpuTicks(task.resolve("stat")) * TICK_NANOS, Long::sum);
                } catch (IOException | RuntimeException e) {
                    // the thread ended between listing and reading
                }
            }
        } catch (IOException e) {
            return java.util.List.of();
        }
        return byName.entrySet().stream().sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed()).toList();
    }

    /** utime + stime, in clock ticks, from a /proc stat file (of a process or of one of its threads). */
    private static long cpuTicks(Path stat) throws IOException {
        String line = Files.readString(stat);
        // Fields after the command name, which is in parentheses and may contain spaces.
        String[] f = line.substring(line.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
    }

    /** CPU time of this JVM (the load generator), in nanoseconds. */
    static long selfCpuNanos() {
        return cpuNanos(ProcessHandle.current().pid());
    }

    /** VmRSS of pid and its descendants, in bytes. */
    static long rssBytes(long pid) {
        long kib = 0;
        for (long p : tree(pid)) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/" + p + "/status"))) {
                    if (line.startsWith("VmRSS:")) {
                        kib += Long.parseLong(line.replaceAll("[^0-9]", ""));
                    }
                }
            } catch (IOException | RuntimeException e) {
                // ended
            }
        }
        return kib * 1024;
    }

    /** Threads of pid (not of its descendants). */
    static long threads(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("Threads:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // ended
        }
        return -1;
    }

    private static List<Long> tree(long pid) {
        List<Long> all = new ArrayList<>();
        all.add(pid);
        ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> all.add(d.pid())));
        return all;
    }

    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor();
            return Long.parseLong(out);
        } catch (Exception e) {
            return 100; // the Linux default
        }
    }
}
