package org.parley.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * The load benchmark (issue #9): starts Parley, Prosody and ejabberd one after the other on loopback,
 * runs the same scenarios against each, prints one side-by-side table with Parley's ratios and writes it
 * with the machine description to docs/benchmarks/.
 */
public final class Bench {
    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parseOrExit("bench", args, Options::parse);
        Path work = Files.createTempDirectory("parley-bench-");
        Path templates = o.repo.resolve("benchmarks/servers");
        List<Server> servers = new ArrayList<>();
        // The cluster scenarios' shared database (issue 19): one throwaway PostgreSQL, a database per server.
        Postgres postgres = o.servers.stream().anyMatch(s -> s.startsWith("parley-")) ? Postgres.start() : null;
        if (postgres != null) {
            Runtime.getRuntime().addShutdownHook(new Thread(postgres::close));
        }
        for (String s : o.servers) {
            Path dir = work.resolve(s);
            servers.add(switch (s) {
                case "parley" -> new ParleyServer(dir, o.repo, o.parleyJvm, o.archiveAll);
                case "parley-1", "parley-2", "parley-3" -> new ParleyNodes(s.charAt(7) - '0', dir, o.repo, o.parleyJvm,
                        o.archiveAll, postgres.createDatabase("bench_" + s.replace('-', '_')));
                case "prosody" -> new ProsodyServer(dir, templates, o.archiveAll);
                case "ejabberd" -> new EjabberdServer(dir, templates, o.archiveAll);
                default -> throw new IllegalArgumentException("unknown server " + s);
            });
        }
        List<String> names = servers.stream().map(s -> s.name).toList();
        // In a cluster run, the ratio columns are the cluster's figure over the single node's.
        String reference = names.contains("Parley") ? "Parley"
                : names.stream().filter(n -> n.startsWith("Parley ") && !n.equals("Parley 1 node")).findFirst()
                .orElse("Parley");
        Table table = new Table(names, reference);
        List<String> notes = new ArrayList<>();
        if (o.rounds > 1) {
            notes.add("figures are medians over " + o.rounds + " interleaved rounds (--rounds)");
        }
        List<String> versions = new ArrayList<>();
        ZonedDateTime started = ZonedDateTime.now(ZoneOffset.UTC);
        for (Server s : servers) {
            versions.add(s.version());
            Runtime.getRuntime().addShutdownHook(new Thread(s::stop));
        }
        if (o.rounds > 1) {
            table = interleaved(servers, o, names, reference, notes);
        } else {
            for (Server s : servers) {
                try {
                    runOne(s, o, table, notes);
                } catch (Exception e) {
                    notes.add(s.name + ": run aborted: " + e);
                    System.err.println(s.name + ": run aborted: " + e);
                    e.printStackTrace();
                } finally {
                    s.stop();
                }
            }
        }
        String md = table.markdown();
        System.out.println();
        System.out.println(md);
        notes.forEach(n -> System.out.println("note: " + n));
        Path out = o.out != null ? o.out
                : o.repo.resolve("docs/benchmarks/results-" + LocalDate.now(ZoneOffset.UTC) + ".md");
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, report(o, started, versions, md, notes, String.join(" ", args)));
        if (o.keep) {
            System.out.println("written: " + out + " (server files kept in " + work + ")");
        } else {
            deleteTree(work); // databases and archives of a run reach hundreds of MB
            System.out.println("written: " + out);
        }
    }

    /**
     * {@code --rounds=N}: every server started at once and kept running; the message scenarios (1:1, rooms) run
     * round after round, server after server, the order reversed every other round (A B, B A, A B: a drift in
     * the machine's load falls on both alike); the table holds each figure's median over the rounds. For a
     * shared machine, where the load changes between two servers measured minutes apart.
     */
    private static Table interleaved(List<Server> servers, Options o, List<String> names, String reference,
                                     List<String> notes) throws Exception {
        for (Server s : servers) {
            log(s, "preparing in " + s.dir);
            s.prepare();
            s.settle(); // no archive build running beside the measured rounds
            waitForStream(s, s.start());
            log(s, "registering " + o.accounts() + " accounts (XEP-0077)");
            new Scenarios(s, o, new Table(names), notes).register(o.accounts());
        }
        List<Table> rounds = new ArrayList<>();
        for (int r = 0; r < o.rounds; r++) {
            Table round = new Table(names, reference);
            rounds.add(round);
            List<Server> order = new ArrayList<>(servers);
            if (r % 2 == 1) {
                java.util.Collections.reverse(order);
            }
            for (Server s : order) {
                Scenarios sc = new Scenarios(s, o, round, notes);
                for (String k : o.scenarios.contains("chat") ? transports(s, o, notes) : List.<String>of()) {
                    log(s, "round " + (r + 1) + ": 1:1 chat over " + k);
                    guarded(s, notes, () -> sc.chat(Scenarios.Kind.valueOf(k)));
                }
                for (String k : o.scenarios.contains("rooms") ? transports(s, o, notes) : List.<String>of()) {
                    Scenarios.Kind kind = Scenarios.Kind.valueOf(k);
                    log(s, "round " + (r + 1) + ": room fan-out over " + k);
                    guarded(s, notes, () -> sc.fanout(kind, o.rooms, o.occupants, o.roomPostRate, null, "3 rooms " + kind));
                }
            }
            System.out.println("round " + (r + 1) + ":\n" + round.markdown());
        }
        servers.forEach(Server::stop);
        return Table.median(rounds, names, reference);
    }

    /** Transports measured on s: the generator's BOSH client does not yet get through to ejabberd 23.01. */
    private static List<String> transports(Server s, Options o, List<String> notes) {
        if (s instanceof EjabberdServer && o.transports.contains("BOSH")) {
            notes.add("ejabberd: BOSH not measured: most of the generator's BOSH logins stall against ejabberd 23.01"
                    + " (the c2s session times out waiting for the SASL response), under investigation");
            return o.transports.stream().filter(t -> !t.equals("BOSH")).toList();
        }
        return o.transports;
    }

    private static void runOne(Server s, Options o, Table table, List<String> notes) throws Exception {
        List<String> transports = transports(s, o, notes);
        Scenarios sc = new Scenarios(s, o, table, notes);
        log(s, "preparing in " + s.dir);
        s.prepare();
        // First start: create the accounts; the second start then measures a cold start with real data.
        long t0 = s.start();
        waitForStream(s, t0);
        log(s, "registering " + o.accounts() + " accounts (XEP-0077)");
        sc.register(o.accounts());
        s.stop();
        s.settle(); // the class data sharing archive, if the first start listed the classes, before measuring
        if (o.scenarios.contains("cold")) {
            log(s, "cold start");
            sc.coldStart(s.start());
        } else {
            waitForStream(s, s.start());
        }
        if (o.scenarios.contains("login")) {
            log(s, "login storm: warm-up round, then measured round");
            sc.loginStorm(false);
            sc.loginStorm(true);
        }
        for (String k : o.scenarios.contains("chat") ? transports : List.<String>of()) {
            Scenarios.Kind kind = Scenarios.Kind.valueOf(k);
            log(s, "1:1 chat over " + kind);
            guarded(s, notes, () -> sc.chat(kind));
        }
        boolean rooms = o.scenarios.contains("rooms");
        for (String k : rooms ? transports : List.<String>of()) {
            Scenarios.Kind kind = Scenarios.Kind.valueOf(k);
            log(s, "room fan-out over " + kind);
            guarded(s, notes, () -> sc.fanout(kind, o.rooms, o.occupants, o.roomPostRate, null, "3 rooms " + kind));
        }
        if (rooms && o.wsOccupants > 0 && transports.contains("WS")) {
            log(s, "room fan-out: one TCP poster, " + o.wsOccupants + " WebSocket occupants");
            guarded(s, notes, () -> sc.fanout(Scenarios.Kind.WS, 1, o.wsOccupants, o.wsPostRate, Scenarios.Kind.TCP,
                    "3b room TCP→WS"));
        }
        for (String k : o.scenarios.contains("idle") ? transports : List.<String>of()) {
            Scenarios.Kind kind = Scenarios.Kind.valueOf(k);
            int n = kind == Scenarios.Kind.TCP ? o.idle : o.idleWeb;
            if (n > 0) {
                log(s, "idle sessions over " + kind);
                guarded(s, notes, () -> sc.idle(kind, n));
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    interface Step {
        void run() throws Exception;
    }

    private static void guarded(Server s, List<String> notes, Step step) {
        try {
            step.run();
        } catch (Exception e) {
            notes.add(s.name + ": scenario failed: " + e);
            System.err.println(s.name + ": scenario failed: " + e);
        }
    }

    private static void waitForStream(Server s, long t0) throws Exception {
        long deadline = System.nanoTime() + 180_000_000_000L; // generous: a loaded shared machine (load 30) can take a minute to start a JVM
        Exception last = null;
        while (System.nanoTime() < deadline) {
            if (!s.alive()) {
                throw new IOException(s.name + " exited:\n" + s.tailOfLog());
            }
            try (Transport t = new TcpTransport("127.0.0.1", s.forClient(0).c2sPort)) {
                Xmpp.secure(t, Server.DOMAIN);
                return;
            } catch (IOException e) {
                last = e;
                Thread.sleep(50); // polling a starting server's port
            }
        }
        throw new IOException(s.name + " did not start: " + last + "\n" + s.tailOfLog());
    }

    private static void log(Server s, String what) {
        System.err.println("[" + java.time.LocalTime.now().withNano(0) + "] " + s.name + ": " + what);
    }

    private static String report(Options o, ZonedDateTime started, List<String> versions, String md,
            List<String> notes, String args) {
        StringBuilder b = new StringBuilder("# Benchmark results, ").append(started.toLocalDate()).append("\n\n");
        b.append("Command: `benchmarks/run").append(args.isEmpty() ? "" : " " + args).append("` (started ")
                .append(started.withNano(0)).append(")\n\n");
        b.append("## Machine\n\n").append(Machine.describe()).append('\n');
        b.append("## Servers\n\n");
        versions.forEach(v -> b.append("- ").append(v).append('\n'));
        b.append("\nSettings: loopback, STARTTLS required, ").append(o.mechanism)
                .append(o.archiveAll ? ", every 1:1 message archived (MAM default always)" : ", MAM on, archiving default never")
                .append(", configurations in `benchmarks/servers/` (see docs/benchmarks/README.md).\n\n");
        b.append("## Results\n\n").append(md).append('\n');
        if (!notes.isEmpty()) {
            b.append("## Notes\n\n");
            notes.forEach(n -> b.append("- ").append(n).append('\n'));
        }
        return b.toString();
    }
}
