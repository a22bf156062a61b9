package org.parley.server.testing;

import org.parley.server.storage.AccountStore;
import org.parley.server.storage.ArchiveStore;
import org.parley.server.storage.BlockListStore;
import org.parley.server.storage.DocumentStore;
import org.parley.server.storage.OfflineStore;
import org.parley.server.storage.PubSubStore;
import org.parley.server.storage.PushStore;
import org.parley.server.storage.RoomStore;
import org.parley.server.storage.RosterStore;
import org.parley.server.storage.Storage;

/**
 * The server's real storage with every store forwarded to it; a test overrides the one store whose writes it
 * holds, refuses or watches (e.g. with a {@link StoreGate}), and the server runs on the real backend otherwise.
 */
public class ForwardingStorage implements Storage {

    protected final Storage real;

    public ForwardingStorage(Storage real) {
        this.real = real;
    }

    @Override
    public AccountStore accounts() {
        return real.accounts();
    }

    @Override
    public RosterStore rosters() {
        return real.rosters();
    }

    @Override
    public OfflineStore offline() {
        return real.offline();
    }

    @Override
    public DocumentStore documents() {
        return real.documents();
    }

    @Override
    public RoomStore rooms() {
        return real.rooms();
    }

    @Override
    public ArchiveStore archive() {
        return real.archive();
    }

    @Override
    public PubSubStore pubsub() {
        return real.pubsub();
    }

    @Override
    public BlockListStore blockLists() {
        return real.blockLists();
    }

    @Override
    public PushStore push() {
        return real.push();
    }

    @Override
    public void bindMetrics(io.micrometer.core.instrument.MeterRegistry registry) {
        real.bindMetrics(registry);
    }

    @Override
    public void close() {
        real.close();
    }
}
