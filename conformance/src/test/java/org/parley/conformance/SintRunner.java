package org.parley.conformance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.igniterealtime.smack.inttest.AbstractSmackIntTest;
import org.igniterealtime.smack.inttest.Configuration;
import org.igniterealtime.smack.inttest.FailedTest;
import org.igniterealtime.smack.inttest.SmackIntegrationTestFramework;
import org.igniterealtime.smack.inttest.SmackIntegrationTestFramework.TestRunResult;
import org.igniterealtime.smack.inttest.SuccessfulTest;
import org.igniterealtime.smack.inttest.TestNotPossible;
import org.jivesoftware.smack.AbstractXMPPConnection;
import org.parley.conformance.SintCatalog.TestClass;
import org.parley.conformance.TestOutcome.Status;

/**
 * Runs SINT against Parley with failures isolated, so that no failure can hide another.
 *
 * <p>SINT 4.5 aborts its whole run when a test throws anything but an {@link AssertionError},
 * {@link NullPointerException} or checked exception (any other {@link RuntimeException} or {@link Error}),
 * and when a test class cannot be set up. The runner therefore starts one SINT run per test class; when
 * that run aborts, the results SINT recorded before the abort are kept, the test SINT was executing (see
 * {@link TestUnderWay}) is recorded as failed with the exception, and every other test of the class still
 * without a result runs alone, in its own SINT run. A test whose solitary run aborts is recorded as failed
 * with the exception; the other tests of the class get their own results. A watchdog stops a test
 * that runs longer than six reply timeouts (a few SINT tests wait without a timeout of their own) and bounds
 * every run, so a hanging test cannot stall the build either; a stopped test is recorded as failed.
 */
final class SintRunner {

    private final ParleyEndpoint endpoint;
    private final ConnectionProfile profile;
    private static final Duration PREFLIGHT_REPLY_TIMEOUT = Duration.ofSeconds(30);

    private final Duration replyTimeout;
    private final Consumer<String> progress;
    private final String adminUsername;
    private final String adminPassword;

    /**
     * @param adminUsername an account in Parley's {@code admins}: SINT creates its test accounts with the
     *                      XEP-0133 add-user command through it
     */
    SintRunner(ParleyEndpoint endpoint, ConnectionProfile profile, Duration replyTimeout, String adminUsername,
               String adminPassword, Consumer<String> progress) {
        this.endpoint = endpoint;
        this.profile = profile;
        this.replyTimeout = replyTimeout;
        this.adminUsername = adminUsername;
        this.adminPassword = adminPassword;
        this.progress = progress;
    }

    /**
     * SINT's configuration for this server: its domain, TLS required (the descriptors add the trusted
     * certificate, see {@link ParleyEndpoint#trust}), the profile's connection, and account creation through
     * Parley's XEP-0133 admin commands.
     *
     * <p>Why not in-band registration (SINT's other way of creating accounts, which works with Parley too):
     * SINT then removes each account (XEP-0077 §3.2) before disconnecting; Parley answers and, as the XEP
     * says it should, ends the account's streams with a {@code <not-authorized/>} stream error; Smack then
     * still sends its closing tag and waits a full reply timeout for the server's, which already came with
     * the stream error. That adds 10-15 s to every SINT run (50+ runs). With admin commands SINT disconnects
     * first and then deletes the account through the admin connection (Parley does not offer XEP-0133
     * delete-user yet, so the accounts stay in the throw-away data directory).
     */
    Configuration.Builder configuration() {
        try {
            return Configuration.builder()
                    .setService(endpoint.domain())
                    .setSecurityMode(profile.securityMode())
                    .setReplyTimeout(Long.toString(replyTimeout.toMillis()))
                    .setDefaultConnection(profile.nickname())
                    .setEnabledConnections(profile.nickname())
                    .setAdminAccountUsernameAndPassword(adminUsername, adminPassword)
                    .setDebugger(Boolean.getBoolean("sint.debug") ? StanzaLogDebuggerFactory.class.getName() : "false")
                    .setVerbose(false);
        } catch (Exception e) {
            throw new IllegalStateException("cannot configure SINT: " + e, e);
        }
    }

    /**
     * Checks that SINT's default connection reaches Parley, trusts its certificate and can log in as the
     * admin, before any test runs; throws with the reason otherwise.
     */
    void preflight() throws Exception {
        profile.install(endpoint);
        Configuration configuration = configuration().build();
        AbstractXMPPConnection connection = profile.descriptors().apply(endpoint).get(0)
                .construct(configuration, b -> b.setUsernameAndPassword(adminUsername, adminPassword));
        // The first connection of the JVM warms up TLS and SASL: on a busy machine that takes longer than the
        // short reply timeouts a runner may use to bound hanging tests.
        connection.setReplyTimeout(Math.max(replyTimeout.toMillis(), PREFLIGHT_REPLY_TIMEOUT.toMillis()));
        try {
            connection.connect().login();
            if ("required".equals(profile.securityMode()) && !connection.isSecureConnection()) {
                throw new IllegalStateException("the connection is not TLS-protected");
            }
        } finally {
            connection.disconnect();
        }
    }

