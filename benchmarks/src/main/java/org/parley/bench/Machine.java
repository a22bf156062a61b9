package org.parley.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A short description of the machine the figures come from (they only compare within one run). */
final class Machine {
    private Machine() {
    }

    static String describe() {
        StringBuilder b = new StringBuilder();
        b.append("- CPUs: ").append(Runtime.getRuntime().availableProcessors()).append(" × ").append(cpuModel()).append('\n');
        b.append("- memory: ").append(memTotal()).append('\n');
        b.append("- kernel: ").append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version")).append('\n');
        b.append("- load generator: Java ").append(System.getProperty("java.version")).append(", same machine, loopback\n");
        return b.toString();
    }

    /** The one-minute load average (how many tasks wanted a CPU): context for every figure on a shared machine. */
    static double loadAverage() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String memTotal() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                    .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024 / 1024 + " GiB").findFirst().orElse("?");
        } catch (IOException e) {
            return "?";
        }
    }
}
