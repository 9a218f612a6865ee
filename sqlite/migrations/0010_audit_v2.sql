-- The audit log v2: one log per domain and one installation log. A public
-- leaf (data) carries only format, log, index, time, action and a
-- commitment; its opening (salt and private record) is kept beside it and
-- shredded by an erasure. The v1 tables (audit_leaves, audit_checkpoints)
-- stay as they are: a store with v1 leaves is refused at start.

-- One row per log: its name, and the row a writer locks (PostgreSQL).
CREATE TABLE log_heads (
	log    TEXT PRIMARY KEY,
	origin TEXT NOT NULL
);

CREATE TABLE log_leaves (
	log       TEXT    NOT NULL,
	idx       INTEGER NOT NULL, -- 0-based index in its log
	domain    TEXT    NOT NULL DEFAULT '',
	pseudonym BLOB,             -- NULL for leaves about nobody, and once shredded
	action    TEXT    NOT NULL,
	data      BLOB    NOT NULL, -- the public leaf, the exact bytes hashed
	hash      BLOB    NOT NULL, -- its RFC 6962 leaf hash
	salt      BLOB,             -- the opening; NULL once shredded
	record    BLOB,
	erased_by INTEGER,          -- the subject.erased leaf (same log) that shredded it
	PRIMARY KEY (log, idx)
) WITHOUT ROWID;

-- Every leaf about a subject, for their report's openings and for erasure.
CREATE INDEX log_leaves_by_subject ON log_leaves (domain, pseudonym, log, idx) WHERE pseudonym IS NOT NULL;

-- The installation log's records of the domain logs' checkpoints.
CREATE INDEX log_leaves_seals ON log_leaves (domain, idx) WHERE action = 'log.checkpoint';

CREATE TABLE log_checkpoints (
	log   TEXT    NOT NULL,
	size  INTEGER NOT NULL,
	at    INTEGER NOT NULL, -- when it was made (not signed)
	root  BLOB    NOT NULL,
	note  TEXT    NOT NULL, -- C2SP tlog-checkpoint, signed
	range BLOB    NOT NULL, -- compact range at size: concatenated 32-byte hashes
	PRIMARY KEY (log, size)
) WITHOUT ROWID;

-- Witnesses' cosignatures (C2SP tlog-cosignature) of checkpoints.
CREATE TABLE log_cosignatures (
	log       TEXT    NOT NULL,
	size      INTEGER NOT NULL,
	witness   TEXT    NOT NULL, -- the witness key's name
	signature TEXT    NOT NULL, -- the note signature line
	at        INTEGER NOT NULL,
	PRIMARY KEY (log, size, witness)
) WITHOUT ROWID;

-- Full tiles of each log's tree (C2SP tlog-tiles): 256 hashes of one
-- level, stored in the transaction that completes them, so that proofs and
-- tiles read a few rows however large the log. root is the Merkle tree
-- hash of the 256 hashes: the tile's hash in the level above. A rowid
-- table, not WITHOUT ROWID: its rows are 8 KB.
CREATE TABLE log_tiles (
	log    TEXT    NOT NULL,
	level  INTEGER NOT NULL, -- 0: leaf hashes; L: the roots of tiles of level L-1
	idx    INTEGER NOT NULL, -- the tile's index in its level
	root   BLOB    NOT NULL,
	hashes BLOB    NOT NULL, -- 256 concatenated 32-byte hashes
	PRIMARY KEY (log, level, idx)
);
