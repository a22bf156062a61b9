-- Exact message counts per archive (XEP-0059 <count/> of an XEP-0313 query without a time filter) kept
-- with the archive writes, so that the newest page of a long conversation does not count the whole
-- conversation's index entries. Portable SQL: runs unchanged on H2 2.x and PostgreSQL.
--
-- One row per (archive, bare conversation partner) and one per archive with with_bare = '' for the whole
-- archive (a JID is never empty; JdbcArchiveStore keeps entries with an empty partner out of the
-- per-partner rows). The store updates these rows in the transaction that inserts or deletes messages.

CREATE TABLE archive_counts (
    archive   VARCHAR(3071) NOT NULL,
    with_bare VARCHAR(3071) NOT NULL,
    messages  BIGINT        NOT NULL,
    PRIMARY KEY (archive, with_bare)
);

-- Messages archived before this version.
INSERT INTO archive_counts (archive, with_bare, messages)
    SELECT archive, with_bare, COUNT(*) FROM archive_messages WHERE with_bare <> '' GROUP BY archive, with_bare;

INSERT INTO archive_counts (archive, with_bare, messages)
    SELECT archive, '', COUNT(*) FROM archive_messages GROUP BY archive;
