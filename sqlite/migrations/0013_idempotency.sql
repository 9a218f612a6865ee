-- Creating requests sent with an Idempotency-Key, with their answers, for
-- a day (issue 17): scope is the SHA-256 of who, the route, the path and
-- the key; request the SHA-256 of the body; status 0 while it runs.
CREATE TABLE idempotency_keys (
	scope      BLOB    PRIMARY KEY,
	request    BLOB    NOT NULL,
	status     INTEGER NOT NULL,
	body       BLOB,
	created_at INTEGER NOT NULL
);
