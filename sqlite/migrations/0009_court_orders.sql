-- Court orders (P4), and restriction checks as inquiries.
CREATE TABLE court_orders (
	domain       TEXT    NOT NULL,
	pseudonym    BLOB    NOT NULL,
	id           TEXT    NOT NULL,
	citation     TEXT    NOT NULL,
	restrictions TEXT    NOT NULL, -- JSON list
	issued_at    INTEGER NOT NULL,
	effective_at INTEGER NOT NULL,
	ends_at      INTEGER NOT NULL,
	fulfilled_at INTEGER NOT NULL, -- 0: not fulfilled
	issued_by    TEXT    NOT NULL,
	PRIMARY KEY (domain, pseudonym, id)
) WITHOUT ROWID;

CREATE UNIQUE INDEX court_orders_by_id ON court_orders (domain, id);

DROP INDEX audit_reads_by_subject;

CREATE INDEX audit_reads_by_subject ON audit_leaves (domain, pseudonym, idx)
	WHERE action IN ('score.read', 'decision.read', 'report.read', 'restriction.checked');
