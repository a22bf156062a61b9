package org.parley.server;

import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.vysper.xmpp.addressing.EntityFormatException;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds Vysper's stringprep tables (RFC 3454, used by every JID Vysper parses) on a background thread, so that
 * the start-up work beside it (storage, certificate, listeners) overlaps with them. Vysper builds them on first
 * use, in class initialisers that hold one {@code String} per code point: about 0.5 s of CPU and 60 MB of heap
 * on the first JID parsed and the first resource bound, which would otherwise all sit on the path to the first
 * login.
 */
public final class StringPrepTables {

    private static final Logger LOG = LoggerFactory.getLogger(StringPrepTables.class);
    private static final AtomicBoolean STARTED = new AtomicBoolean();

    private StringPrepTables() {
    }

    /** Starts building the tables once per JVM; later callers of Vysper's JID parsing wait for it as needed. */
    public static void prepareInBackground() {
        if (!STARTED.compareAndSet(false, true)) {
            return;
        }
        Thread thread = new Thread(() -> {
            long started = System.nanoTime();
            try {
                EntityImpl.parse("nodeprep@nameprep/resourceprep"); // node, domain and resource tables
            } catch (EntityFormatException e) {
                LOG.warn("stringprep warm-up failed: {}", e.toString());
            }
            LOG.debug("stringprep tables built in {} ms", (System.nanoTime() - started) / 1_000_000);
        }, "parley-stringprep");
        thread.setDaemon(true);
        thread.start();
    }
}
