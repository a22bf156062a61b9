package org.parley.server.storage.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * What differs between the databases the stores run on, kept to the few places where portable SQL is not
 * enough: how a point in time is stored, row locks, and how a writing transaction starts.
 */
enum Dialect {
    H2, POSTGRESQL,
    /**
     * SQLite stores a time as text: one fixed-width UTC form, so that comparing the text compares the times
     * (and an index on it serves a time range). Microseconds, as the other two keep.
     */
    SQLITE;

    private static final DateTimeFormatter SQLITE_TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

    static Dialect of(String jdbcUrl) {
        if (jdbcUrl.startsWith("jdbc:sqlite:")) {
            return SQLITE;
        }
        return jdbcUrl.startsWith("jdbc:postgresql:") ? POSTGRESQL : H2;
    }

    /** A time as a statement parameter. */
    Object timestamp(Instant instant) {
        return this == SQLITE ? sqliteTime(instant) : instant.atOffset(ZoneOffset.UTC);
    }

    /**
     * {@link #SQLITE_TIME}'s form, written by hand for the years 0–9999: the formatter goes through a
     * BigDecimal for the fraction, a noticeable part of the archive writer's CPU per row (issue 18).
     */
    static String sqliteTime(Instant instant) {
        java.time.LocalDateTime t = java.time.LocalDateTime.ofEpochSecond(instant.getEpochSecond(), 0, ZoneOffset.UTC);
        int year = t.getYear();
        if (year < 0 || year > 9999) {
            return SQLITE_TIME.format(instant);
        }
        char[] c = new char[27];
        digits(c, 0, year, 4);
        c[4] = '-';
        digits(c, 5, t.getMonthValue(), 2);
        c[7] = '-';
        digits(c, 8, t.getDayOfMonth(), 2);
        c[10] = 'T';
        digits(c, 11, t.getHour(), 2);
        c[13] = ':';
        digits(c, 14, t.getMinute(), 2);
        c[16] = ':';
        digits(c, 17, t.getSecond(), 2);
        c[19] = '.';
        digits(c, 20, instant.getNano() / 1000, 6);
        c[26] = 'Z';
        return new String(c);
    }

    private static void digits(char[] c, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            c[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }

    /** A time column, as {@link #timestamp} wrote it. */
    Instant instant(ResultSet rs, int column) throws SQLException {
        if (this == SQLITE) {
            return Instant.parse(rs.getString(column));
        }
        return rs.getObject(column, OffsetDateTime.class).toInstant();
    }

    /**
     * The row-lock clause of a SELECT that serialises writers on one row. SQLite has none and needs none: a
     * writing transaction holds the database's single write lock from its start ({@link Transactions}).
     */
    String forUpdate() {
        return this == SQLITE ? "" : " FOR UPDATE";
    }

    /**
     * What an archive's deletion runs first so that no writer commits between its two statements, or null.
     * On PostgreSQL (READ COMMITTED) a writer whose counter row for the archive was new, and so not in the
     * snapshot of the deletion's {@code DELETE FROM archive_counts}, could commit in between: its messages then
     * went with the second statement while its counter row stayed (counts too high, seen in
     * archiveCountsStayExactWhilePurgeAndWriterRunConcurrently). This lock waits for the writers that already
     * changed counters and holds back the others (which change counters last) until the deletion commits;
     * reads are not blocked. Archives are deleted rarely (with their account). SQLite has one writer at a
     * time anyway; H2 has no table lock statement and did not show the race.
     */
    String lockCountersForArchiveDeletion() {
        return this == POSTGRESQL ? "LOCK TABLE archive_counts IN SHARE ROW EXCLUSIVE MODE" : null;
    }
}
