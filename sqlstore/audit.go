package sqlstore

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/probity-dev/probity"
)

// LogSize returns the number of audit leaves.
func (tx *Tx) LogSize() (uint64, error) {
	var n sql.NullInt64
	s, err := tx.stmt(queryLogSize)
	if err != nil {
		return 0, err
	}
	if err := s.QueryRowContext(tx.ctx).Scan(&n); err != nil {
		return 0, err
	}
	if !n.Valid {
		return 0, nil
	}
	return uint64(n.Int64) + 1, nil
}

// AppendLeaves numbers and stores leaves, many rows per INSERT.
func (tx *Tx) AppendLeaves(leaves []probity.AuditLeaf, hash func([]byte) []byte) ([]probity.AuditEntry, error) {
	size, err := tx.LogSize()
	if err != nil {
		return nil, err
	}
	entries := make([]probity.AuditEntry, len(leaves))
	rows := make([][]any, len(leaves))
	for i, l := range leaves {
		l.Index = size + uint64(i)
		data := l.Data()
		entries[i] = probity.AuditEntry{AuditLeaf: l, Data: string(data), Hash: hash(data)}
		var subject []byte
		if l.Subject != nil {
			subject = l.Subject[:]
		}
		rows[i] = []any{int64(l.Index), l.Domain, subject, l.Action, data, entries[i].Hash}
	}
	if d := tx.db.dialect; d.CopyLeaves != nil && tx.conn != nil && len(leaves) >= d.CopyAtLeast {
		return entries, d.CopyLeaves(tx.ctx, tx.conn, rows)
	}
	args := make([]any, 0, len(LeafInsertColumns)*insertBatch)
	for start := 0; start < len(leaves); start += insertBatch {
		end := min(start+insertBatch, len(leaves))
		args = args[:0]
		for _, row := range rows[start:end] {
			args = append(args, row...)
		}
		s, err := tx.stmt(insertLeavesQuery(end - start))
		if err != nil {
			return nil, err
		}
		if _, err := s.ExecContext(tx.ctx, args...); err != nil {
			return nil, err
		}
	}
	return entries, nil
}

