package org.parley.server.muc;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

import org.apache.vysper.xml.fragment.Renderer;
import org.apache.vysper.xmpp.stanza.Stanza;

/**
 * The last messages of a room, sent to newcomers as XEP-0045 §7.2.15 describes, bounded by the room's
 * history length. Guarded by its room.
 */
final class DiscussionHistory {

    /** A message as broadcast (from the occupant JID, no 'to'), and when it was sent. */
    record Entry(Stanza message, Instant sent) {
        /**
         * Its size in characters, for {@code maxchars}. Rendered only when a newcomer asks for that limit, not
         * for every message the room relays (the profile of a busy room showed it).
         */
        int chars() {
            return new Renderer(message).getComplete().length();
        }
    }

    /**
     * What the newcomer asked for in {@code <history/>}; null fields were not given.
     * Without any limit the room's whole history is sent.
     */
    record Request(Integer maxChars, Integer maxStanzas, Integer seconds, Instant since) {
        static final Request ALL = new Request(null, null, null, null);
    }

    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private int capacity;

    DiscussionHistory(int capacity) {
        this.capacity = capacity;
    }

    void capacity(int newCapacity) {
        this.capacity = newCapacity;
        trim();
    }

    void add(Stanza message, Instant sent) {
        if (capacity == 0) {
            return;
        }
        entries.addLast(new Entry(message, sent));
        trim();
    }

    /** Forgets the messages {@code retracted} matches (XEP-0424 §7: not replayed to newcomers). */
    void removeIf(java.util.function.Predicate<Stanza> retracted) {
        entries.removeIf(e -> retracted.test(e.message()));
    }

    private void trim() {
        while (entries.size() > capacity) {
            entries.removeFirst();
        }
    }

    /** The entries the request allows, oldest first: the newest ones that fit every limit given. */
    List<Entry> select(Request request, Instant now) {
        Instant notBefore = null;
        if (request.seconds() != null) {
            notBefore = now.minus(Duration.ofSeconds(request.seconds()));
        }
        if (request.since() != null && (notBefore == null || request.since().isAfter(notBefore))) {
            notBefore = request.since();
        }
        List<Entry> chosen = new ArrayList<>();
        long chars = 0;
        for (Iterator<Entry> it = entries.descendingIterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (request.maxStanzas() != null && chosen.size() >= request.maxStanzas()) {
                break;
            }
            if (notBefore != null && e.sent().isBefore(notBefore)) {
                break;
            }
            if (request.maxChars() != null) {
                chars += e.chars();
                if (chars > request.maxChars()) {
                    break;
                }
            }
            chosen.add(e);
        }
        Collections.reverse(chosen);
        return chosen;
    }
}
