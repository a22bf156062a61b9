package org.parley.client.ui;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.parley.client.core.Clients;

/**
 * A UI thread for headless tests of the presenters and models: a single thread stands in for Swing's event
 * thread, so models are touched on one thread only, as in the app. Tests read models through {@link #get}
 * and wait for conditions (checked on that thread) with {@link #until}.
 */
public final class TestUi implements AutoCloseable {

    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-ui-thread"));
    private final UiDispatch dispatch = new UiDispatch(thread);

    public UiDispatch dispatch() {
        return dispatch;
    }

    /** Runs {@code action} on the UI thread and waits for it. */
    public void run(Runnable action) throws Exception {
        get(() -> {
            action.run();
            return null;
        });
    }

    /** Evaluates {@code value} on the UI thread. */
    public <T> T get(Supplier<T> value) throws Exception {
        return CompletableFuture.supplyAsync(value, thread).get(Clients.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    /** Waits until {@code condition} (evaluated on the UI thread) holds; fails after {@link Clients#TIMEOUT}. */
    public void until(BooleanSupplier condition, String what) throws Exception {
        long deadline = System.nanoTime() + Clients.TIMEOUT.toNanos();
        while (!get(condition::getAsBoolean)) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(20); // a poll interval, not a wait for something to have happened
        }
    }

    @Override
    public void close() {
        dispatch.close();
        thread.shutdownNow();
    }
}
