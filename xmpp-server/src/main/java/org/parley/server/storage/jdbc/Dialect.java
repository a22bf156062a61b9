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
        return this == SQLITE ? SQLITE_TIME.format(instant) : instant.atOffset(ZoneOffset.UTC);
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
}
