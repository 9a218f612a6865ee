-- API callers. Tokens are stored only as the SHA-256 of their secret; a
-- subject token keeps a pseudonym of its identifier, never the identifier.

CREATE TABLE principals (
	id            TEXT    PRIMARY KEY,
	name          TEXT    NOT NULL,
	government    INTEGER NOT NULL,
	grants        TEXT    NOT NULL, -- JSON list of {role, domain}
	subject_token INTEGER NOT NULL,
	subject       BLOB,
	secret_hash   BLOB    NOT NULL,
	created_at    INTEGER NOT NULL,
	created_by    TEXT    NOT NULL,
	expires_at    INTEGER NOT NULL, -- 0: never
	revoked_at    INTEGER NOT NULL  -- 0: not revoked
);
