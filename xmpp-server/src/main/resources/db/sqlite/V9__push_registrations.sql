-- XEP-0357 Push Notifications: the app servers (pubsub service JID and node) each account enabled,
-- with the publish-options data form to send along (XML text, or NULL). Portable SQL: H2, PostgreSQL,
-- SQLite. A deleted account's registrations go with it.
CREATE TABLE push_registrations (
    username    VARCHAR(1023) NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
    service_jid VARCHAR(3071) NOT NULL,
    node        VARCHAR(1023) NOT NULL,
    options     VARCHAR,
    PRIMARY KEY (username, service_jid, node)
);
