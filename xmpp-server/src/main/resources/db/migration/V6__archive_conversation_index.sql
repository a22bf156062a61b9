-- Archive paging that stays an index range scan at any archive size (XEP-0313 §4.1.1 'with', XEP-0059
-- newest page). Portable SQL: runs unchanged on H2 2.x and PostgreSQL.
--
-- 1. A bare JID in 'with' matches the bare partner and every full JID below it. A stored bare form of the
--    partner makes that one equality on an index (it was an OR with a LIKE, which neither database can walk
--    in seq order); a full JID filters the same range further. That index replaces the one on with_jid.
-- 2. The id lookup (a paging anchor) is unique on (id, archive) instead of (archive, id), so that the only
--    indexes that start with the archive are the paging ones: H2 otherwise picked the id index for
--    "newest page of an archive" and sorted the whole archive.

ALTER TABLE archive_messages ADD COLUMN with_bare VARCHAR(3071);

UPDATE archive_messages SET with_bare = CASE
    WHEN POSITION('/' IN with_jid) > 0 THEN SUBSTRING(with_jid FROM 1 FOR POSITION('/' IN with_jid) - 1)
    ELSE with_jid END;

ALTER TABLE archive_messages ALTER COLUMN with_bare SET NOT NULL;

DROP INDEX archive_messages_by_with;
CREATE INDEX archive_messages_by_bare_with ON archive_messages (archive, with_bare, seq);

DROP INDEX archive_messages_by_id;
CREATE UNIQUE INDEX archive_messages_by_id ON archive_messages (id, archive);
