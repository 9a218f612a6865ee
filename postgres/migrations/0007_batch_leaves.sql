-- Batch leaves (DESIGN.md, "Batches"): an ingest logs its events in leaves
-- of up to 255 events each, whose commitment is the RFC 6962 root over the
-- events' own commitments. An event so logged keeps the salt of its member
-- record and its place: the batch's id (the leaf's batch column) and its
-- position in the leaf's tree. NULL for events logged in a leaf of their
-- own. The leaf keeps its members' commitments in its record.
ALTER TABLE events ADD COLUMN salt BYTEA;
ALTER TABLE events ADD COLUMN batch BIGINT;
ALTER TABLE events ADD COLUMN slot INTEGER;
ALTER TABLE log_leaves ADD COLUMN batch BIGINT;
CREATE UNIQUE INDEX log_leaves_batches ON log_leaves (log, batch) WHERE batch IS NOT NULL;
