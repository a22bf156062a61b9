-- XEP-0191 Blocking Command: the JIDs each account blocked, as normalised JID strings (a full JID, bare
-- JID, domain/resource or domain, matched as XEP-0016 section 2.1 says). Portable SQL: runs unchanged on
-- H2, PostgreSQL and SQLite. A deleted account's list goes with it.
CREATE TABLE blocklist_items (
    username VARCHAR(1023) NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
    jid      VARCHAR(3071) NOT NULL,
    PRIMARY KEY (username, jid)
);
