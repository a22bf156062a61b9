-- Parley storage schema on SQLite, the embedded database: the tables of db/migration V1 to V7 (H2 and
-- PostgreSQL) in one script, at the same schema version, so that a later migration V8 is added to both
-- locations under one number. SQLite differs in what these tables need:
-- * seq/id columns are INTEGER PRIMARY KEY (the rowid): always increasing past the largest existing value,
--   which is all the stores ask of them (order of insertion);
-- * archive_messages.sent_at is TEXT in one fixed-width UTC form, 2026-01-01T00:00:00.000000Z (written by
--   JdbcArchiveStore), so comparing text compares times and the time-filter index works as on the others;
-- * the other timestamps are SQLite's CURRENT_TIMESTAMP text (UTC), read by nobody, kept for inspection;
-- * SQLite does not enforce VARCHAR lengths; the server bounds what it stores before it gets here.

CREATE TABLE accounts (
    username   VARCHAR(1023) NOT NULL PRIMARY KEY,
    created_at TEXT DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE TABLE account_credentials (
    username   VARCHAR(1023) NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
    mechanism  VARCHAR(32)   NOT NULL,
    salt       VARCHAR(1024) NOT NULL,
    iterations INTEGER       NOT NULL,
    stored_key VARCHAR(1024) NOT NULL,
    server_key VARCHAR(1024) NOT NULL,
    PRIMARY KEY (username, mechanism)
);

CREATE TABLE roster_versions (
    username VARCHAR(1023) NOT NULL PRIMARY KEY,
    version  BIGINT        NOT NULL
);

CREATE TABLE roster_items (
    username     VARCHAR(1023) NOT NULL,
    contact      VARCHAR(3071) NOT NULL,
    name         VARCHAR(1023),
    subscription VARCHAR(16)   NOT NULL,
    ask_out      BOOLEAN       NOT NULL,
    pending_in   BOOLEAN       NOT NULL,
    approved     BOOLEAN       NOT NULL,
    listed       BOOLEAN       DEFAULT TRUE NOT NULL,
    PRIMARY KEY (username, contact)
);

CREATE TABLE roster_groups (
    username   VARCHAR(1023) NOT NULL,
    contact    VARCHAR(3071) NOT NULL,
    pos        INTEGER       NOT NULL,
    group_name VARCHAR(1023) NOT NULL,
    PRIMARY KEY (username, contact, pos),
    FOREIGN KEY (username, contact) REFERENCES roster_items (username, contact) ON DELETE CASCADE
);

CREATE TABLE offline_messages (
    id        INTEGER       PRIMARY KEY,
    username  VARCHAR(1023) NOT NULL,
    stanza    TEXT          NOT NULL,
    stored_at TEXT DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE INDEX offline_messages_by_user ON offline_messages (username, id);

CREATE TABLE documents (
    username VARCHAR(1023) NOT NULL,
    doc_key  VARCHAR(1023) NOT NULL,
    xml      TEXT          NOT NULL,
    PRIMARY KEY (username, doc_key)
);

CREATE TABLE muc_rooms (
    room       VARCHAR(1023) NOT NULL PRIMARY KEY,
    subject    TEXT,
    subject_by VARCHAR(1023),
    created_at TEXT DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE TABLE muc_room_settings (
    room          VARCHAR(1023) NOT NULL REFERENCES muc_rooms (room) ON DELETE CASCADE,
    setting       VARCHAR(64)   NOT NULL,
    setting_value TEXT,
    PRIMARY KEY (room, setting)
);

CREATE TABLE muc_affiliations (
    room        VARCHAR(1023) NOT NULL REFERENCES muc_rooms (room) ON DELETE CASCADE,
    jid         VARCHAR(3071) NOT NULL,
    affiliation VARCHAR(16)   NOT NULL,
    reason      TEXT,
    PRIMARY KEY (room, jid)
);

CREATE TABLE pubsub_nodes (
    service    VARCHAR(3071) NOT NULL,
    node       VARCHAR(1023) NOT NULL,
    created_at TEXT DEFAULT CURRENT_TIMESTAMP NOT NULL,
    PRIMARY KEY (service, node)
);

CREATE TABLE pubsub_node_settings (
    service       VARCHAR(3071) NOT NULL,
    node          VARCHAR(1023) NOT NULL,
    setting       VARCHAR(64)   NOT NULL,
    setting_value TEXT,
    PRIMARY KEY (service, node, setting),
    FOREIGN KEY (service, node) REFERENCES pubsub_nodes (service, node) ON DELETE CASCADE
);

CREATE TABLE pubsub_affiliations (
    service     VARCHAR(3071) NOT NULL,
    node        VARCHAR(1023) NOT NULL,
    jid         VARCHAR(3071) NOT NULL,
    affiliation VARCHAR(16)   NOT NULL,
    PRIMARY KEY (service, node, jid),
    FOREIGN KEY (service, node) REFERENCES pubsub_nodes (service, node) ON DELETE CASCADE
);

CREATE TABLE pubsub_subscriptions (
    service VARCHAR(3071) NOT NULL,
    node    VARCHAR(1023) NOT NULL,
    jid     VARCHAR(3071) NOT NULL,
    PRIMARY KEY (service, node, jid),
    FOREIGN KEY (service, node) REFERENCES pubsub_nodes (service, node) ON DELETE CASCADE
);

CREATE TABLE pubsub_items (
    seq          INTEGER       PRIMARY KEY,
    service      VARCHAR(3071) NOT NULL,
    node         VARCHAR(1023) NOT NULL,
    item_id      VARCHAR(1023) NOT NULL,
    publisher    VARCHAR(3071),
    payload      TEXT,
    published_at TEXT DEFAULT CURRENT_TIMESTAMP NOT NULL,
    UNIQUE (service, node, item_id),
    FOREIGN KEY (service, node) REFERENCES pubsub_nodes (service, node) ON DELETE CASCADE
);

CREATE INDEX pubsub_items_by_node ON pubsub_items (service, node, seq);

CREATE TABLE archive_messages (
    seq       INTEGER       PRIMARY KEY,
    archive   VARCHAR(3071) NOT NULL,
    id        VARCHAR(64)   NOT NULL,
    with_jid  VARCHAR(3071) NOT NULL,
    sent_at   TEXT          NOT NULL,
    stanza    TEXT          NOT NULL,
    with_bare VARCHAR(3071) NOT NULL
);

CREATE INDEX archive_messages_by_archive ON archive_messages (archive, seq);
CREATE INDEX archive_messages_by_time ON archive_messages (sent_at);
CREATE INDEX archive_messages_by_bare_with ON archive_messages (archive, with_bare, seq);
CREATE UNIQUE INDEX archive_messages_by_id ON archive_messages (id, archive);

CREATE TABLE archive_counts (
    archive   VARCHAR(3071) NOT NULL,
    with_bare VARCHAR(3071) NOT NULL,
    messages  BIGINT        NOT NULL,
    PRIMARY KEY (archive, with_bare)
);
