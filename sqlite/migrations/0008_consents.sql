-- Consent grants: a subject opens one domain's score and grade to another
-- domain's readers, for a purpose, until a date.
CREATE TABLE consents (
	domain     TEXT    NOT NULL,
	pseudonym  BLOB    NOT NULL,
	id         TEXT    NOT NULL,
	grantee    TEXT    NOT NULL,
	purpose    TEXT    NOT NULL,
	until      INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	revoked_at INTEGER NOT NULL, -- 0: live until "until"
	PRIMARY KEY (domain, pseudonym, id)
) WITHOUT ROWID;

CREATE UNIQUE INDEX consents_by_id ON consents (domain, id);
