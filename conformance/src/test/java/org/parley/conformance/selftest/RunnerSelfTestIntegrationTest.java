package org.parley.conformance.selftest;

import static org.junit.jupiter.api.Assertions.fail;

import org.igniterealtime.smack.inttest.AbstractSmackIntegrationTest;
import org.igniterealtime.smack.inttest.SmackIntegrationTestEnvironment;
import org.igniterealtime.smack.inttest.annotations.SmackIntegrationTest;
import org.jivesoftware.smackx.ping.PingManager;

/**
 * A SINT test class that misbehaves on purpose, for {@code SintRunnerIsolationTest}: one test throws what
 * aborts a whole SINT run, one hangs, one fails an assertion, two pass. It lives outside the packages SINT
 * and the runner scan for the real suite, so it is never part of the conformance run.
 */
public class RunnerSelfTestIntegrationTest extends AbstractSmackIntegrationTest {

    public RunnerSelfTestIntegrationTest(SmackIntegrationTestEnvironment environment) {
        super(environment);
    }

    @SmackIntegrationTest
    public void pingsTheServer() throws Exception {
        if (!PingManager.getInstanceFor(conOne).pingMyServer()) {
            fail("no pong");
        }
    }

    @SmackIntegrationTest
    public void throwsAnUnexpectedException() {
        throw new IllegalStateException("boom: SINT aborts its run on this");
    }

    @SmackIntegrationTest
    public void failsAnAssertion() {
        fail("an ordinary assertion failure");
    }

    @SmackIntegrationTest
    public void hangs() throws InterruptedException {
        Thread.sleep(Long.MAX_VALUE);
    }

    @SmackIntegrationTest
    public void passes() {
    }
}
