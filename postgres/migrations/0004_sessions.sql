-- The web pages' sessions (issue 16): the browser holds an opaque id; the
-- store its SHA-256 and the credential it stands for, sealed with a key
-- derived from the id. Short-lived; expired rows are deleted as new ones
-- are made.
CREATE TABLE sessions (
	id_hash    BYTEA   PRIMARY KEY,
	sealed     BYTEA   NOT NULL,
	created_at BIGINT  NOT NULL,
	expires_at BIGINT  NOT NULL,
	ended_at   BIGINT  NOT NULL -- 0: not ended
);
