package org.parley.server.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.vysper.xmpp.addressing.EntityFormatException;
import org.junit.jupiter.api.Test;

/** The parsed-JID cache keeps only what is worth keeping: the texts come from clients. */
class JidCacheTest {

    @Test
    void aValidAddressIsCachedAndParsedOnce() throws Exception {
        String jid = "cache-hit@example.org/desk";
        assertEquals("desk", JidCache.parse(jid).getResource());
        assertTrue(JidCache.cached(jid));
        assertTrue(JidCache.parse(jid) == JidCache.parse(jid), "a hit returns the cached entity");
    }

    @Test
    void malformedAddressesAreNeverCached() {
        String jid = "a@b@c/d";
        assertThrows(EntityFormatException.class, () -> JidCache.parse(jid));
        assertNull(JidCache.parseOrNull(jid));
        assertFalse(JidCache.cached(jid));
    }

    /** RFC 7622 §3.1 bounds a JID at 3 × 1023 octets; Vysper's parser accepts longer texts, the cache keeps none. */
    @Test
    void textsLongerThanAnyValidJidAreParsedButNotCached() throws Exception {
        String longest = "l".repeat(1023) + "@" + "d".repeat(1023) + "/" + "r".repeat(1023);
        assertEquals(JidCache.MAX_JID_CHARS, longest.length());
        JidCache.parse(longest);
        assertTrue(JidCache.cached(longest), "the longest valid JID is cached");

        String tooLong = "l".repeat(60_000) + "@example.org/" + "r".repeat(60_000);
        assertEquals(tooLong, JidCache.parse(tooLong).getFullQualifiedName());
        assertFalse(JidCache.cached(tooLong));
    }
}
