-- Persistent multi-user chat rooms (XEP-0045 section 10.2): what survives a restart is the room, its
-- configuration, its subject and its affiliations. Occupants and roles are presence state and never stored.

CREATE TABLE muc_rooms (
    room       VARCHAR(1023) NOT NULL PRIMARY KEY,
    subject    VARCHAR,
    subject_by VARCHAR(1023),
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL
);

-- One row per muc#roomconfig option (setting = the field name without the "muc#roomconfig_" prefix),
-- so that a new option needs no migration.
CREATE TABLE muc_room_settings (
    room          VARCHAR(1023) NOT NULL REFERENCES muc_rooms (room) ON DELETE CASCADE,
    setting       VARCHAR(64)   NOT NULL,
    setting_value VARCHAR,
    PRIMARY KEY (room, setting)
);

CREATE TABLE muc_affiliations (
    room        VARCHAR(1023) NOT NULL REFERENCES muc_rooms (room) ON DELETE CASCADE,
    jid         VARCHAR(3071) NOT NULL,
    affiliation VARCHAR(16)   NOT NULL,
    reason      VARCHAR,
    PRIMARY KEY (room, jid)
);
