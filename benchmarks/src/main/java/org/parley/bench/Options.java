package org.parley.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Command-line options of the benchmark, {@code --name=value}. Defaults keep a full run of the three
 * servers around 10-15 minutes on 2 cores; every count and duration is bounded.
 */
final class Options {
    List<String> servers = List.of("parley", "prosody", "ejabberd");
    int logins = 1000;
    int loginRate = 200;
    int loginThreads = 64;
    int pairs = 250;
    int chatRate = 1000;
    int rooms = 10;
    int occupants = 20;
    int roomPostRate = 100;
    int wsOccupants = 100;
    int wsPostRate = 10;
    int idle = 1000;
    int idleWeb = 500;
    int seconds = 15;
    int warmUpSeconds = 5;
    List<String> transports = List.of("TCP", "WS", "BOSH");
    Xmpp.Mechanism mechanism = Xmpp.Mechanism.SCRAM_SHA_1;
    List<String> parleyJvm = List.of("-XX:+UseG1GC", "-XX:MaxGCPauseMillis=10", "-Xms256m", "-Xmx1g");
    Path repo = Path.of(".").toAbsolutePath().normalize();
    Path out = null;
    boolean archiveAll = false;
    boolean keep = false;
    /** Interleaved rounds of the message scenarios with every server running at once (1: one server after the other). */
    int rounds = 1;
    /** Scenario groups to run after the accounts exist (the cold start needs a restart, so it is optional too). */
    List<String> scenarios = List.of("cold", "login", "chat", "rooms", "idle");

    static final String USAGE = """
            usage: benchmarks/run [--name=value ...]
              --servers=parley,prosody,ejabberd   servers to compare (each started by the benchmark); also
                                                  parley-1, parley-2, parley-3: Parley on a throwaway PostgreSQL
                                                  as 1, 2 or 3 cluster nodes, clients round robin over the nodes
                                                  (benchmarks/cluster/run load)
              --logins=1000 --login-rate=200      scenario 1: logins offered per second (open loop)
              --login-threads=64                  parallel logins (scenario 1 and session setup)
              --pairs=250 --chat-rate=1000        scenario 2: 1:1 pairs, messages per second in total
              --rooms=10 --occupants=20 --room-post-rate=100   scenario 3: posts per second in total
              --ws-occupants=100 --ws-post-rate=10  fan-out to WebSocket occupants from one TCP poster
              --idle=1000 --idle-web=500          scenario 4: idle TCP sessions, idle WebSocket/BOSH sessions
              --seconds=15                        duration of each message scenario (measured)
              --warm-up=5                         unmeasured round of the same traffic before each message
                                                  scenario (0: measure from the first message, JIT included)
              --rounds=1                          N > 1: all servers started at once, the 1:1 and room scenarios
                                                  run N times, server after server in alternating order; the
                                                  table holds medians (for a shared, loaded machine)
              --transports=TCP,WS,BOSH            transports of the message and idle scenarios
              --mechanism=SCRAM_SHA_1|PLAIN       SASL mechanism (Tsung figures use PLAIN)
              --parley-jvm="-XX:+UseG1GC -XX:MaxGCPauseMillis=10 -Xms256m -Xmx1g"
              --archive-all                       MAM default "always" on every server (default: "never",
                                                  as in the reference figures; the module stays on)
              --scenarios=cold,login,chat,rooms,idle   which scenario groups run (0, 1, 2, 3/3b, 4); e.g.
                                                  --scenarios=cold,login for start-up and login figures only
              --keep                              keep the servers' directories (logs, gc.log, a JFR file
                                                  when --parley-jvm asks for one); deleted otherwise
              --out=docs/benchmarks/results-<date>.md  where the results are written
            Hard bounds: at most 5000 sessions per scenario and 120 s per scenario.
            """;

