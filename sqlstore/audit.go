package sqlstore

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

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

// AppendLeaves numbers and stores leaves, many rows per INSERT: for each,
// a fresh random salt, the private record and the public leaf committing
// to them.
func (tx *Tx) AppendLeaves(leaves []probity.AuditLeaf, hash func([]byte) []byte) ([]probity.AuditEntry, error) {
	size, err := tx.LogSize()
	if err != nil {
		return nil, err
	}
	salts := make([]byte, probity.SaltSize*len(leaves))
	if _, err := rand.Read(salts); err != nil {
		return nil, err
	}
	entries := make([]probity.AuditEntry, len(leaves))
	rows := make([][]any, len(leaves))
	for i, l := range leaves {
		l.Index = size + uint64(i)
		l.At = l.At.Truncate(time.Second).UTC()
		if l.Log == "" {
			l.Log = probity.InstallationLog
		}
		salt := salts[i*probity.SaltSize : (i+1)*probity.SaltSize : (i+1)*probity.SaltSize]
		record := l.Record()
		pub := probity.PublicLeaf{Log: l.Log, Index: l.Index, At: l.At, Action: l.Action, Commitment: probity.Commitment(salt, record)}
		data := pub.Data()
		entries[i] = probity.AuditEntry{AuditLeaf: l, Commitment: pub.Commitment, Data: string(data), Hash: hash(data), Salt: salt, RecordData: record}
		var subject []byte
		if l.Subject != nil {
			subject = l.Subject[:]
		}
		rows[i] = []any{int64(l.Index), l.Domain, subject, l.Action, data, entries[i].Hash, salt, record}
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

const leafColumns = `idx, domain, pseudonym, pseudonym IS NULL, action, data, hash, salt, record, erased_by`

// Leaves calls fn for each stored leaf in [start, end); a row that is not a
// valid leaf comes with Invalid set.
func (tx *Tx) Leaves(start, end uint64, fn func(*probity.AuditEntry) error) error {
	return tx.scanLeaves(fn, `SELECT `+leafColumns+` FROM audit_leaves WHERE idx >= ? AND idx < ? ORDER BY idx`, int64(start), int64(end))
}

// SubjectLeaves calls fn for every leaf about a subject in a domain whose
// opening is kept, in index order.
func (tx *Tx) SubjectLeaves(domain string, subject probity.Pseudonym, fn func(*probity.AuditEntry) error) error {
	return tx.scanLeaves(fn, `SELECT `+leafColumns+` FROM audit_leaves INDEXED BY audit_by_subject
		WHERE domain = ? AND pseudonym = ? ORDER BY idx`, domain, subject[:])
}

// DomainLeaves calls fn for at most limit leaves of a domain (every leaf
// when domain is "") from index start, in index order.
func (tx *Tx) DomainLeaves(domain string, start uint64, limit int, fn func(*probity.AuditEntry) error) error {
	if domain == "" {
		return tx.scanLeaves(fn, `SELECT `+leafColumns+` FROM audit_leaves WHERE idx >= ? ORDER BY idx LIMIT ?`, int64(start), limit)
	}
	return tx.scanLeaves(fn, `SELECT `+leafColumns+` FROM audit_leaves WHERE domain = ? AND idx >= ? ORDER BY idx LIMIT ?`, domain, int64(start), limit)
}

func (tx *Tx) scanLeaves(fn func(*probity.AuditEntry) error, query string, args ...any) error {
	rows, err := tx.query(query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		var domain, action string
		var pseudonym []byte
		var null bool
		var erasedBy sql.NullInt64
		e := &probity.AuditEntry{}
		if err := rows.Scan(&idx, &domain, &pseudonym, &null, &action, &e.Data, &e.Hash, &e.Salt, &e.RecordData, &erasedBy); err != nil {
			return err
		}
		if !null && pseudonym == nil {
			pseudonym = []byte{} // an empty blob, which only tampering writes
		}
		e.Shredded, e.ErasedBy = erasedBy.Valid, uint64(erasedBy.Int64)
		if err := openEntry(e, idx, domain, pseudonym, action); err != nil {
			e.Index, e.Invalid = uint64(idx), err.Error()
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// openEntry parses a leaf row's public data and, unless shredded, its
// opening, and checks that they and the indexed columns agree.
func openEntry(e *probity.AuditEntry, idx int64, domain string, pseudonym []byte, action string) error {
	pub, err := probity.ParsePublicLeaf([]byte(e.Data))
	if err != nil {
		return fmt.Errorf("data is not a leaf: %v", err)
	}
	e.Index, e.Log, e.At, e.Action, e.Commitment = pub.Index, pub.Log, pub.At, pub.Action, pub.Commitment
	if uint64(idx) != pub.Index || action != pub.Action {
		return fmt.Errorf("its columns (index %d, action %q) differ from its data", idx, action)
	}
	if e.Shredded {
		if e.Salt != nil || e.RecordData != nil || pseudonym != nil {
			return fmt.Errorf("shredded by leaf %d, but its opening or subject is still stored", e.ErasedBy)
		}
		e.Domain = domain
		return nil
	}
	if e.Salt == nil || e.RecordData == nil {
		return fmt.Errorf("its opening (salt and record) is missing, and no erasure shredded it")
	}
	if len(e.Salt) != probity.SaltSize {
		return fmt.Errorf("its salt is %d bytes, want %d", len(e.Salt), probity.SaltSize)
	}
	if probity.Commitment(e.Salt, e.RecordData) != pub.Commitment {
		return fmt.Errorf("its opening does not open its commitment (salt or record changed)")
	}
	r, err := probity.ParseRecord(e.RecordData)
	if err != nil {
		return fmt.Errorf("its record: %v", err)
	}
	if r.Log != pub.Log || r.Index != pub.Index || r.Action != pub.Action {
		return fmt.Errorf("its record names leaf %s/%d (%s), not this one", r.Log, r.Index, r.Action)
	}
	e.Actor, e.Domain, e.Subject, e.Purpose, e.Ref, e.Digest = r.Actor, r.Domain, r.Subject, r.Purpose, r.Ref, r.Digest
	return columnsMatch(domain, pseudonym, &e.AuditLeaf)
}

// columnsMatch checks that a leaf row's indexed columns say what its record says.
func columnsMatch(domain string, pseudonym []byte, l *probity.AuditLeaf) error {
	var subject []byte
	if l.Subject != nil {
		subject = l.Subject[:]
	}
	if domain != l.Domain || !bytes.Equal(pseudonym, subject) || (pseudonym == nil) != (l.Subject == nil) {
		return fmt.Errorf("its columns (domain %q) differ from its record", domain)
	}
	return nil
}

// kept selects the leaves an erasure does not shred: court orders are not
// the subject's to erase (their rows stay, and so must their leaves'
// openings), and an erasure leaf must stay open to cover what it shredded.
const kept = `action NOT IN ('order.issued', 'order.fulfilled', 'subject.erased')`

// ShredLeaves deletes the openings of every leaf about a subject in a
// domain, marking each shredded by the erasure leaf at erasedBy, and
// returns their indexes in order.
func (tx *Tx) ShredLeaves(domain string, subject probity.Pseudonym, erasedBy uint64) ([]uint64, error) {
	rows, err := tx.query(`SELECT idx FROM audit_leaves INDEXED BY audit_by_subject WHERE domain = ? AND pseudonym = ? AND `+kept+` ORDER BY idx`, domain, subject[:])
	if err != nil {
		return nil, err
	}
	var idxs []uint64
	for rows.Next() {
		var idx int64
		if err := rows.Scan(&idx); err != nil {
			rows.Close()
			return nil, err
		}
		idxs = append(idxs, uint64(idx))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if _, err := tx.exec(`UPDATE audit_leaves SET salt = NULL, record = NULL, pseudonym = NULL, erased_by = ? WHERE domain = ? AND pseudonym = ? AND `+kept,
		int64(erasedBy), domain, subject[:]); err != nil {
		return nil, err
	}
	return idxs, nil
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
	return valuesQuery(`INSERT INTO audit_leaves (idx, domain, pseudonym, action, data, hash, salt, record) VALUES `, 8, n, "")
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
	out := []probity.AuditLeaf{}
	err := tx.SubjectLeaves(domain, subject, func(e *probity.AuditEntry) error {
		if e.Invalid != "" {
			return fmt.Errorf("leaf %d: %s", e.Index, e.Invalid)
		}
		switch e.Action {
		case probity.ActionScoreRead, probity.ActionDecisionRead, probity.ActionReportRead, probity.ActionRestrictionCheck:
			out = append(out, e.AuditLeaf)
		}
		return nil
	})
	return out, err
}
