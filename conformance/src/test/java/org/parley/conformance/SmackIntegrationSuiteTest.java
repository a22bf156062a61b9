package org.parley.conformance;

import org.parley.app.check.JdkStaxParserFactory;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.FileHandler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.jivesoftware.smack.Smack;
import org.junit.jupiter.api.Test;
import org.parley.conformance.SintCatalog.TestClass;
import org.parley.conformance.TestOutcome.Status;
import org.parley.gateway.WebGateway;
import org.parley.server.ParleyServer;
import org.parley.server.config.ServerSettings;

/**
 * Runs the whole Smack Integration Test Framework (SINT) against one embedded Parley server, over every
 * {@link ConnectionProfile}, and fails when
 * <ul>
 *   <li>a test fails that is in neither {@code sint-exclusions.txt} nor {@code sint-known-failures.txt},</li>
 *   <li>a test listed in {@code sint-known-failures.txt} passes (the list only shrinks: remove the entry),</li>
 *   <li>a list entry is malformed or names no existing test, or</li>
 *   <li>the run cannot start (server, TLS, login).</li>
 * </ul>
 * Skipped tests (SINT: "not possible") are reported, not failures. See conformance/README.md.
 *
 * <p>System properties: {@code sint.tests} (comma-separated {@code Class} or {@code Class.method} names: run
 * only those), {@code sint.replyTimeout} (milliseconds, default 5000) and {@code sint.debug} ({@code true}: log
 * every stanza to target/sint.log).
 */
class SmackIntegrationSuiteTest {

    static final String EXCLUSIONS = "sint-exclusions.txt";
    static final String KNOWN_FAILURES = "sint-known-failures.txt";
    private static final String DOMAIN = "localhost";
    /** In {@link ServerSettings#forTesting}'s admins; SINT creates its accounts through it (XEP-0133). */
    private static final String ADMIN = "admin";
    private static final Path TARGET = Path.of("target");

    /** Held so that its level survives (java.util.logging keeps loggers only weakly). */
    private static final Logger STANZA_LOG = Logger.getLogger(StanzaLogDebuggerFactory.LOGGER);

    private final PrintStream console = System.out;

