package org.parley.conformance;

import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.igniterealtime.smack.inttest.SmackIntegrationTestFramework;

/**
 * Which SINT test a run is executing, and since when: SINT 4.5 logs "{@code Class.method (Type) Start}" before
 * each test and "Success", "Failed" or "is not possible" after it; this handler on SINT's logger follows those
 * lines for one thread. (SINT's own {@code getTestUnderExecution()} is never set in 4.5.0-beta5.) The runner
 * uses it to stop a test that never ends (some SINT tests wait without a timeout) and to know which test a
 * run that aborted was executing.
 */
final class TestUnderWay extends Handler {

    /** Held so that the handler stays attached (java.util.logging keeps loggers only weakly). */
    private static final Logger SINT_LOGGER = Logger.getLogger(SmackIntegrationTestFramework.class.getName());

    private final long threadId;
    private volatile String method;
    private volatile long startedNanos;

    private TestUnderWay(long threadId) {
        this.threadId = threadId;
        setLevel(Level.INFO);
    }

    /** Follows the SINT run on {@code thread} until {@link #close()}. */
    static TestUnderWay follow(Thread thread) {
        TestUnderWay watch = new TestUnderWay(thread.getId());
        SINT_LOGGER.addHandler(watch);
        return watch;
    }

    @Override
    public void publish(LogRecord record) {
        if (record.getLongThreadID() != threadId || record.getMessage() == null) {
            return;
        }
        String message = record.getMessage();
        int paren = message.indexOf(" (");
        if (paren < 0) {
            return;
        }
        String test = message.substring(0, paren);
        String name = test.substring(test.lastIndexOf('.') + 1);
        if (message.endsWith(" Start")) {
            startedNanos = System.nanoTime();
            method = name;
        } else if (message.endsWith(" Success") || message.endsWith(" Failed") || message.endsWith(" is not possible")) {
            method = null;
        }
    }

    /** The method of the test under way, or null between tests. */
    String method() {
        return method;
    }

    /** How long the test under way has been running, in milliseconds (0 between tests). */
    long runningMillis() {
        return method == null ? 0 : (System.nanoTime() - startedNanos) / 1_000_000;
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        SINT_LOGGER.removeHandler(this);
    }
}
