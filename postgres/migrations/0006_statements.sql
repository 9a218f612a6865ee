-- Statements of standing (issue 19): what revocation and the status list
-- need, none of a statement's content. idx is the statement's place in
-- its domain's status list.
CREATE TABLE statements (
	domain     TEXT   NOT NULL,
	id         TEXT   NOT NULL,
	pseudonym  BYTEA  NOT NULL,
	idx        BIGINT NOT NULL,
	issued_at  BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	revoked_at BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (domain, id)
);
CREATE UNIQUE INDEX statements_by_idx ON statements (domain, idx);
CREATE INDEX statements_by_subject ON statements (domain, pseudonym);