    @Test
    void parleyPassesTheSmackIntegrationTestSuiteExceptKnownFailures() throws Exception {
        Logger julRoot = routeJavaUtilLoggingTo(TARGET.resolve("sint.log"));
        JdkStaxParserFactory.install();
        Thread.UncaughtExceptionHandler previousHandler = Thread.getDefaultUncaughtExceptionHandler();
        // A dying Smack reader thread is logged with the rest of the client logs, not on the console.
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> Logger.getLogger(SmackIntegrationSuiteTest.class.getName())
                .log(Level.SEVERE, "uncaught exception in thread " + thread.getName(), e));
        try {
            runSuite();
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(previousHandler);
            julRoot.getHandlers(); // keeps the configured root logger (and its handler) reachable to the end
        }
    }

    private void runSuite() throws Exception {
        long started = System.nanoTime();
        SintCatalog catalog = SintCatalog.scan();
        List<ConnectionProfile> profiles = ConnectionProfile.all();
        Set<String> nicknames = profiles.stream().map(ConnectionProfile::nickname).collect(Collectors.toSet());
        ExpectationList exclusions = ExpectationList.load(EXCLUSIONS, catalog, nicknames);
        ExpectationList knownFailures = ExpectationList.load(KNOWN_FAILURES, catalog, nicknames);
        List<String> listProblems = new ArrayList<>(exclusions.problems());
        listProblems.addAll(knownFailures.problems());
        for (ExpectationList.Entry e : knownFailures.entries()) {
            if (exclusions.entries().stream().anyMatch(x -> x.test().equals(e.test()))) {
                listProblems.add(KNOWN_FAILURES + ":" + e.line() + ": " + e.key() + " is also in " + EXCLUSIONS);
            }
        }
        if (!listProblems.isEmpty()) {
            fail("The SINT lists are not valid:\n  " + String.join("\n  ", listProblems));
        }
        if (catalog.testCount() == 0) {
            fail("SINT run could not start: no SINT test found on the class path");
        }
        Selection selection = Selection.fromSystemProperty(catalog);
        Duration replyTimeout = Duration.ofMillis(Long.getLong("sint.replyTimeout", 5000));

        console.printf("%n[sint] Smack %s integration tests: %d classes, %d tests%s; reply timeout %d ms%n",
                Smack.getVersion(), catalog.classes().size(), catalog.testCount(), selection.describe(),
                replyTimeout.toMillis());

        List<TestOutcome> outcomes = new ArrayList<>();
        Path dataDirectory = fresh(TARGET.resolve("sint-server"));
        ParleyServer parley;
        try {
            parley = ParleyServer.start(settings(dataDirectory));
        } catch (Exception e) {
            fail("SINT run could not start: Parley did not start: " + Failures.describe(e), e);
            return;
        }
        WebGateway web;
        try {
            web = WebGateway.start(parley, settings(dataDirectory));
        } catch (Exception e) {
            parley.close();
            fail("SINT run could not start: the web gateway did not start: " + Failures.describe(e), e);
            return;
        }
        try (ParleyServer server = parley; WebGateway gateway = web) {
            ParleyEndpoint endpoint = ParleyEndpoint.of(server, gateway.httpPort());
            String adminPassword = randomPassword();
            server.accounts().create(ADMIN, adminPassword);
            console.printf("[sint] Parley %s serving %s on 127.0.0.1:%d (STARTTLS required), only its certificate trusted "
                    + "(SHA-256 %s)%n", ParleyServer.version(), endpoint.domain(), endpoint.c2sPort(),
                    endpoint.certificateFingerprint());
            for (ConnectionProfile profile : profiles) {
                SintRunner runner = new SintRunner(endpoint, profile, replyTimeout, ADMIN, adminPassword,
                        console::println);
                preflight(runner, profile);
                for (TestClass testClass : catalog.classes()) {
                    List<String> toRun = new ArrayList<>();
                    for (String method : testClass.methods()) {
                        if (!selection.includes(testClass, method)) {
                            continue;
                        }
                        var excluded = exclusions.find(profile.nickname(), testClass.name(), method);
                        if (excluded.isPresent()) {
                            outcomes.add(new TestOutcome(profile.nickname(), testClass.name(), method, Status.EXCLUDED,
                                    excluded.get().reason(), testClass.specificationOf(method), 0));
                        } else {
                            toRun.add(method);
                        }
                    }
                    if (toRun.isEmpty()) {
                        continue;
                    }
                    long classStarted = System.nanoTime();
                    // Failures listed as known are not re-checked alone (that would only cost time).
                    List<TestOutcome> classOutcomes = runner.run(testClass, toRun,
                            method -> knownFailures.find(profile.nickname(), testClass.name(), method).isEmpty());
                    outcomes.addAll(classOutcomes);
                    console.println(progressLine(profile, testClass, classOutcomes, classStarted));
                }
            }
        }
        Duration duration = Duration.ofNanos(System.nanoTime() - started);

        String header = String.format("Parley %s (domain %s, embedded, fresh data directory), Smack/SINT %s, "
                        + "profiles %s, reply timeout %d ms%s",
                ParleyServer.version(), DOMAIN, Smack.getVersion(),
                profiles.stream().map(p -> p.nickname() + " (" + p.description() + ")").collect(Collectors.joining(", ")),
                replyTimeout.toMillis(), selection.describe());
        SintReport report = new SintReport(outcomes, catalog, exclusions, knownFailures, duration, header);
        Files.writeString(TARGET.resolve("sint-report.md"), report.markdown(), StandardCharsets.UTF_8);
        Files.writeString(TARGET.resolve("sint-results.txt"), report.results(), StandardCharsets.UTF_8);
        Files.writeString(TARGET.resolve("sint-known-failures.candidates.txt"), report.knownFailureCandidates(),
                StandardCharsets.UTF_8);
        console.println(report.console());

        List<String> violations = report.violations();
        if (!violations.isEmpty()) {
            fail(violations.size() + " SINT result(s) contradict " + KNOWN_FAILURES + "/" + EXCLUSIONS
                    + " (see target/sint-report.md):\n  " + String.join("\n  ", violations));
        }
    }

    private static String randomPassword() {
        byte[] bytes = new byte[12];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** Logs in as SINT's admin over the profile's default connection before any test runs. */
    private void preflight(SintRunner runner, ConnectionProfile profile) {
        try {
            runner.preflight();
        } catch (Exception e) {
            fail("SINT run could not start: profile " + profile.nickname() + " cannot log in to Parley: "
                    + Failures.describe(e), e);
        }
    }

    /** Parley's test settings, with registration throttling lifted (SINT registers accounts for every run). */
    static ServerSettings settings(Path dataDirectory) {
        ServerSettings s = ServerSettings.forTesting(DOMAIN, dataDirectory);
        return s.withRegistration(new ServerSettings.Registration(true, 1_000_000));
    }

    private static String progressLine(ConnectionProfile profile, TestClass testClass, List<TestOutcome> outcomes,
                                       long startedNanos) {
        long passed = outcomes.stream().filter(o -> o.status() == Status.PASSED).count();
        long failed = outcomes.stream().filter(o -> o.status() == Status.FAILED).count();
        long skipped = outcomes.stream().filter(o -> o.status() == Status.SKIPPED).count();
        long flaky = outcomes.stream().filter(o -> o.status() == Status.FLAKY).count();
        return String.format("[sint] %-10s %-58s %2d passed %2d failed %2d skipped%s  %5.1f s", profile.nickname(),
                testClass.name(), passed, failed, skipped, flaky == 0 ? "" : String.format(" %2d flaky", flaky),
                (System.nanoTime() - startedNanos) / 1e9);
    }

    /** Sends java.util.logging (Smack, SINT) to a file instead of the console. */
    static Logger routeJavaUtilLoggingTo(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        FileHandler handler = new FileHandler(file.toString(), false);
        handler.setFormatter(new SimpleFormatter());
        handler.setEncoding("UTF-8");
        root.addHandler(handler);
        root.setLevel(Level.INFO);
        if (Boolean.getBoolean("sint.debug")) {
            STANZA_LOG.setLevel(Level.ALL);
        }
        return root;
    }

    private static Path fresh(Path directory) throws IOException {
        if (Files.exists(directory)) {
            try (Stream<Path> paths = Files.walk(directory)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        return Files.createDirectories(directory);
    }

    /** The tests {@code -Dsint.tests=...} selects; all when unset. */
    private record Selection(Set<String> names) {

        static Selection fromSystemProperty(SintCatalog catalog) {
            String property = System.getProperty("sint.tests", "").strip();
            if (property.isEmpty()) {
                return new Selection(Set.of());
            }
            Set<String> names = new LinkedHashSet<>();
            for (String name : Arrays.stream(property.split(",")).map(String::strip).filter(n -> !n.isEmpty()).toList()) {
                int dot = name.lastIndexOf('.');
                boolean isClass = catalog.find(name).isPresent();
                boolean isTest = dot > 0 && catalog.contains(name.substring(0, dot), name.substring(dot + 1));
                if (!isClass && !isTest) {
                    fail("-Dsint.tests: no SINT test class or test '" + name + "'");
                }
                names.add(isClass ? catalog.find(name).get().name()
                        : catalog.find(name.substring(0, dot)).get().name() + "." + name.substring(dot + 1));
            }
            return new Selection(names);
        }

        boolean includes(TestClass testClass, String method) {
            return names.isEmpty() || names.contains(testClass.name()) || names.contains(testClass.name() + "." + method);
        }

        String describe() {
            return names.isEmpty() ? "" : " (selected by -Dsint.tests: " + String.join(", ", names) + ")";
        }
    }
}
