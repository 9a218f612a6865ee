-- Due process: disputes of entries, and retracted entries.
CREATE TABLE disputes (
	domain      TEXT    NOT NULL,
	pseudonym   BLOB    NOT NULL,
	id          TEXT    NOT NULL,
	event_key   TEXT    NOT NULL,
	reason      TEXT    NOT NULL,
	filed_at    INTEGER NOT NULL,
	due_at      INTEGER NOT NULL,
	status      TEXT    NOT NULL,
	resolved_at INTEGER NOT NULL, -- 0: open
	reviewer    TEXT    NOT NULL,
	resolution  TEXT    NOT NULL,
	PRIMARY KEY (domain, pseudonym, id)
) WITHOUT ROWID;

CREATE UNIQUE INDEX disputes_by_id ON disputes (domain, id);
CREATE INDEX disputes_open ON disputes (domain, status, filed_at);

ALTER TABLE events ADD COLUMN retracted_at INTEGER NOT NULL DEFAULT 0;
