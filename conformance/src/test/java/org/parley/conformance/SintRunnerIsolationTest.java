package org.parley.conformance;

import org.parley.app.check.JdkStaxParserFactory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.conformance.SintCatalog.TestClass;
import org.parley.conformance.TestOutcome.Status;
import org.parley.conformance.selftest.RunnerSelfTestFlakyIntegrationTest;
import org.parley.conformance.selftest.RunnerSelfTestIntegrationTest;
import org.parley.server.ParleyServer;

/**
 * The runner's own guarantees, against a real Parley: a test that aborts SINT's run, a test that hangs and
 * a failing test each get their own result, none of them hides the tests around it, and a test that fails
 * only in its class's run is reported as flaky.
 */
class SintRunnerIsolationTest {

    @Test
    void everyTestGetsItsOwnResultWhateverTheOthersDo(@TempDir Path data) throws Exception {
        SmackIntegrationSuiteTest.routeJavaUtilLoggingTo(Path.of("target", "sint-selftest.log"));
        JdkStaxParserFactory.install();
        List<String> methods = List.of("pingsTheServer", "throwsAnUnexpectedException", "failsAnAssertion", "hangs",
                "passes");
        TestClass selfTest = new TestClass(RunnerSelfTestIntegrationTest.class, methods, "", Map.of());
        try (ParleyServer server = ParleyServer.start(SmackIntegrationSuiteTest.settings(data))) {
            server.accounts().create("admin", "admin-password");
            SintRunner runner = new SintRunner(ParleyEndpoint.of(server, -1), ConnectionProfile.tcp(),
                    Duration.ofMillis(1000), "admin", "admin-password", line -> { });
            runner.preflight();
            Map<String, TestOutcome> outcomes = runner.run(selfTest, methods, m -> true).stream()
                    .collect(Collectors.toMap(TestOutcome::method, Function.identity()));

            assertEquals(methods.size(), outcomes.size(), outcomes.toString());
            assertEquals(Status.PASSED, outcomes.get("pingsTheServer").status(), outcomes.toString());
            assertEquals(Status.PASSED, outcomes.get("passes").status(), outcomes.toString());
            assertFailed(outcomes.get("throwsAnUnexpectedException"), "IllegalStateException: boom");
            assertFailed(outcomes.get("failsAnAssertion"), "an ordinary assertion failure");
            assertFailed(outcomes.get("hangs"), "stopped: no result after 6 s");

            TestClass flakyClass = new TestClass(RunnerSelfTestFlakyIntegrationTest.class,
                    List.of("failsOnlyTheFirstTime"), "", Map.of());
            TestOutcome flaky = runner.run(flakyClass, flakyClass.methods(), m -> true).get(0);
            assertEquals(Status.FLAKY, flaky.status(), flaky.toString());
            assertTrue(flaky.reason().contains("left-overs of an earlier test"), flaky.reason());
        }
    }

    private static void assertFailed(TestOutcome outcome, String reason) {
        assertEquals(Status.FAILED, outcome.status(), outcome.toString());
        assertTrue(outcome.reason().contains(reason), outcome.reason());
    }
}