    /**
     * Runs the given tests of one class (all of {@code methods} belong to {@code testClass}).
     *
     * <p>A test that fails in the class's run and for which {@code recheck} holds is run again, alone (up to
     * {@link #ALONE_ATTEMPTS} times)
     * (fresh accounts, no test before it in that run). Several SINT tests leave work in flight when they end
     * (e.g. Smack's automatic answer to a subscription request, or the presence a roster removal in the next
     * test's fixture sends to the other account) and the next test can catch it; a test that passes alone is
     * reported as {@link Status#FLAKY} with the class run's failure, not as failed.
     */
    /** Solitary runs a test that failed in its class's run gets before it counts as failed. */
    static final int ALONE_ATTEMPTS = 3;

    List<TestOutcome> run(TestClass testClass, Collection<String> methods, Predicate<String> recheck) {
        profile.install(endpoint);
        Map<String, TestOutcome> outcomes = new LinkedHashMap<>();
        Set<String> ranAlone = new LinkedHashSet<>();
        Attempt first = attempt(testClass, List.copyOf(methods));
        outcomes.putAll(first.outcomes);
        if (first.abort != null) {
            if (first.abortedIn != null && methods.contains(first.abortedIn) && !outcomes.containsKey(first.abortedIn)) {
                // The test SINT was executing when the run ended: it caused the abort.
                ranAlone.add(first.abortedIn);
                outcomes.put(first.abortedIn, aborted(testClass, first.abortedIn, first.abort));
            }
            Set<String> pending = new LinkedHashSet<>(methods);
            pending.removeAll(outcomes.keySet());
            // (A class SINT found not possible ends its run with "No integration tests selected": not news.)
            if (!pending.isEmpty() || first.abortedIn != null) {
                progress.accept(String.format("  %s: SINT run aborted%s (%s)%s", testClass.name(),
                        first.abortedIn == null ? "" : " in " + first.abortedIn, Failures.describe(first.abort),
                        pending.isEmpty() ? "" : "; running its " + pending.size() + " remaining test(s) one by one"));
            }
            for (String method : pending) {
                ranAlone.add(method);
                Attempt alone = attempt(testClass, List.of(method));
                TestOutcome outcome = alone.outcomes.get(method);
                if (outcome == null) {
                    outcome = aborted(testClass, method, alone.abort != null ? alone.abort : first.abort);
                }
                outcomes.put(method, outcome);
            }
        } else {
            for (String method : methods) {
                outcomes.computeIfAbsent(method, m -> outcome(testClass, m, Status.FAILED,
                        "SINT reported no result for this test", 0));
            }
        }
        for (String method : methods) {
            TestOutcome failed = outcomes.get(method);
            if (failed.status() != Status.FAILED || ranAlone.contains(method) || !recheck.test(method)) {
                continue;
            }
            // Up to ALONE_ATTEMPTS solitary runs: SINT's MUC occupant tests race inside Smack (a join() returns on
            // the self-presence before its synchronous listeners have counted the occupants' presences that came
            // in the same read); a regression fails every attempt, a race does not.
            TestOutcome alone = null;
            for (int i = 0; i < ALONE_ATTEMPTS && (alone == null || alone.status() != Status.PASSED); i++) {
                alone = attempt(testClass, List.of(method)).outcomes.get(method);
            }
            if (alone != null && alone.status() == Status.PASSED) {
                outcomes.put(method, outcome(testClass, method, Status.FLAKY,
                        "failed in the class run, passed when re-run alone; the class run's failure: " + failed.reason(),
                        alone.millis()));
            }
        }
        List<TestOutcome> result = new ArrayList<>();
        for (String method : methods) {
            result.add(outcomes.get(method));
        }
        return result;
    }

    /**
     * One SINT run's results. {@code abort} is what ended the run early (null when it completed);
     * {@code abortedIn} the test it was executing then, when known.
     */
    private record Attempt(Map<String, TestOutcome> outcomes, Throwable abort, String abortedIn) {
    }

