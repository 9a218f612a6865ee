-- The tamper-evident log: one append-only sequence of RFC 6962 leaves per
-- installation, and the signed checkpoints over it.

CREATE TABLE audit_leaves (
	idx       INTEGER PRIMARY KEY, -- 0-based leaf index
	domain    TEXT    NOT NULL DEFAULT '',
	pseudonym BLOB,
	action    TEXT    NOT NULL,
	data      BLOB    NOT NULL, -- the leaf's canonical JSON
	hash      BLOB    NOT NULL  -- its RFC 6962 leaf hash
);

-- Who looked at a subject's record: reads only, so that ingest pays nothing.
CREATE INDEX audit_reads_by_subject ON audit_leaves (domain, pseudonym, idx)
	WHERE action IN ('score.read', 'decision.read');

CREATE TABLE audit_checkpoints (
	size  INTEGER PRIMARY KEY,
	at    INTEGER NOT NULL,
	root  BLOB    NOT NULL,
	note  TEXT    NOT NULL, -- C2SP signed note
	range BLOB    NOT NULL  -- compact range at size: concatenated 32-byte hashes
);
