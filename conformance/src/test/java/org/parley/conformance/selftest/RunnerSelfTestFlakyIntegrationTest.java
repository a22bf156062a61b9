package org.parley.conformance.selftest;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.concurrent.atomic.AtomicInteger;

import org.igniterealtime.smack.inttest.AbstractSmackIntegrationTest;
import org.igniterealtime.smack.inttest.SmackIntegrationTestEnvironment;
import org.igniterealtime.smack.inttest.annotations.SmackIntegrationTest;

/** For {@code SintRunnerIsolationTest}: a test that fails in its class's run and passes when re-run alone. */
public class RunnerSelfTestFlakyIntegrationTest extends AbstractSmackIntegrationTest {

    private static final AtomicInteger RUNS = new AtomicInteger();

    public RunnerSelfTestFlakyIntegrationTest(SmackIntegrationTestEnvironment environment) {
        super(environment);
    }

    @SmackIntegrationTest
    public void failsOnlyTheFirstTime() {
        if (RUNS.getAndIncrement() == 0) {
            fail("left-overs of an earlier test");
        }
    }
}
