-- The schema of the shared store: the same tables as the embedded one
-- (sqlite/migrations), in PostgreSQL's types. Times are unix nanoseconds,
-- UTC, in BIGINT; text that is sorted or compared is COLLATE "C", so that
-- rows come back in byte order, the order Go compares strings in.
--
-- Every table holding subject data is keyed by (domain, pseudonym, ...), so
-- that it distributes by (domain, pseudonym) on Citus, CockroachDB or
-- YugabyteDB without cross-shard joins (docs/scaling.md).

CREATE TABLE spec_versions (
	domain       TEXT COLLATE "C" NOT NULL,
	version      BIGINT NOT NULL,
	digest       TEXT   NOT NULL,
	applied_at   BIGINT NOT NULL,
	effective_at BIGINT NOT NULL,
	spec         TEXT   NOT NULL, -- canonical JSON of the parsed spec
	PRIMARY KEY (domain, version)
);

CREATE TABLE events (
	domain       TEXT COLLATE "C" NOT NULL,
	pseudonym    BYTEA  NOT NULL,
	key          TEXT COLLATE "C" NOT NULL,
	type         TEXT   NOT NULL,
	kind         TEXT   NOT NULL,
	occurred_at  BIGINT NOT NULL,
	recorded_at  BIGINT NOT NULL,
	fields       TEXT   NOT NULL, -- canonical JSON
	cures        TEXT   NOT NULL DEFAULT '',
	-- raw points under each spec version: (uint32 version, float64 raw)
	-- pairs, big-endian, computed when the event or the version arrives.
	points       BYTEA  NOT NULL,
	retracted_at BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (domain, pseudonym, key)
);

-- Idempotency keys are unique per domain. On a distributed engine this
-- index is the one that is not keyed by pseudonym (docs/scaling.md).
CREATE UNIQUE INDEX events_by_key ON events (domain, key);

-- The tamper-evident log: one append-only sequence of RFC 6962 leaves per
-- installation, and the signed checkpoints over it. Writers take turns
-- (an advisory lock), so the sequence has no gaps and no forks.
CREATE TABLE audit_leaves (
	idx       BIGINT PRIMARY KEY, -- 0-based leaf index
	domain    TEXT COLLATE "C" NOT NULL DEFAULT '',
	pseudonym BYTEA,
	action    TEXT   NOT NULL,
	data      BYTEA  NOT NULL, -- the leaf's canonical data
	hash      BYTEA  NOT NULL  -- its RFC 6962 leaf hash
);

-- Who looked at a subject's record: reads only, so that ingest pays nothing.
CREATE INDEX audit_reads_by_subject ON audit_leaves (domain, pseudonym, idx)
	WHERE action IN ('score.read', 'decision.read', 'report.read', 'restriction.checked');

CREATE TABLE audit_checkpoints (
	size  BIGINT PRIMARY KEY,
	at    BIGINT NOT NULL,
	root  BYTEA  NOT NULL,
	note  TEXT   NOT NULL, -- C2SP signed note
	range BYTEA  NOT NULL  -- compact range at size: concatenated 32-byte hashes
);

-- API callers. Tokens are stored only as the SHA-256 of their secret; a
-- subject token keeps a pseudonym of its identifier, never the identifier.
CREATE TABLE principals (
	id            TEXT COLLATE "C" PRIMARY KEY,
	name          TEXT    NOT NULL,
	government    BOOLEAN NOT NULL,
	grants        TEXT    NOT NULL, -- JSON list of {role, domain}
	subject_token BOOLEAN NOT NULL,
	subject       BYTEA,
	secret_hash   BYTEA   NOT NULL,
	created_at    BIGINT  NOT NULL,
	created_by    TEXT    NOT NULL,
	expires_at    BIGINT  NOT NULL, -- 0: never
	revoked_at    BIGINT  NOT NULL  -- 0: not revoked
);

-- Subjects who left a domain (P6). A row exists while the subject is out.
CREATE TABLE opt_outs (
	domain    TEXT COLLATE "C" NOT NULL,
	pseudonym BYTEA  NOT NULL,
	since     BIGINT NOT NULL,
	PRIMARY KEY (domain, pseudonym)
);

-- Due process: disputes of entries.
CREATE TABLE disputes (
	domain      TEXT COLLATE "C" NOT NULL,
	pseudonym   BYTEA  NOT NULL,
	id          TEXT COLLATE "C" NOT NULL,
	event_key   TEXT   NOT NULL,
	reason      TEXT   NOT NULL,
	filed_at    BIGINT NOT NULL,
	due_at      BIGINT NOT NULL,
	status      TEXT   NOT NULL,
	resolved_at BIGINT NOT NULL, -- 0: open
	reviewer    TEXT   NOT NULL,
	resolution  TEXT   NOT NULL,
	PRIMARY KEY (domain, pseudonym, id)
);

CREATE UNIQUE INDEX disputes_by_id ON disputes (domain, id);
CREATE INDEX disputes_open ON disputes (domain, status, filed_at);

-- Officials' terms of office (P7).
CREATE TABLE official_terms (
	domain    TEXT COLLATE "C" NOT NULL,
	pseudonym BYTEA  NOT NULL,
	id        TEXT COLLATE "C" NOT NULL,
	office    TEXT   NOT NULL,
	from_at   BIGINT NOT NULL,
	to_at     BIGINT NOT NULL, -- 0: ongoing
	PRIMARY KEY (domain, pseudonym, id)
);

CREATE INDEX official_terms_by_domain ON official_terms (domain, from_at);

-- Consent grants: a subject opens one domain's score and grade to another
-- domain's readers, for a purpose, until a date.
CREATE TABLE consents (
	domain     TEXT COLLATE "C" NOT NULL,
	pseudonym  BYTEA  NOT NULL,
	id         TEXT COLLATE "C" NOT NULL,
	grantee    TEXT   NOT NULL,
	purpose    TEXT   NOT NULL,
	until      BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	revoked_at BIGINT NOT NULL, -- 0: live until "until"
	PRIMARY KEY (domain, pseudonym, id)
);

CREATE UNIQUE INDEX consents_by_id ON consents (domain, id);

-- Court orders (P4).
CREATE TABLE court_orders (
	domain       TEXT COLLATE "C" NOT NULL,
	pseudonym    BYTEA  NOT NULL,
	id           TEXT COLLATE "C" NOT NULL,
	citation     TEXT   NOT NULL,
	restrictions TEXT   NOT NULL, -- JSON list
	issued_at    BIGINT NOT NULL,
	effective_at BIGINT NOT NULL,
	ends_at      BIGINT NOT NULL,
	fulfilled_at BIGINT NOT NULL, -- 0: not fulfilled
	issued_by    TEXT   NOT NULL,
	PRIMARY KEY (domain, pseudonym, id)
);

CREATE UNIQUE INDEX court_orders_by_id ON court_orders (domain, id);
