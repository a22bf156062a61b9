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
 * unbounded map would be a memory leak anyone could drive. Malformed addresses are never cached, nor texts
 * longer than any valid JID ({@link #MAX_JID_CHARS}): Vysper's parser accepts them, and ten thousand of
 * them at the stanza size limit would be gigabytes. Parsed entities are immutable, so sharing them between
 * threads is safe.
 */
public final class JidCache {

    /**
     * Far more distinct addresses than one server's active sessions and rooms use; about 2 MiB of everyday
     * addresses, and at most some 60 MiB however long the (valid-length) texts a client sends.
     */
    public static final int MAX_ENTRIES = 10_000;

    /**
     * RFC 7622 §3.1: each of the three parts is at most 1023 octets, so no valid JID has more than 3071 octets
     * (and so chars) besides its two separators.
     */
    static final int MAX_JID_CHARS = 3 * 1023 + 2;

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
        if (jid.length() <= MAX_JID_CHARS) {
            CACHE.put(jid, parsed);
        }
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

    /** Whether {@code jid}'s parse is cached now (tests). */
    static boolean cached(String jid) {
        return CACHE.getIfPresent(jid) != null;
    }
}
