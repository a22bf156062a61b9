package org.parley.app;

import java.util.concurrent.CountDownLatch;

/**
 * Waits for the JVM to be asked to exit (SIGTERM, SIGINT/Ctrl-C, {@code System.exit}) and runs the clean
 * shutdown inside a shutdown hook, so that clients get {@code </stream:stream>} and the database is closed
 * properly when a service manager stops Parley.
 */
final class JvmShutdown {

    private JvmShutdown() {
    }

    static void await(Runnable onShutdown) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                onShutdown.run();
            } finally {
                stopped.countDown();
            }
        }, "parley-shutdown"));
        stopped.await();
    }
}