    static Options parse(String[] args) {
        Options o = new Options();
        each(args, USAGE, flag -> {
            switch (flag) {
                case "keep" -> o.keep = true;
                case "archive-all" -> o.archiveAll = true;
                default -> throw new IllegalArgumentException("expected --name=value, got --" + flag + "\n" + USAGE);
            }
        }, (k, v) -> {
            switch (k) {
                case "servers" -> o.servers = known("servers", Arrays.asList(v.toLowerCase().split(",")),
                        List.of("parley", "prosody", "ejabberd", "parley-1", "parley-2", "parley-3"));
                case "logins" -> o.logins = bounded(k, v, 1, 5000);
                case "login-rate" -> o.loginRate = bounded(k, v, 1, 5000);
                case "login-threads" -> o.loginThreads = bounded(k, v, 1, 512);
                case "pairs" -> o.pairs = bounded(k, v, 1, 2500);
                case "chat-rate" -> o.chatRate = bounded(k, v, 1, 50000);
                case "rooms" -> o.rooms = bounded(k, v, 1, 100);
                case "occupants" -> o.occupants = bounded(k, v, 2, 1000);
                case "room-post-rate" -> o.roomPostRate = bounded(k, v, 1, 10000);
                case "ws-occupants" -> o.wsOccupants = bounded(k, v, 0, 1000);
                case "ws-post-rate" -> o.wsPostRate = bounded(k, v, 1, 1000);
                case "idle" -> o.idle = bounded(k, v, 0, 5000);
                case "idle-web" -> o.idleWeb = bounded(k, v, 0, 5000);
                case "seconds" -> o.seconds = bounded(k, v, 1, 120);
                case "warm-up" -> o.warmUpSeconds = bounded(k, v, 0, 60);
                case "rounds" -> o.rounds = bounded(k, v, 1, 9);
                case "transports" -> o.transports = known("transports", Arrays.asList(v.toUpperCase().split(",")),
                        Arrays.stream(Scenarios.Kind.values()).map(Enum::name).toList());
                case "scenarios" -> o.scenarios = known("scenarios", Arrays.asList(v.toLowerCase().split(",")),
                        List.of("cold", "login", "chat", "rooms", "idle"));
                case "mechanism" -> o.mechanism = Xmpp.Mechanism.valueOf(v.toUpperCase().replace('-', '_'));
                case "parley-jvm" -> o.parleyJvm = new ArrayList<>(Arrays.asList(v.trim().split("\\s+")));
                case "repo" -> o.repo = Path.of(v).toAbsolutePath().normalize();
                case "out" -> o.out = Path.of(v);
                default -> throw new IllegalArgumentException("unknown option --" + k + "\n" + USAGE);
            }
        });
        if (o.rooms * o.occupants > 5000) {
            throw new IllegalArgumentException("--rooms × --occupants: at most 5000 sessions");
        }
        return o;
    }

    /** {@code parse(args)}; a mistake in them is one line on stderr (prefixed by {@code tool}) and exit status 2. */
    static <T> T parseOrExit(String tool, String[] args, Function<String[], T> parse) {
        try {
            return parse.apply(args);
        } catch (IllegalArgumentException e) {
            System.err.println(tool + ": " + e.getMessage());
            System.exit(2);
            throw e; // not reached
        }
    }

    /**
     * The arguments one by one, shared by the benchmark and the soak: {@code --name=value} to {@code option},
     * a bare {@code --name} to {@code flag}; {@code --help} prints {@code usage} and exits.
     */
    static void each(String[] args, String usage, Consumer<String> flag, BiConsumer<String, String> option) {
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                System.out.print(usage);
                System.exit(0);
            }
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("expected --name=value, got " + a + "\n" + usage);
            }
            int eq = a.indexOf('=');
            if (eq < 0) {
                flag.accept(a.substring(2));
            } else {
                option.accept(a.substring(2, eq), a.substring(eq + 1));
            }
        }
    }

    /** {@code v} as a whole number from {@code min} to {@code max}, or a one-line message naming {@code --k}. */
    static int bounded(String k, String v, int min, int max) {
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + k + ": " + v + " is not a number");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("--" + k + ": " + v + " is not allowed (" + min + "-" + max + ")");
        }
        return n;
    }

    /** Accounts the scenarios use: u0..u(n-1). */
    int accounts() {
        int fanout = 2 * pairs + Math.max(rooms * (occupants + 1), wsOccupants + 1);
        return Math.max(Math.max(logins, fanout), Math.max(idle, idleWeb));
    }

    /** Checked before anything starts, so that a typo fails at once rather than after servers and accounts. */
    private static List<String> known(String option, List<String> given, List<String> allowed) {
        for (String g : given) {
            if (!allowed.contains(g)) {
                throw new IllegalArgumentException("--" + option + ": unknown '" + g + "' (one or more of "
                        + String.join(",", allowed) + ")");
            }
        }
        return given;
    }
}
