-- Subjects who left a domain (P6). A row exists while the subject is out.
CREATE TABLE opt_outs (
	domain    TEXT    NOT NULL,
	pseudonym BLOB    NOT NULL,
	since     INTEGER NOT NULL,
	PRIMARY KEY (domain, pseudonym)
) WITHOUT ROWID;
