package org.parley.server.storage.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.TreeMap;

import org.parley.server.storage.ArchiveStore;
import org.parley.server.storage.StorageException;

/**
 * The archive in {@code archive_messages}. Paging walks {@code seq} from an anchor in one indexed range
 * scan and reads one row more than asked to know whether the page is the last ({@code complete}).
 *
 * <p>{@code archive_counts} holds the number of messages of each (archive, bare conversation partner) and of
 * each whole archive ({@code with_bare = ''}), changed in the transaction that inserts or deletes the
 * messages, so that the XEP-0059 count of a query without a time filter (and the position of the first and
 * last pages) is one row read instead of a count over the conversation. Counter rows are updated in one
 * order (sorted by key) by every transaction, so the writer and a purge do not deadlock on them.
 */
final class JdbcArchiveStore implements ArchiveStore {

    private static final String INSERT =
            "INSERT INTO archive_messages (archive, id, with_jid, with_bare, sent_at, stanza) VALUES (?, ?, ?, ?, ?, ?)";

    /** The counter row of a whole archive. A JID is never empty, so no conversation has this partner. */
    private static final String WHOLE_ARCHIVE = "";

    /** Rows the retention purge deletes per batch. */
    private static final int PURGE_CHUNK = 10_000;

    /**
     * Rows the per-account cap deletes per transaction: small, because the transaction holds the archive's counter
     * row, which the writer needs for every batch to that archive.
     */
    private static final int TRIM_CHUNK = 1_000;

    private final Transactions db;
    /** The archive writer's own connection (see {@link Appender}); null: batches use the pool. */
    private final Appender appender;

