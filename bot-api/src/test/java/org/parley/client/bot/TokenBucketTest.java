package org.parley.client.bot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class TokenBucketTest {

    @Test
    void burstThenOnePerInterval() {
        AtomicLong now = new AtomicLong();
        TokenBucket bucket = new TokenBucket(3, Duration.ofSeconds(1), now::get);
        assertTrue(bucket.tryTake());
        assertTrue(bucket.tryTake());
        assertTrue(bucket.tryTake());
        assertFalse(bucket.tryTake());
        assertEquals(Duration.ofSeconds(1).toNanos(), bucket.nanosUntilToken());
        now.addAndGet(Duration.ofMillis(500).toNanos());
        assertFalse(bucket.tryTake());
        now.addAndGet(Duration.ofMillis(500).toNanos());
        assertTrue(bucket.tryTake());
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        for (int i = 0; i < 3; i++) {
            assertTrue(bucket.tryTake(), "refills up to the capacity");
        }
        assertFalse(bucket.tryTake());
    }

    @Test
    void zeroRefillNeverRefills() {
        TokenBucket bucket = new TokenBucket(1, Duration.ZERO);
        assertTrue(bucket.tryTake());
        assertFalse(bucket.tryTake());
        assertEquals(Long.MAX_VALUE, bucket.nanosUntilToken());
    }

    @Test
    void mentions() {
        assertEquals("who", Bot.mention("helper: who", "helper"));
        assertEquals("who", Bot.mention("@helper who", "helper"));
        assertEquals("hey who", Bot.mention("hey @Helper who", "helper"));
        assertNull(Bot.mention("@helpers who", "helper"));
        assertNull(Bot.mention("!who", "helper"));
    }
}
