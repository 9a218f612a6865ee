-- The audit log v2: the public leaf (data) carries only format, log, index,
-- time, action and a commitment; the opening of the commitment (salt and
-- private record) is kept here, beside it, and shredded by an erasure.
ALTER TABLE audit_leaves ADD COLUMN salt BLOB;      -- NULL once shredded
ALTER TABLE audit_leaves ADD COLUMN record BLOB;    -- the private record; NULL once shredded
ALTER TABLE audit_leaves ADD COLUMN erased_by INTEGER; -- the subject.erased leaf that shredded it

-- Every leaf about a subject, for their report's openings and for erasure.
DROP INDEX audit_reads_by_subject;
CREATE INDEX audit_by_subject ON audit_leaves (domain, pseudonym, idx) WHERE pseudonym IS NOT NULL;
