-- Officials' terms of office (P7): adverse entries that occur in office
-- count with the spec's officials factor.
CREATE TABLE official_terms (
	domain    TEXT    NOT NULL,
	pseudonym BLOB    NOT NULL,
	id        TEXT    NOT NULL,
	office    TEXT    NOT NULL,
	from_at   INTEGER NOT NULL,
	to_at     INTEGER NOT NULL, -- 0: ongoing
	PRIMARY KEY (domain, pseudonym, id)
) WITHOUT ROWID;

CREATE INDEX official_terms_by_domain ON official_terms (domain, from_at);