    private Attempt attempt(TestClass testClass, List<String> methods) {
        Configuration configuration;
        try {
            configuration = configuration()
                    .addTestPackage(testClass.type().getPackageName())
                    .setEnabledTests(methods.stream().map(m -> testClass.type().getName() + "." + m)
                            .collect(Collectors.joining(",")))
                    .build();
        } catch (Exception e) {
            return new Attempt(Map.of(), e, null);
        }
        IsolatedFramework framework = new IsolatedFramework(configuration);
        FutureTask<TestRunResult> task = new FutureTask<>(framework::run);
        Thread thread = new Thread(task, "sint-" + testClass.name());
        thread.setDaemon(true);
        Duration testLimit = perTestLimit();
        Duration runLimit = Duration.ofSeconds(30).plus(testLimit.multipliedBy(methods.size()));
        long deadline = System.nanoTime() + runLimit.toNanos();
        Throwable abort = null;
        String abortedIn = null;
        TestUnderWay underWay = TestUnderWay.follow(thread);
        try {
            thread.start();
            while (abort == null) {
                try {
                    task.get(200, TimeUnit.MILLISECONDS);
                    break;
                } catch (ExecutionException e) {
                    abort = e.getCause();
                    abortedIn = underWay.method();
                } catch (TimeoutException e) {
                    String hung = underWay.method();
                    if (hung != null && underWay.runningMillis() > testLimit.toMillis()) {
                        abort = new TimeoutException("no result after " + testLimit.toSeconds()
                                + " s (the test waits without a timeout of its own); interrupted");
                        abortedIn = hung;
                    } else if (System.nanoTime() > deadline) {
                        abort = new TimeoutException("the SINT run did not finish within " + runLimit.toSeconds() + " s");
                        abortedIn = hung;
                    }
                    if (abort != null) {
                        thread.interrupt();
                        thread.join(10_000);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            thread.interrupt();
            abort = e;
        } finally {
            underWay.close();
        }
        return new Attempt(collect(testClass, methods, framework.result()), abort, abortedIn);
    }

    /** How long one test may take before the runner stops it: six reply timeouts. */
    private Duration perTestLimit() {
        return replyTimeout.multipliedBy(6);
    }

    private Map<String, TestOutcome> collect(TestClass testClass, List<String> methods, TestRunResult result) {
        Map<String, TestOutcome> outcomes = new LinkedHashMap<>();
        if (result == null) {
            return outcomes;
        }
        for (SuccessfulTest t : copy(result.getSuccessfulTests())) {
            put(outcomes, methods, outcome(testClass, t.concreteTest.getMethod().getName(), Status.PASSED, "", t.duration));
        }
        for (TestNotPossible t : copy(result.getNotPossibleTests())) {
            put(outcomes, methods, outcome(testClass, t.concreteTest.getMethod().getName(), Status.SKIPPED,
                    "not possible: " + Failures.message(t.testNotPossibleException), t.duration));
        }
        for (FailedTest t : copy(result.getFailedTests())) {
            put(outcomes, methods, outcome(testClass, t.concreteTest.getMethod().getName(), Status.FAILED,
                    Failures.describe(t.failureReason), t.duration));
        }
        Map<Class<? extends AbstractSmackIntTest>, Throwable> impossible;
        synchronized (result.getImpossibleTestClasses()) {
            impossible = Map.copyOf(result.getImpossibleTestClasses());
        }
        Throwable classImpossible = impossible.get(testClass.type());
        if (classImpossible != null) {
            for (String method : methods) {
                outcomes.putIfAbsent(method, outcome(testClass, method, Status.SKIPPED,
                        "not possible: " + Failures.message(classImpossible), 0));
            }
        }
        return outcomes;
    }

    private TestOutcome aborted(TestClass testClass, String method, Throwable why) {
        String reason = why instanceof TimeoutException ? "stopped: " + Failures.message(why)
                : "aborted the SINT run: " + Failures.describe(why);
        return outcome(testClass, method, Status.FAILED, reason, 0);
    }

    private static void put(Map<String, TestOutcome> outcomes, List<String> methods, TestOutcome outcome) {
        if (methods.contains(outcome.method())) {
            // A failure recorded for a test wins over any other result for it (low-level tests may run more than once).
            outcomes.merge(outcome.method(), outcome, (a, b) -> b.status() == Status.FAILED ? b : a);
        }
    }

    private TestOutcome outcome(TestClass testClass, String method, Status status, String reason, long millis) {
        return new TestOutcome(profile.nickname(), testClass.name(), method, status, reason,
                testClass.specificationOf(method), millis);
    }

    private static <T> List<T> copy(List<T> synchronizedList) {
        synchronized (synchronizedList) {
            return new ArrayList<>(synchronizedList);
        }
    }

    /** SINT's framework, with access to the results recorded before a run aborted. */
    private static final class IsolatedFramework extends SmackIntegrationTestFramework {

        IsolatedFramework(Configuration configuration) {
            super(configuration);
        }

        TestRunResult result() {
            return testRunResult;
        }
    }
}
