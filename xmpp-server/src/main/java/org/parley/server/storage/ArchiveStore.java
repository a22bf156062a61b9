package org.parley.server.storage;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Archived messages (XEP-0313): each archive (a user's bare JID or a room's JID) is an ordered log of
 * stanzas, paged by the XEP-0359 ids the server stamped (XEP-0059 result set management).
 */
public interface ArchiveStore {

    /**
     * One archived message.
     *
     * @param id     the stanza-id, unique within its archive
     * @param with   the conversation partner: a bare JID, or an occupant JID in a room archive
     * @param stanza the message as delivered, serialised
     */
    record Entry(String id, String with, Instant sent, String stanza) {
    }

    /** What to select: null fields do not filter. {@code with} matches a bare JID or, if given, a full one. */
    record Filter(String archive, String with, Instant start, Instant end) {
    }

    /**
     * One page.
     *
     * @param entries    oldest first
     * @param complete   true when no more entries lie in the paging direction (XEP-0313 §4.3)
     * @param count      entries matching the filter in all
     * @param firstIndex position of the first entry among them (0-based), -1 for an empty page
     */
    record Page(List<Entry> entries, boolean complete, long count, long firstIndex) {
    }

    /** The paging request: {@code after} or {@code before} an id, or the last page; at most {@code max}. */
    record Paging(String after, String before, boolean lastPage, int max) {
    }

    /** One entry for one archive, for {@link #appendAll}. */
    record Appended(String archive, Entry entry) {
    }

    void append(String archive, Entry entry);

    /** Appends several entries in one transaction, in list order. */
    void appendAll(List<Appended> entries);

    /** @throws UnknownIdException when after/before names an id that is not in the archive */
    Page page(Filter filter, Paging paging);

    /** Deletes everything sent before {@code cutoff} in every archive; returns how many. */
    int deleteOlderThan(Instant cutoff);

    /**
     * The archives holding more than {@code cap} messages, with how many each holds: read from the per-archive
     * counters, so it costs one row per archive, not a count over the messages.
     */
    java.util.Map<String, Long> archivesOver(long cap);

    /**
     * Deletes the oldest messages of {@code archive} (in archive order) beyond its newest {@code keep}, in
     * transactions of a bounded size, keeping the counters exact; returns how many were deleted.
     */
    int deleteOldestBeyond(String archive, long keep);

    /** Deletes a whole archive (account or room removed). */
    void deleteArchive(String archive);

    /** The entry with this stanza-id, if the archive holds it. */
    Optional<Entry> entry(String archive, String id);

    /**
     * Replaces the stored stanza of one entry, keeping its id, partner and time: how a retracted message
     * becomes a tombstone (XEP-0424 §6, XEP-0425). False when the archive holds no such entry.
     */
    boolean replace(String archive, String id, String stanza);

    /** The paging anchor does not exist (XEP-0313 §4.3.4: item-not-found). */
    final class UnknownIdException extends StorageException {
        public UnknownIdException(String id) {
            super("no archived message with id " + id, null);
        }
    }
}
