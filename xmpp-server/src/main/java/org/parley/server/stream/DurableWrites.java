package org.parley.server.stream;

import java.util.concurrent.CompletableFuture;

import org.apache.vysper.xmpp.server.SessionContext;

/**
 * Lets a stream acknowledge (XEP-0198 {@code <a h/>}) only what is durably stored. Work that stores
 * asynchronously (the message archive's group commit) leaves a mark for the session whose stanza it stores;
 * the stream collects the marks of the stanzas it handled and, when asked for an acknowledgement, sends it
 * once everything they cover is committed ({@link #whenStored}) — without holding a thread meanwhile. Stanza
 * processing itself never waits, so a sender's burst is not slowed to one commit per stanza.
 */
public interface DurableWrites {

    /** Nothing is stored asynchronously. */
    DurableWrites NONE = new DurableWrites() {
        @Override
        public Mark takeMark(SessionContext origin) {
            return Mark.NONE;
        }

        @Override
        public CompletableFuture<Boolean> whenStored(Mark mark) {
            return CompletableFuture.completedFuture(true);
        }
    };

    /**
     * The writes queued from {@code first} to {@code last} (tickets in queue order; other sessions' writes
     * may lie in between, and count as this mark's for a failure, which errs on the safe side).
     */
    record Mark(long first, long last) {
        public static final Mark NONE = new Mark(0, 0);

        public boolean isEmpty() {
            return last == 0;
        }

        /** This mark and a later one as one. */
        public Mark through(Mark later) {
            if (later.isEmpty()) {
                return this;
            }
            return isEmpty() ? later : new Mark(Math.min(first, later.first), Math.max(last, later.last));
        }
    }

    /** What was queued for stanzas {@code origin} sent since its last call, or {@link Mark#NONE}; clears it. */
    Mark takeMark(SessionContext origin);

    /**
     * Completes once everything {@code mark} covers was attempted: true when it all is stored; false when
     * some of it could not be (logged), and the caller must not acknowledge it. It may complete on the
     * storing thread: the caller hands its work to its own executor.
     */
    CompletableFuture<Boolean> whenStored(Mark mark);
}
