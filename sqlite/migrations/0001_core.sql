-- Core tables. Every table holding subject data is keyed by
-- (domain, pseudonym, ...) so that it can be distributed by that key.

CREATE TABLE spec_versions (
	domain       TEXT    NOT NULL,
	version      INTEGER NOT NULL,
	digest       TEXT    NOT NULL,
	applied_at   INTEGER NOT NULL, -- unix nanoseconds, UTC
	effective_at INTEGER NOT NULL,
	spec         TEXT    NOT NULL, -- canonical JSON of the parsed spec
	PRIMARY KEY (domain, version)
) WITHOUT ROWID;

CREATE TABLE events (
	domain      TEXT    NOT NULL,
	pseudonym   BLOB    NOT NULL,
	key         TEXT    NOT NULL,
	type        TEXT    NOT NULL,
	kind        TEXT    NOT NULL,
	occurred_at INTEGER NOT NULL,
	recorded_at INTEGER NOT NULL,
	fields      TEXT    NOT NULL, -- canonical JSON
	cures       TEXT    NOT NULL DEFAULT '',
	-- raw points under each spec version: (uint32 version, float64 raw)
	-- pairs, big-endian, computed when the event or the version arrives.
	points      BLOB    NOT NULL,
	PRIMARY KEY (domain, pseudonym, key)
) WITHOUT ROWID;

CREATE UNIQUE INDEX events_by_key ON events (domain, key);