// Leaves calls fn for each stored leaf in [start, end); a row that is not a
// valid leaf comes with Invalid set.
func (tx *Tx) Leaves(start, end uint64, fn func(*probity.AuditEntry) error) error {
	rows, err := tx.query(`SELECT idx, domain, pseudonym, pseudonym IS NULL, action, data, hash FROM audit_leaves WHERE idx >= ? AND idx < ? ORDER BY idx`, int64(start), int64(end))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		var domain, action string
		var pseudonym []byte
		var null bool
		e := &probity.AuditEntry{}
		if err := rows.Scan(&idx, &domain, &pseudonym, &null, &action, &e.Data, &e.Hash); err != nil {
			return err
		}
		if !null && pseudonym == nil {
			pseudonym = []byte{} // an empty blob, which only tampering writes
		}
		if l, err := probity.ParseLeaf([]byte(e.Data)); err != nil {
			e.Index, e.Invalid = uint64(idx), fmt.Sprintf("data is not a leaf: %v", err)
		} else {
			e.AuditLeaf = *l
			if err := columnsMatch(idx, domain, pseudonym, action, &e.AuditLeaf); err != nil {
				e.Index, e.Invalid = uint64(idx), err.Error()
			}
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// columnsMatch checks that a leaf row's indexed columns say what its data says.
func columnsMatch(idx int64, domain string, pseudonym []byte, action string, l *probity.AuditLeaf) error {
	var subject []byte
	if l.Subject != nil {
		subject = l.Subject[:]
	}
	if uint64(idx) != l.Index || domain != l.Domain || action != l.Action || !bytes.Equal(pseudonym, subject) || (pseudonym == nil) != (l.Subject == nil) {
		return fmt.Errorf("its columns (index %d, domain %q, action %q) differ from its data", idx, domain, action)
	}
	return nil
}

// InsertCheckpoint stores a checkpoint.
func (tx *Tx) InsertCheckpoint(c *probity.Checkpoint) error {
	s, err := tx.stmt(queryInsertCheckpoint)
	if err != nil {
		return err
	}
	res, err := s.ExecContext(tx.ctx, int64(c.Size), c.At.UnixNano(), c.Root, c.Note, bytes.Join(c.Range, nil))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return probity.Errorf(probity.ECONFLICT, "a checkpoint of size %d exists", c.Size)
	}
	return nil
}

const checkpointColumns = `size, at, root, note, range`

// The log's hot queries, prepared once per pool.
const (
	queryLogSize          = `SELECT MAX(idx) FROM audit_leaves`
	queryLatestCheckpoint = `SELECT ` + checkpointColumns + ` FROM audit_checkpoints ORDER BY size DESC LIMIT 1`
	queryInsertCheckpoint = `INSERT INTO audit_checkpoints (size, at, root, note, range) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
)

func insertLeavesQuery(n int) string {
	return valuesQuery(`INSERT INTO audit_leaves (idx, domain, pseudonym, action, data, hash) VALUES `, 6, n, "")
}

func scanCheckpoint(row scanner) (*probity.Checkpoint, error) {
	c := &probity.Checkpoint{}
	var size, at int64
	var rng []byte
	if err := row.Scan(&size, &at, &c.Root, &c.Note, &rng); err != nil {
		return nil, err
	}
	if len(rng)%32 != 0 {
		return nil, probity.Errorf(probity.EINVALID, "checkpoint %d: compact range of %d bytes", size, len(rng))
	}
	for i := 0; i < len(rng); i += 32 {
		c.Range = append(c.Range, rng[i:i+32])
	}
	c.Size, c.At = uint64(size), fromNanos(at)
	return c, nil
}

// LatestCheckpoint returns the checkpoint of the largest size, or nil.
func (tx *Tx) LatestCheckpoint() (*probity.Checkpoint, error) {
	s, err := tx.stmt(queryLatestCheckpoint)
	if err != nil {
		return nil, err
	}
	c, err := scanCheckpoint(s.QueryRowContext(tx.ctx))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return c, err
}

// Checkpoints calls fn for every checkpoint in size order.
func (tx *Tx) Checkpoints(fn func(*probity.Checkpoint) error) error {
	rows, err := tx.query(`SELECT ` + checkpointColumns + ` FROM audit_checkpoints ORDER BY size`)
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

// LeafRows returns the count and the index range of the leaf rows.
func (tx *Tx) LeafRows() (uint64, int64, int64, error) {
	var n int64
	var first, last sql.NullInt64
	err := tx.queryRow(`SELECT COUNT(*), MIN(idx), MAX(idx) FROM audit_leaves`).Scan(&n, &first, &last)
	return uint64(n), first.Int64, last.Int64, err
}

// SpecRows calls fn for every stored spec version, parsed afresh.
func (tx *Tx) SpecRows(fn func(*probity.SpecRow) error) error {
	rows, err := tx.query(`SELECT domain, version, digest, applied_at, effective_at, spec FROM spec_versions ORDER BY domain, version`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r := &probity.SpecRow{}
		v := &r.SpecVersion
		var applied, effective int64
		if err := rows.Scan(&v.Domain, &v.Version, &v.Digest, &applied, &effective, &r.SpecJSON); err != nil {
			return err
		}
		v.AppliedAt, v.EffectiveAt = fromNanos(applied), fromNanos(effective)
		v.Spec = new(probity.Spec)
		if err := json.Unmarshal(r.SpecJSON, v.Spec); err != nil {
			r.Invalid = fmt.Sprintf("stored spec is not a spec: %v", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// EventRows calls fn for every stored event with all its points.
func (tx *Tx) EventRows(fn func(*probity.EventRow) error) error {
	rows, err := tx.query(`SELECT domain, ` + eventColumns + `, points, retracted_at FROM events ORDER BY domain, pseudonym, key`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r := &probity.EventRow{}
		e := &r.Event
		var pseudonym, points []byte
		var occurred, recorded, retracted int64
		var kind string
		if err := rows.Scan(&e.Domain, &pseudonym, &e.Key, &e.Type, &kind, &occurred, &recorded, &r.FieldsJSON, &e.Cures, &points, &retracted); err != nil {
			return err
		}
		r.RetractedAt = zeroOrTime(retracted)
		e.Kind, e.OccurredAt, e.RecordedAt = probity.SubjectKind(kind), fromNanos(occurred), fromNanos(recorded)
		if len(pseudonym) != len(e.Subject) {
			r.Invalid = fmt.Sprintf("pseudonym of %d bytes, want %d", len(pseudonym), len(e.Subject))
		}
		copy(e.Subject[:], pseudonym)
		dec := json.NewDecoder(bytes.NewReader(r.FieldsJSON))
		dec.UseNumber()
		if err := dec.Decode(&e.Fields); err != nil {
			r.Invalid = fmt.Sprintf("fields are not JSON: %v", err)
		}
		if r.Points, err = decodePoints(points); err != nil {
			r.Invalid = err.Error()
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Inquiries returns the read leaves of a subject's record in a domain.
func (tx *Tx) Inquiries(domain string, subject probity.Pseudonym) ([]probity.AuditLeaf, error) {
	rows, err := tx.query(`SELECT idx, data FROM audit_leaves INDEXED BY audit_reads_by_subject
		WHERE domain = ? AND pseudonym = ? AND action IN ('score.read', 'decision.read', 'report.read', 'restriction.checked') ORDER BY idx`, domain, subject[:])
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []probity.AuditLeaf{}
	for rows.Next() {
		var idx int64
		var data []byte
		if err := rows.Scan(&idx, &data); err != nil {
			return nil, err
		}
		l, err := probity.ParseLeaf(data)
		if err != nil {
			return nil, fmt.Errorf("leaf %d: %v", idx, err)
		}
		out = append(out, *l)
	}
	return out, rows.Err()
}
