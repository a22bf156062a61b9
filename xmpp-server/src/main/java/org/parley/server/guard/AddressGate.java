package org.parley.server.guard;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission of new connections per client address (XEP-0205 §4.2, §4.3): at most {@code maxUnauthenticated}
 * connections of one address may be open before they authenticate, and one address may open at most
 * {@code perMinute} connections a minute (a token bucket holding a minute's worth, so short bursts pass).
 * Addresses are counted by {@link AddressKey} (IPv6 by /64). Thread-safe.
 */
public final class AddressGate {

    private final int maxUnauthenticated;
    private final int perMinute;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicInteger admissions = new AtomicInteger();

    public AddressGate(int maxUnauthenticated, int perMinute) {
        this.maxUnauthenticated = maxUnauthenticated;
        this.perMinute = perMinute;
    }

    private final class Entry {
        int unauthenticated; // guarded by this
        final TokenBucket rate = new TokenBucket(perMinute, perMinute / 60.0);
    }

    /** One admitted connection; {@link #authenticated()} and {@link #closed()} give its unauthenticated slot back. */
    public final class Ticket {
        private final Entry entry;
        private boolean counted = true; // guarded by entry

        private Ticket(Entry entry) {
            this.entry = entry;
        }

        /** The connection authenticated: it no longer counts as unauthenticated. Idempotent. */
        public void authenticated() {
            synchronized (entry) {
                if (counted) {
                    counted = false;
                    entry.unauthenticated--;
                }
            }
        }

        /** The connection closed. Idempotent. */
        public void closed() {
            authenticated();
        }
    }

    /** The outcome of {@link #admit}: a ticket, or why the connection is refused. */
    public record Admission(Ticket ticket, String refusal) {
    }

    /** Admits a connection from {@code address}, or says why not. */
    public Admission admit(String address) {
        if (admissions.incrementAndGet() % 1024 == 0) {
            sweep();
        }
        String key = AddressKey.of(address);
        Entry entry = entries.computeIfAbsent(key, k -> new Entry());
        if (!entry.rate.tryTake()) {
            return new Admission(null, "too many connections from your address in the last minute");
        }
        synchronized (entry) {
            if (entry.unauthenticated >= maxUnauthenticated) {
                return new Admission(null, "too many unauthenticated connections from your address");
            }
            entry.unauthenticated++;
        }
        return new Admission(new Ticket(entry), null);
    }

    /** Unauthenticated connections of {@code address} right now (tests). */
    public int unauthenticated(String address) {
        Entry entry = entries.get(AddressKey.of(address));
        if (entry == null) {
            return 0;
        }
        synchronized (entry) {
            return entry.unauthenticated;
        }
    }

    /** Forgets addresses with nothing open and a full bucket, so the map holds only active addresses. */
    private void sweep() {
        entries.entrySet().removeIf(e -> {
            synchronized (e.getValue()) {
                return e.getValue().unauthenticated == 0 && e.getValue().rate.isFull();
            }
        });
    }
}
