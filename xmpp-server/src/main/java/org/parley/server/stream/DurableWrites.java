package org.parley.server.stream;

/**
 * Lets a stream acknowledge (XEP-0198 {@code <a h/>}) only what is durably stored. Work that stores
 * asynchronously (the message archive's group commit) leaves a mark for what the current thread queued; the
 * stream collects the marks of the stanzas it handled and, before it answers an acknowledgement request,
 * waits until everything up to the latest is committed. Stanza processing itself never waits, so a sender's
 * burst is not slowed to one commit per stanza.
 */
public interface DurableWrites {

    /** Nothing is stored asynchronously. */
    DurableWrites NONE = new DurableWrites() {
        @Override
        public long takeMark() {
            return 0;
        }

        @Override
        public void awaitStored(long mark) {
        }
    };

    /** The mark of what the calling thread queued since its last call, or 0 when nothing; clears it. */
    long takeMark();

    /** Blocks until everything up to {@code mark} is committed (or a bounded wait passed, logged). */
    void awaitStored(long mark);
}
