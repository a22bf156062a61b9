package org.parley.server.storage.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** SQLite's stored time, written by hand for speed, is exactly the fixed-width form the formatter wrote. */
class DialectTest {

    private static final DateTimeFormatter FORMATTER =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

    @Test
    void theHandWrittenSqliteTimeIsTheFormattersForm() {
        Random random = new Random(23);
        Instant[] fixed = {Instant.EPOCH, Instant.parse("2026-12-07T00:00:00Z"), Instant.parse("0001-01-01T00:00:00.000001Z"),
            Instant.parse("9999-12-31T23:59:59.999999999Z"), Instant.parse("2024-02-29T12:34:56.789Z")};
        for (Instant t : fixed) {
            assertEquals(FORMATTER.format(t), Dialect.sqliteTime(t));
        }
        for (int i = 0; i < 100_000; i++) {
            Instant t = Instant.ofEpochSecond(random.nextLong(-62_000_000_000L, 253_000_000_000L), random.nextInt(1_000_000_000));
            assertEquals(FORMATTER.format(t), Dialect.sqliteTime(t), t.toString());
        }
        assertEquals(FORMATTER.format(Instant.parse("+10000-01-01T00:00:00Z")),
                Dialect.sqliteTime(Instant.parse("+10000-01-01T00:00:00Z")), "beyond four digits: the formatter");
    }
}