    /** A counter row's key; sorted so that every transaction locks counter rows in the same order. */
    private record Key(String archive, String withBare) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int byArchive = archive.compareTo(o.archive);
            return byArchive != 0 ? byArchive : withBare.compareTo(o.withBare);
        }
    }

    JdbcArchiveStore(Transactions db) {
        this(db, null);
    }

    /** @param writerConnections opens the connection the archive writer keeps for its batches */
    JdbcArchiveStore(Transactions db, Connections writerConnections) {
        this.db = db;
        this.appender = writerConnections == null ? null : new Appender(writerConnections);
    }

    /** Opens a connection outside the pool. */
    @FunctionalInterface
    interface Connections {
        Connection open() throws SQLException;
    }

    /** Closes the archive writer's connection (before the pool and the embedded file close). */
    void close() {
        if (appender != null) {
            appender.close();
        }
    }

    @Override
    public void append(String archive, Entry e) {
        db.run(c -> {
            Sql.update(c, INSERT, archive, e.id(), e.with(), bare(e.with()), db.dialect().timestamp(e.sent()), e.stanza());
            Map<Key, Long> added = new TreeMap<>();
            count(added, archive, bare(e.with()));
            addToCounts(c, added);
            return null;
        });
    }

    @Override
    public void appendAll(List<Appended> entries) {
        if (entries.isEmpty()) {
            return;
        }
        if (appender != null) {
            appender.append(entries);
            return;
        }
        db.run(c -> {
            try (PreparedStatement insert = c.prepareStatement(INSERT)) {
                for (Appended a : entries) {
                    insert.setString(1, a.archive());
                    insert.setString(2, a.entry().id());
                    insert.setString(3, a.entry().with());
                    insert.setString(4, bare(a.entry().with()));
                    insert.setObject(5, db.dialect().timestamp(a.entry().sent()));
                    insert.setString(6, a.entry().stanza());
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            // One counter update per distinct key of the batch, not per message.
            Map<Key, Long> added = new TreeMap<>();
            for (Appended a : entries) {
                count(added, a.archive(), bare(a.entry().with()));
            }
            addToCounts(c, added);
            return null;
        });
    }

    @Override
    public Page page(Filter filter, Paging paging) {
        return db.read(c -> {
            StringBuilder where = new StringBuilder(" WHERE archive = ?");
            List<Object> parameters = new ArrayList<>();
            parameters.add(filter.archive());
            // The ORDER BY names every column of the index the WHERE selects (those before seq are equal to a
            // constant, so the order is seq's): H2 walks an index for ORDER BY only when it lists the
            // index's columns from the first, in both directions; PostgreSQL does it either way.
            String orderColumns = "archive, ";
            if (filter.with() != null) {
                // A bare JID matches the bare conversation partner and every full JID below it.
                where.append(" AND with_bare = ?");
                parameters.add(bare(filter.with()));
                orderColumns = "archive, with_bare, ";
                if (filter.with().indexOf('/') >= 0) {
                    where.append(" AND with_jid = ?");
                    parameters.add(filter.with());
                }
            }
            if (filter.start() != null) {
                where.append(" AND sent_at >= ?");
                parameters.add(db.dialect().timestamp(filter.start()));
            }
            if (filter.end() != null) {
                where.append(" AND sent_at <= ?");
                parameters.add(db.dialect().timestamp(filter.end()));
            }
            // Without a time filter, and with no partner or a bare one, the count is the counter row's.
            String counter = filter.start() != null || filter.end() != null ? null
                    : filter.with() == null ? WHOLE_ARCHIVE
                    : filter.with().isEmpty() || filter.with().indexOf('/') >= 0 ? null
                    : filter.with();
            long count = counter != null
                    ? Sql.number(c, 0, "SELECT messages FROM archive_counts WHERE archive = ? AND with_bare = ?",
                            filter.archive(), counter)
                    : Sql.number(c, 0, "SELECT COUNT(*) FROM archive_messages" + where, parameters.toArray());

            boolean backward = paging.before() != null || paging.lastPage();
            StringBuilder sql = new StringBuilder("SELECT seq, id, with_jid, sent_at, stanza FROM archive_messages")
                    .append(where);
            List<Object> pageParameters = new ArrayList<>(parameters);
            String anchor = paging.after() != null ? paging.after() : paging.before();
            if (anchor != null) {
                long seq = Sql.number(c, -1, "SELECT seq FROM archive_messages WHERE id = ? AND archive = ?",
                        anchor, filter.archive());
                if (seq < 0) {
                    throw new UnknownIdException(anchor);
                }
                sql.append(backward ? " AND seq < ?" : " AND seq > ?");
                pageParameters.add(seq);
            }
            String direction = backward ? " DESC" : " ASC";
            sql.append(" ORDER BY ").append(orderColumns.replace(",", direction + ",")).append("seq").append(direction)
                    .append(" LIMIT ?");
            pageParameters.add(paging.max() + 1);
            List<Entry> entries = new ArrayList<>();
            List<Long> seqs = new ArrayList<>();
            try (PreparedStatement select = Sql.prepare(c, sql.toString(), pageParameters.toArray());
                 ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    seqs.add(rs.getLong(1));
                    entries.add(new Entry(rs.getString(2), rs.getString(3),
                            db.dialect().instant(rs, 4), rs.getString(5)));
                }
            }
            boolean complete = entries.size() <= paging.max();
            if (!complete) {
                entries.remove(entries.size() - 1);
                seqs.remove(seqs.size() - 1);
            }
            if (backward) {
                Collections.reverse(entries);
                Collections.reverse(seqs);
            }
            long firstIndex;
            if (seqs.isEmpty()) {
                firstIndex = -1;
            } else if (anchor == null) {
                // The first or the last page: its position follows from the count, without a second count
                // over what may be a long conversation (the newest page is what clients ask for most).
                firstIndex = backward ? Math.max(0, count - entries.size()) : 0;
            } else if (backward) {
                // Paging back from the newest (scrolling up a chat) stays near the end: count what follows.
                List<Object> indexParameters = new ArrayList<>(parameters);
                indexParameters.add(seqs.get(0));
                firstIndex = Math.max(0, count - Sql.number(c, 0,
                        "SELECT COUNT(*) FROM archive_messages" + where + " AND seq >= ?", indexParameters.toArray()));
            } else {
                List<Object> indexParameters = new ArrayList<>(parameters);
                indexParameters.add(seqs.get(0));
                firstIndex = Sql.number(c, 0, "SELECT COUNT(*) FROM archive_messages" + where + " AND seq < ?",
                        indexParameters.toArray());
            }
            return new Page(List.copyOf(entries), complete, count, firstIndex);
        });
    }

    @Override
    public int deleteOlderThan(Instant cutoff) {
        // Deletes row by row (by primary key, in batches) and takes from the counters exactly the rows this
        // transaction deleted: a row a concurrent deleteArchive removed first is not taken twice, and a row
        // committed after the SELECT's snapshot is left for the next purge, counted.
        return db.run(c -> {
            Map<Key, Long> removed = new TreeMap<>();
            int deleted = 0;
            try (PreparedStatement select = c.prepareStatement(
                         "SELECT seq, archive, with_bare FROM archive_messages WHERE sent_at < ?");
                 PreparedStatement delete = c.prepareStatement("DELETE FROM archive_messages WHERE seq = ?")) {
                select.setFetchSize(PURGE_CHUNK);
                select.setObject(1, db.dialect().timestamp(cutoff));
                List<Key> chunk = new ArrayList<>(PURGE_CHUNK);
                try (ResultSet rs = select.executeQuery()) {
                    boolean more = true;
                    while (more) {
                        more = rs.next();
                        if (more) {
                            delete.setLong(1, rs.getLong(1));
                            delete.addBatch();
                            chunk.add(new Key(rs.getString(2), rs.getString(3)));
                        }
                        if (chunk.size() == PURGE_CHUNK || (!more && !chunk.isEmpty())) {
                            int[] counts = delete.executeBatch();
                            for (int i = 0; i < counts.length; i++) {
                                if (counts[i] > 0) {
                                    deleted++;
                                    count(removed, chunk.get(i).archive(), chunk.get(i).withBare());
                                }
                            }
                            chunk.clear();
                        }
                    }
                }
            }
            removed.replaceAll((key, n) -> -n);
            addToCounts(c, removed);
            return deleted;
        });
    }

    @Override
    public Map<String, Long> archivesOver(long cap) {
        return db.read(c -> {
            Map<String, Long> over = new TreeMap<>();
            try (PreparedStatement select = Sql.prepare(c,
                    "SELECT archive, messages FROM archive_counts WHERE with_bare = ? AND messages > ?",
                    WHOLE_ARCHIVE, cap);
                 ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    over.put(rs.getString(1), rs.getLong(2));
                }
            }
            return over;
        });
    }

    @Override
    public int deleteOldestBeyond(String archive, long keep) {
        // One transaction per chunk, so that the single writer (and, on SQLite, every other writer) waits for
        // at most one chunk's deletion (with 10 000 rows, H2's writer timed out waiting under load). Each chunk
        // reads the counter again: what the writer appended meanwhile is newer and stays; rows are taken from
        // the counters exactly as deleteOlderThan takes them.
        int total = 0;
        while (true) {
            int deleted = db.run(c -> {
                // Locks the archive's counter row first (a no-op update): a second purge of the same archive
                // (another cluster node) waits here and then counts what this one left, instead of deleting the
                // next-oldest rows too under READ COMMITTED. Writers take this row first as well (keys are
                // sorted), so no cycle.
                Sql.update(c, "UPDATE archive_counts SET messages = messages WHERE archive = ? AND with_bare = ?",
                        archive, WHOLE_ARCHIVE);
                long excess = Sql.number(c, 0,
                        "SELECT messages FROM archive_counts WHERE archive = ? AND with_bare = ?",
                        archive, WHOLE_ARCHIVE) - keep;
                if (excess <= 0) {
                    return 0;
                }
                Map<Key, Long> removed = new TreeMap<>();
                List<Key> chunk = new ArrayList<>();
                int n = 0;
                try (PreparedStatement select = Sql.prepare(c, "SELECT seq, with_bare FROM archive_messages"
                                + " WHERE archive = ? ORDER BY archive, seq LIMIT ?",
                        archive, Math.min(excess, TRIM_CHUNK));
                     PreparedStatement delete = c.prepareStatement("DELETE FROM archive_messages WHERE seq = ?")) {
                    try (ResultSet rs = select.executeQuery()) {
                        while (rs.next()) {
                            delete.setLong(1, rs.getLong(1));
                            delete.addBatch();
                            chunk.add(new Key(archive, rs.getString(2)));
                        }
                    }
                    if (chunk.isEmpty()) {
                        return 0;
                    }
                    int[] counts = delete.executeBatch();
                    for (int i = 0; i < counts.length; i++) {
                        if (counts[i] > 0) {
                            n++;
                            count(removed, archive, chunk.get(i).withBare());
                        }
                    }
                }
                removed.replaceAll((key, m) -> -m);
                addToCounts(c, removed);
                return n;
            });
            if (deleted == 0) {
                return total;
            }
            total += deleted;
        }
    }

    @Override
    public void deleteArchive(String archive) {
        db.run(c -> {
            String lock = db.dialect().lockCountersForArchiveDeletion();
            if (lock != null) {
                Sql.update(c, lock);
            }
            // Counters first: this waits for a writer transaction that is adding to them, and the DELETE that
            // follows (a new statement) then sees that writer's rows; a writer that comes later finds no
            // counter row and starts one for its own rows.
            Sql.update(c, "DELETE FROM archive_counts WHERE archive = ?", archive);
            Sql.update(c, "DELETE FROM archive_messages WHERE archive = ?", archive);
            return null;
        });
    }

    @Override
    public Optional<Entry> entry(String archive, String id) {
        return db.run(c -> {
            try (PreparedStatement select = Sql.prepare(c,
                    "SELECT id, with_jid, sent_at, stanza FROM archive_messages WHERE archive = ? AND id = ?", archive, id);
                 ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    return Optional.<Entry>empty();
                }
                return Optional.of(new Entry(rs.getString(1), rs.getString(2),
                        db.dialect().instant(rs, 3), rs.getString(4)));
            }
        });
    }

    @Override
    public boolean replace(String archive, String id, String stanza) {
        return db.run(c -> Sql.update(c, "UPDATE archive_messages SET stanza = ? WHERE archive = ? AND id = ?",
                stanza, archive, id) > 0);
    }

    /** Counts one message for its archive and its conversation (an empty partner has no conversation row). */
    private static void count(Map<Key, Long> counts, String archive, String withBare) {
        counts.merge(new Key(archive, WHOLE_ARCHIVE), 1L, Long::sum);
        if (!withBare.isEmpty()) {
            counts.merge(new Key(archive, withBare), 1L, Long::sum);
        }
    }

    /**
     * Adds to the counter rows (negative: takes away), in key order. Portable upsert: update, then insert
     * the rows that did not exist (a concurrent insert of the same key fails the transaction with a unique
     * violation, which {@link Transactions} retries). A row that reaches 0 is deleted.
     */
    private static void addToCounts(Connection c, Map<Key, Long> deltas) throws SQLException {
        if (deltas.isEmpty()) {
            return;
        }
        List<Map.Entry<Key, Long>> rows = new ArrayList<>(deltas.entrySet());
        int[] updated;
        try (PreparedStatement update = c.prepareStatement(
                "UPDATE archive_counts SET messages = messages + ? WHERE archive = ? AND with_bare = ?")) {
            for (Map.Entry<Key, Long> row : rows) {
                update.setLong(1, row.getValue());
                update.setString(2, row.getKey().archive());
                update.setString(3, row.getKey().withBare());
                update.addBatch();
            }
            updated = update.executeBatch();
        }
        boolean inserts = false;
        boolean decrements = false;
        try (PreparedStatement insert = c.prepareStatement(
                "INSERT INTO archive_counts (archive, with_bare, messages) VALUES (?, ?, ?)")) {
            for (int i = 0; i < rows.size(); i++) {
                Map.Entry<Key, Long> row = rows.get(i);
                decrements |= row.getValue() < 0;
                // Taking from a row that is gone (its archive was deleted meanwhile) leaves nothing to do.
                if (updated[i] == 0 && row.getValue() > 0) {
                    insert.setString(1, row.getKey().archive());
                    insert.setString(2, row.getKey().withBare());
                    insert.setLong(3, row.getValue());
                    insert.addBatch();
                    inserts = true;
                }
            }
            if (inserts) {
                insert.executeBatch();
            }
        }
        if (decrements) {
            try (PreparedStatement empty = c.prepareStatement(
                    "DELETE FROM archive_counts WHERE archive = ? AND with_bare = ? AND messages <= 0")) {
                for (Map.Entry<Key, Long> row : rows) {
                    if (row.getValue() < 0) {
                        empty.setString(1, row.getKey().archive());
                        empty.setString(2, row.getKey().withBare());
                        empty.addBatch();
                    }
                }
                empty.executeBatch();
            }
        }
    }

    /**
     * The batches of the archive writer (one thread, a commit every few milliseconds under load) on a
     * connection of their own, kept open with its statements prepared once: a batch then costs its rows and
     * its commit, not a pool checkout, the statements' compilation and, on SQLite, the extra statements that
     * turn the driver's implicit transaction into a {@code BEGIN IMMEDIATE} (issue 18: the archive write's CPU).
     * The connection is outside the pool, so it never takes one of the pool's (the pool may have one
     * connection). After a failure the connection is dropped and opened again for the next attempt.
     */
    private final class Appender {
        private final Connections connections;
        private Connection connection;
        private Statement plain;
        private PreparedStatement insert;
        private PreparedStatement addCount;
        private PreparedStatement newCount;
        private boolean closed;

        Appender(Connections connections) {
            this.connections = connections;
        }

        synchronized void append(List<Appended> entries) {
            for (int attempt = 1; ; attempt++) {
                try {
                    if (closed) {
                        throw new SQLException("the archive store is closed");
                    }
                    write(entries);
                    return;
                } catch (SQLException e) {
                    drop(e);
                    if (attempt == 3 || !Transactions.retryable(e)) {
                        throw new StorageException("database error: " + Transactions.describe(e), e);
                    }
                }
            }
        }

        private void write(List<Appended> entries) throws SQLException {
            boolean sqlite = db.dialect() == Dialect.SQLITE;
            if (connection == null) {
                open(sqlite);
            }
            if (sqlite) {
                plain.execute("BEGIN IMMEDIATE");
            }
            Map<Key, Long> added = new TreeMap<>();
            for (Appended a : entries) {
                String withBare = bare(a.entry().with());
                insert.setString(1, a.archive());
                insert.setString(2, a.entry().id());
                insert.setString(3, a.entry().with());
                insert.setString(4, withBare);
                insert.setObject(5, db.dialect().timestamp(a.entry().sent()));
                insert.setString(6, a.entry().stanza());
                insert.addBatch();
                count(added, a.archive(), withBare);
            }
            insert.executeBatch();
            // As addToCounts, with the statements kept: one update per distinct key, in key order.
            List<Map.Entry<Key, Long>> rows = new ArrayList<>(added.entrySet());
            for (Map.Entry<Key, Long> row : rows) {
                addCount.setLong(1, row.getValue());
                addCount.setString(2, row.getKey().archive());
                addCount.setString(3, row.getKey().withBare());
                addCount.addBatch();
            }
            int[] updated = addCount.executeBatch();
            boolean inserts = false;
            for (int i = 0; i < rows.size(); i++) {
                if (updated[i] == 0) {
                    Map.Entry<Key, Long> row = rows.get(i);
                    newCount.setString(1, row.getKey().archive());
                    newCount.setString(2, row.getKey().withBare());
                    newCount.setLong(3, row.getValue());
                    newCount.addBatch();
                    inserts = true;
                }
            }
            if (inserts) {
                newCount.executeBatch();
            }
            if (sqlite) {
                plain.execute("COMMIT");
            } else {
                connection.commit();
            }
        }

        /**
         * Opens the connection and prepares its statements; kept only when all of it succeeded, so a half-set-up
         * connection is neither used (its statements null) nor left open.
         */
        private void open(boolean sqlite) throws SQLException {
            Connection c = connections.open();
            try {
                // SQLite: transactions begun by hand (the driver's own would be deferred, see Transactions).
                c.setAutoCommit(sqlite);
                plain = c.createStatement();
                insert = c.prepareStatement(INSERT);
                addCount = c.prepareStatement(
                        "UPDATE archive_counts SET messages = messages + ? WHERE archive = ? AND with_bare = ?");
                newCount = c.prepareStatement(
                        "INSERT INTO archive_counts (archive, with_bare, messages) VALUES (?, ?, ?)");
            } catch (SQLException | RuntimeException e) {
                try {
                    c.close(); // closes the statements prepared so far
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
            connection = c;
        }

        /** After a failure: roll back what the transaction did and drop the connection. */
        private void drop(SQLException failure) {
            if (connection == null) {
                return;
            }
            try {
                if (db.dialect() == Dialect.SQLITE) {
                    plain.execute("ROLLBACK");
                } else {
                    connection.rollback();
                }
            } catch (SQLException e) {
                // no transaction left to roll back, or the connection is gone: it is closed below either way
            }
            closeConnection(failure);
        }

        private void closeConnection(Exception failure) {
            try {
                connection.close(); // closes its statements too
            } catch (SQLException e) {
                if (failure != null) {
                    failure.addSuppressed(e);
                }
            }
            connection = null;
        }

        synchronized void close() {
            closed = true;
            if (connection != null) {
                closeConnection(null);
            }
        }
    }

    /** The JID without its resource (RFC 7622 §3.1: a resource starts at the first slash). */
    static String bare(String jid) {
        int slash = jid.indexOf('/');
        return slash < 0 ? jid : jid.substring(0, slash);
    }
}
