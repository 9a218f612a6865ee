-- Reports are reads too: index them with the other reads of a subject.
DROP INDEX audit_reads_by_subject;

CREATE INDEX audit_reads_by_subject ON audit_leaves (domain, pseudonym, idx)
	WHERE action IN ('score.read', 'decision.read', 'report.read');
