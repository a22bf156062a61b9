package org.parley.server.storage.jdbc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.parley.server.storage.ArchiveStore;

/**
 * The archive in {@code archive_messages}. Paging walks {@code seq} from an anchor in one indexed range
 * scan and reads one row more than asked to know whether the page is the last ({@code complete}).
 */
final class JdbcArchiveStore implements ArchiveStore {

    private static final String INSERT =
            "INSERT INTO archive_messages (archive, id, with_jid, with_bare, sent_at, stanza) VALUES (?, ?, ?, ?, ?, ?)";

    private final Transactions db;

    JdbcArchiveStore(Transactions db) {
        this.db = db;
    }

    @Override
    public void append(String archive, Entry e) {
        db.run(c -> Sql.update(c, INSERT, archive, e.id(), e.with(), bare(e.with()), utc(e.sent()), e.stanza()));
    }

    @Override
    public void appendAll(List<Appended> entries) {
        if (entries.isEmpty()) {
            return;
        }
        db.run(c -> {
            try (PreparedStatement insert = c.prepareStatement(INSERT)) {
                for (Appended a : entries) {
                    insert.setString(1, a.archive());
                    insert.setString(2, a.entry().id());
                    insert.setString(3, a.entry().with());
                    insert.setString(4, bare(a.entry().with()));
                    insert.setObject(5, utc(a.entry().sent()));
                    insert.setString(6, a.entry().stanza());
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            return null;
        });
    }

    @Override
    public Page page(Filter filter, Paging paging) {
        return db.run(c -> {
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
                parameters.add(utc(filter.start()));
            }
            if (filter.end() != null) {
                where.append(" AND sent_at <= ?");
                parameters.add(utc(filter.end()));
            }
            long count = Sql.number(c, 0, "SELECT COUNT(*) FROM archive_messages" + where, parameters.toArray());

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
                            rs.getObject(4, OffsetDateTime.class).toInstant(), rs.getString(5)));
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
        return db.run(c -> Sql.update(c, "DELETE FROM archive_messages WHERE sent_at < ?", utc(cutoff)));
    }

    @Override
    public void deleteArchive(String archive) {
        db.run(c -> Sql.update(c, "DELETE FROM archive_messages WHERE archive = ?", archive));
    }

    private static OffsetDateTime utc(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }

    /** The JID without its resource (RFC 7622 §3.1: a resource starts at the first slash). */
    static String bare(String jid) {
        int slash = jid.indexOf('/');
        return slash < 0 ? jid : jid.substring(0, slash);
    }
}
