package org.parley.server.stream;

/**
 * Lets a stream acknowledge (XEP-0198 {@code <a h/>}) only what is durably stored. Work that stores
 * asynchronously (the message archive's group commit) leaves a mark for what the current thread queued; the
 * stream collects the marks of the stanzas it handled and, before it answers an acknowledgement request,
 * waits until everything they cover is committed. Stanza processing itself never waits, so a sender's
 * burst is not slowed to one commit per stanza.
 */
public interface DurableWrites {

    /** Nothing is stored asynchronously. */
    DurableWrites NONE = new DurableWrites() {
        @Override
        public Mark takeMark() {
            return Mark.NONE;
        }

        @Override
        public boolean awaitStored(Mark mark) {
            return true;
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

    /** What the calling thread queued since its last call, or {@link Mark#NONE}; clears it. */
    Mark takeMark();

    /**
     * Blocks (for a bounded time) until everything {@code mark} covers is committed.
     *
     * @return true when it all is; false when some of it could not be stored, or is still not after the wait
     *         (logged): the caller must not acknowledge it
     */
    boolean awaitStored(Mark mark);
}
