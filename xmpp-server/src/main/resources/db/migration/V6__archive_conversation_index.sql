-- The archive's conversation filter (XEP-0313 §4.1.1 'with'): a bare JID matches the bare partner and every
-- full JID below it. A stored bare form of the partner makes that one equality on an index, so the newest
-- page of a conversation is an index range scan however large the archive is (it was an OR with a LIKE,
-- which neither database can walk in seq order). Portable SQL: runs unchanged on H2 2.x and PostgreSQL.

ALTER TABLE archive_messages ADD COLUMN with_bare VARCHAR(3071);

UPDATE archive_messages SET with_bare = CASE
    WHEN POSITION('/' IN with_jid) > 0 THEN SUBSTRING(with_jid FROM 1 FOR POSITION('/' IN with_jid) - 1)
    ELSE with_jid END;

ALTER TABLE archive_messages ALTER COLUMN with_bare SET NOT NULL;

CREATE INDEX archive_messages_by_bare_with ON archive_messages (archive, with_bare, seq);
