package sqlstore

import (
	"database/sql"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/probity-dev/probity"
)

// Queries for verification: sorted streams that let the verifier match
// rows with leaves by merging, never holding either in memory.

// LogCheckpoints calls fn for at most limit checkpoints of a log with size
// from from on, in size order: the verifier reads them a page at a time
// beside the leaves, by the primary key (log, size).
func (tx *Tx) LogCheckpoints(log string, from uint64, limit int, fn func(*probity.Checkpoint) error) error {
	if from > math.MaxInt64 {
		return nil
	}
	rows, err := tx.query(`SELECT `+checkpointColumns+` FROM log_checkpoints WHERE log = ? AND size >= ? ORDER BY size LIMIT ?`, log, int64(from), limit)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return rows.Err()
}

// scanCacheKiB is the page cache of a SQLite connection while it reads
// whole tables for the verifier. A scan reads each page once, so the 64 MiB
// a reader keeps for scores would only hold pages never read again: over
// 100 MB of the verifier's resident memory, for no speed.
const scanCacheKiB = 2048

// Scanning shrinks a SQLite connection's page cache while the transaction
// reads whole tables, and returns what restores it: the connection goes
// back to the pool, to readers whom the larger cache serves. PostgreSQL
// reads through the server's shared buffers: nothing to do.
func (tx *Tx) Scanning() (done func()) {
	var size int64
	if tx.db.dialect.Name != "sqlite" || tx.tx.QueryRowContext(tx.ctx, `PRAGMA cache_size`).Scan(&size) != nil {
		return func() {}
	}
	if _, err := tx.tx.ExecContext(tx.ctx, fmt.Sprintf(`PRAGMA cache_size = %d`, -scanCacheKiB)); err != nil {
		return func() {}
	}
	return func() { tx.tx.ExecContext(tx.ctx, fmt.Sprintf(`PRAGMA cache_size = %d`, size)) }
}

// leafRow is a leaf row as read, before it is opened.
type leafRow struct {
	e                   *probity.AuditEntry
	log, domain, action string
	idx                 int64
	pseudonym           []byte
	batch               sql.NullInt64
}

// openBatch is how many leaf rows the reader hands the opener at once.
const openBatch = 256

// VerifyLeaves calls fn for each leaf of a log with index in [start, end),
// like Leaves, but opens them (parses them and checks each opening against
// its commitment, the costly part) on a goroutine of its own, which then
// calls fn, while this one reads the next rows.
func (tx *Tx) VerifyLeaves(log string, start, end uint64, fn func(*probity.AuditEntry) error) error {
	rows, err := tx.query(`SELECT `+leafColumns+` FROM log_leaves WHERE log = ? AND idx >= ? AND idx < ? ORDER BY idx`, log, int64(start), int64(end))
	if err != nil {
		return err
	}
	defer rows.Close()
	batches := make(chan []leafRow, 4)
	opened := make(chan error, 1)
	var failed atomic.Bool
	go func() {
		var err error
		for batch := range batches {
			for i := range batch {
				if err == nil {
					err = openRow(&batch[i], fn)
				}
			}
			if err != nil {
				failed.Store(true)
			}
		}
		opened <- err
	}()
	batch := make([]leafRow, 0, openBatch)
	var scanErr error
	for scanErr == nil && !failed.Load() && rows.Next() {
		var r leafRow
		if r, scanErr = scanLeafRow(rows); scanErr == nil {
			if batch = append(batch, r); len(batch) == openBatch {
				batches <- batch
				batch = make([]leafRow, 0, openBatch)
			}
		}
	}
	batches <- batch
	close(batches)
	if err := <-opened; err != nil {
		return err
	}
	if scanErr != nil {
		return scanErr
	}
	return rows.Err()
}

// scanLeafRow reads the columns of leafColumns.
func scanLeafRow(rows interface{ Scan(...any) error }) (leafRow, error) {
	r := leafRow{e: &probity.AuditEntry{}}
	var null bool
	var erasedBy sql.NullInt64
	e := r.e
	if err := rows.Scan(&r.log, &r.idx, &r.domain, &r.pseudonym, &null, &r.action, &e.Data, &e.Hash, &e.Salt, &e.RecordData, &erasedBy, &r.batch); err != nil {
		return r, err
	}
	if !null && r.pseudonym == nil {
		r.pseudonym = []byte{} // an empty blob, which only tampering writes
	}
	e.Shredded, e.ErasedBy = erasedBy.Valid, uint64(erasedBy.Int64)
	return r, nil
}

// openRow opens a leaf row as scanLeaves does, and hands it to fn.
func openRow(r *leafRow, fn func(*probity.AuditEntry) error) error {
	e := r.e
	if err := openEntry(e, r.log, r.idx, r.domain, r.pseudonym, r.action, r.batch); err != nil {
		e.Log, e.Index, e.Invalid = r.log, uint64(r.idx), err.Error()
	}
	return fn(e)
}
