package org.parley.server.routing;

import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityFormatException;
import org.apache.vysper.xmpp.addressing.EntityImpl;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * Parsed JIDs by their text, for the addresses that must still be parsed after the dispatcher (Vysper's
 * own handlers relay stanzas whose 'from' is only text). Vysper's {@code EntityImpl.parse} runs the
 * stringprep profiles on every call; the same few thousand addresses recur on every stanza, so a hit
 * is a hash look-up instead.
 *
 * <p>Bounded ({@link #MAX_ENTRIES}, W-TinyLFU eviction by Caffeine): the texts come from clients, so an
 * unbounded map would be a memory leak anyone could drive. Malformed addresses are never cached. Parsed
 * entities are immutable, so sharing them between threads is safe.
 */
public final class JidCache {

    /** About 2 MiB at most: far more distinct addresses than one server's active sessions and rooms use. */
    public static final int MAX_ENTRIES = 10_000;

    private static final Cache<String, Entity> CACHE = Caffeine.newBuilder().maximumSize(MAX_ENTRIES).build();

    private JidCache() {
    }

    /**
     * The parsed address; null for null.
     *
     * @throws EntityFormatException when {@code jid} is not a valid JID (RFC 7622)
     */
    public static Entity parse(String jid) throws EntityFormatException {
        if (jid == null) {
            return null;
        }
        Entity cached = CACHE.getIfPresent(jid);
        if (cached != null) {
            return cached;
        }
        Entity parsed = EntityImpl.parse(jid);
        CACHE.put(jid, parsed);
        return parsed;
    }

    /** The parsed address, or null when {@code jid} is null or malformed (server-made stanzas). */
    public static Entity parseOrNull(String jid) {
        try {
            return parse(jid);
        } catch (EntityFormatException | RuntimeException e) {
            return null;
        }
    }

    /** How many addresses are cached now (tests). */
    static long size() {
        CACHE.cleanUp();
        return CACHE.estimatedSize();
    }
}
