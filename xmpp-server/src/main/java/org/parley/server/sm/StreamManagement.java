package org.parley.server.sm;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import org.apache.vysper.xmpp.stanza.Stanza;

/**
 * XEP-0198 state of one managed stream: how many stanzas the server handled ({@code h} it reports), and
 * the stanzas it sent that the client has not acknowledged yet — what a resumed stream sends again.
 * Counters wrap at 2^32 as §4 says. Thread-safe: stanzas are sent from any thread that delivers to the session.
 */
public final class StreamManagement {

    /** The most unacknowledged stanzas kept; beyond it (or beyond the byte bound) {@link #sent} reports overflow. */
    public static final int MAX_UNACKED = 10_000;
    private static final long MOD = 1L << 32;

    private final String resumptionId;
    private final ArrayDeque<Stanza> unacked = new ArrayDeque<>();
    /** The estimated serialised size of each of {@link #unacked}, in the same order. */
    private final ArrayDeque<Integer> sizes = new ArrayDeque<>();
    private final long maxBytes;
    private long bytes;
    private long handled;
    private long acked;
    private long sent;
    /** The session expired and its queue was taken: nothing more is recorded ({@link #sentUnlessSealed}). */
    private boolean sealed;

    /** @param resumptionId the id a client resumes with, or null when the stream is not resumable */
    public StreamManagement(String resumptionId) {
        this(resumptionId, Long.MAX_VALUE);
    }

    /**
     * @param maxBytes the most bytes of unacknowledged stanzas held (their estimated serialised size): the bound
     *                 that makes a detached session's queue cost memory in proportion to a setting (issue 17)
     */
    public StreamManagement(String resumptionId, long maxBytes) {
        this.resumptionId = resumptionId;
        this.maxBytes = maxBytes;
    }

    /** Unacknowledged stanzas held. */
    public synchronized int unackedCount() {
        return unacked.size();
    }

    /** Estimated bytes of the unacknowledged stanzas held. */
    public synchronized long unackedBytes() {
        return bytes;
    }

    public String resumptionId() {
        return resumptionId;
    }

    /** Counts one stanza the server handled for the client (§4). */
    public synchronized void handled() {
        handled = (handled + 1) % MOD;
    }

    public synchronized long handledCount() {
        return handled;
    }

    /**
     * {@link #sent}, unless {@link #takeAllAndSeal} ran: then null, and the stanza is not recorded (it was on its
     * way to an expiring session, and the caller must give it another way in).
     */
    public synchronized Boolean sentUnlessSealed(Stanza stanza) {
        return sealed ? null : sent(stanza);
    }

    /** {@link #takeAll}, and nothing is recorded afterwards ({@link #sentUnlessSealed}): the session expired. */
    public synchronized List<Stanza> takeAllAndSeal() {
        sealed = true;
        return takeAll();
    }

    /**
     * Records a stanza sent to the client; false when the queue now holds more than {@link #MAX_UNACKED}
     * stanzas or more than its byte bound. Nothing is dropped: the caller ends the session, whose queue then
     * goes where XEP-0198 §5 and RFC 6121 §8.5.2 say (another resource or offline storage).
     */
    public synchronized boolean sent(Stanza stanza) {
        int size = StanzaSize.estimate(stanza);
        unacked.addLast(stanza);
        sizes.addLast(size);
        bytes += size;
        sent = (sent + 1) % MOD;
        return unacked.size() <= MAX_UNACKED && bytes <= maxBytes;
    }

    /** The client acknowledged everything up to {@code h}; true when {@code h} is plausible. */
    public synchronized boolean acknowledged(long h) {
        long newlyAcked = ((h - acked) % MOD + MOD) % MOD;
        if (newlyAcked > unacked.size()) {
            return false; // acknowledges stanzas never sent (§4: an error the server may treat as undefined-condition)
        }
        for (long i = 0; i < newlyAcked; i++) {
            unacked.removeFirst();
            bytes -= sizes.removeFirst();
        }
        acked = h % MOD;
        return true;
    }

    /** A copy of what is not acknowledged yet, oldest first; the queue is unchanged. */
    public synchronized List<Stanza> unacknowledged() {
        return new ArrayList<>(unacked);
    }

    /** Everything not acknowledged, oldest first; the queue is then empty. */
    public synchronized List<Stanza> takeAll() {
        List<Stanza> rest = new ArrayList<>(unacked);
        unacked.clear();
        sizes.clear();
        bytes = 0;
        return rest;
    }

    /** The counters and the queue's length, for debug logs. */
    @Override
    public synchronized String toString() {
        return "handled=" + handled + " sent=" + sent + " acked=" + acked + " unacked=" + unacked.size();
    }

    /** What a session resumed on another cluster node carries over (issue 19): the counters and the queue. */
    public record Snapshot(long handled, long acked, List<Stanza> unacknowledged) {
    }

    /**
     * The stream is handed to another node (XEP-0198 §5 across a cluster): its counters and its whole queue,
     * which is then empty and sealed, so that nothing recorded afterwards is lost in the old node
     * ({@link #sentUnlessSealed} makes the caller reroute it).
     */
    public synchronized Snapshot handOff() {
        long h = handled;
        long a = acked;
        return new Snapshot(h, a, takeAllAndSeal());
    }

    /** The state another node handed over ({@link #handOff}), on this node. */
    public static StreamManagement restore(String resumptionId, long maxBytes, long handled, long acked,
                                           List<Stanza> unacknowledged) {
        StreamManagement sm = new StreamManagement(resumptionId, maxBytes);
        synchronized (sm) {
            for (Stanza s : unacknowledged) {
                int size = StanzaSize.estimate(s);
                sm.unacked.addLast(s);
                sm.sizes.addLast(size);
                sm.bytes += size;
            }
            sm.handled = handled % MOD;
            sm.acked = acked % MOD;
            sm.sent = (acked + unacknowledged.size()) % MOD;
        }
        return sm;
    }

    /**
     * On resumption (§5): drops what the client says it received and hands back the rest, in order, to be
     * sent again; the queue is then empty, and the stanzas are recorded anew as they are resent.
     */
    public synchronized List<Stanza> takeUnacknowledged(long clientH) {
        acknowledged(clientH);
        List<Stanza> rest = new ArrayList<>(unacked);
        unacked.clear();
        sizes.clear();
        bytes = 0;
        sent = acked; // the client counts the resent stanzas on from its h
        return rest;
    }
}
