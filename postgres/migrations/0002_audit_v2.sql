-- The audit log v2: one log per domain and one installation log. A public
-- leaf (data) carries only format, log, index, time, action and a
-- commitment; its opening (salt and private record) is kept beside it and
-- shredded by an erasure. The v1 tables (audit_leaves, audit_checkpoints)
-- stay as they are: a store with v1 leaves is refused at start.

-- One row per log: a writer locks its log's row (SELECT ... FOR UPDATE),
-- so writers of different logs never wait for each other.
CREATE TABLE log_heads (
	log    TEXT COLLATE "C" PRIMARY KEY,
	origin TEXT NOT NULL
);

CREATE TABLE log_leaves (
	log       TEXT COLLATE "C" NOT NULL,
	idx       BIGINT NOT NULL,
	domain    TEXT COLLATE "C" NOT NULL DEFAULT '',
	pseudonym BYTEA,
	action    TEXT   NOT NULL,
	data      BYTEA  NOT NULL,
	hash      BYTEA  NOT NULL,
	salt      BYTEA,
	record    BYTEA,
	erased_by BIGINT,
	PRIMARY KEY (log, idx)
);

CREATE INDEX log_leaves_by_subject ON log_leaves (domain, pseudonym, log, idx) WHERE pseudonym IS NOT NULL;

-- The installation log's records of the domain logs' checkpoints.
CREATE INDEX log_leaves_seals ON log_leaves (domain, idx) WHERE action = 'log.checkpoint';

CREATE TABLE log_checkpoints (
	log   TEXT COLLATE "C" NOT NULL,
	size  BIGINT NOT NULL,
	at    BIGINT NOT NULL,
	root  BYTEA  NOT NULL,
	note  TEXT   NOT NULL,
	range BYTEA  NOT NULL,
	PRIMARY KEY (log, size)
);

CREATE TABLE log_cosignatures (
	log       TEXT COLLATE "C" NOT NULL,
	size      BIGINT NOT NULL,
	witness   TEXT   NOT NULL,
	signature TEXT   NOT NULL,
	at        BIGINT NOT NULL,
	PRIMARY KEY (log, size, witness)
);

-- Full tiles of each log's tree (C2SP tlog-tiles), stored in the
-- transaction that completes them; root is the tile's hash in the level
-- above.
CREATE TABLE log_tiles (
	log    TEXT COLLATE "C" NOT NULL,
	level  BIGINT NOT NULL,
	idx    BIGINT NOT NULL,
	root   BYTEA  NOT NULL,
	hashes BYTEA  NOT NULL,
	PRIMARY KEY (log, level, idx)
);

-- Hashes do not compress: store them out of line without trying.
ALTER TABLE log_tiles ALTER COLUMN hashes SET STORAGE EXTERNAL;
