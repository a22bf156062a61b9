-- RFC 6121 section 3.1.3: a subscription request to a user who has no roster item for the requester
-- is remembered without creating a roster item. Such rows are kept with listed = FALSE: they carry the
-- pending request (and pre-approvals, section 3.4) but are not part of the roster the user sees.
ALTER TABLE roster_items ADD COLUMN listed BOOLEAN DEFAULT TRUE NOT NULL;
