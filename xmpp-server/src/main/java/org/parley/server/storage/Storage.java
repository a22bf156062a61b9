package org.parley.server.storage;

/**
 * Everything Parley persists, behind one handle so that a backend (embedded H2, PostgreSQL, later a
 * cluster store) is chosen by configuration alone.
 */
public interface Storage extends AutoCloseable {

    AccountStore accounts();

    RosterStore rosters();

    OfflineStore offline();

    DocumentStore documents();

    RoomStore rooms();

    ArchiveStore archive();

    /** Publish-subscribe nodes and items, of the pubsub service and of every account's PEP service. */
    PubSubStore pubsub();

    /** Each account's blocked JIDs (XEP-0191). */
    BlockListStore blockLists();

    /** Each account's push notification registrations (XEP-0357). */
    PushStore push();

    /** Registers the backend's own meters (the connection pool's, for one) in {@code registry}. */
    default void bindMetrics(io.micrometer.core.instrument.MeterRegistry registry) {
    }

    /** Flushes and closes the backend; safe to call twice. */
    @Override
    void close();
}
