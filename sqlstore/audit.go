package sqlstore

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/probity-dev/probity"
)

// The log's hot queries, prepared once per pool.
const (
	queryLogSize          = `SELECT MAX(idx) FROM log_leaves WHERE log = ?`
	queryLatestCheckpoint = `SELECT ` + checkpointColumns + ` FROM log_checkpoints WHERE log = ? ORDER BY size DESC LIMIT 1`
	queryInsertCheckpoint = `INSERT INTO log_checkpoints (log, size, at, root, note, range) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	queryDropRange        = `UPDATE log_checkpoints SET range = ? WHERE log = ? AND size = ?`
	queryDeleteCheckpoint = `DELETE FROM log_checkpoints WHERE log = ? AND size = ?`
	queryLastSeal         = `SELECT record FROM log_leaves INDEXED BY log_leaves_seals
		WHERE log = ? AND action = 'log.checkpoint' AND domain = ? ORDER BY idx DESC LIMIT 1`
	queryLogHead       = `SELECT origin FROM log_heads WHERE log = ?`
	queryInsertLogHead = `INSERT INTO log_heads (log, origin) VALUES (?, ?) ON CONFLICT DO NOTHING`
)

const checkpointColumns = `log, size, at, root, note, range`

const leafColumns = `log, idx, domain, pseudonym, pseudonym IS NULL, action, data, hash, salt, record, erased_by, batch`

// LogOrigin returns a log's origin, or "" if the log does not exist.
func (tx *Tx) LogOrigin(log string) (string, error) {
	s, err := tx.stmt(queryLogHead)
	if err != nil {
		return "", err
	}
	var origin string
	err = s.QueryRowContext(tx.ctx, log).Scan(&origin)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return origin, err
}

// LockLog makes the transaction the only writer of a log until it ends,
// creating the log with origin if it is new. SQLite has one writer already;
// PostgreSQL locks the log's head row.
func (tx *Tx) LockLog(log, origin string) error {
	lock := func() (bool, error) {
		if tx.db.dialect.LockLog == "" {
			origin, err := tx.LogOrigin(log)
			return origin != "", err
		}
		var name string
		err := tx.tx.QueryRowContext(tx.ctx, tx.db.rebind(tx.db.dialect.LockLog), log).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	}
	// The head row exists but for a log's first write: lock it, and only
	// if it is missing create it (every read's group commit comes here).
	if ok, err := lock(); ok || err != nil {
		return err
	}
	s, err := tx.stmt(queryInsertLogHead)
	if err != nil {
		return err
	}
	if _, err := s.ExecContext(tx.ctx, log, origin); err != nil {
		return err
	}
	if ok, err := lock(); err != nil || !ok {
		if err == nil {
			err = probity.Errorf(probity.EINTERNAL, "log %s has no head row to lock: it was not created", log)
		}
		return err
	}
	return nil
}

// Logs returns every log with its origin and size, in name order.
func (tx *Tx) Logs() ([]probity.LogInfo, error) {
	rows, err := tx.query(`SELECT h.log, h.origin, (SELECT COALESCE(MAX(idx) + 1, 0) FROM log_leaves l WHERE l.log = h.log) FROM log_heads h ORDER BY h.log`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []probity.LogInfo
	for rows.Next() {
		var l probity.LogInfo
		var size int64
		if err := rows.Scan(&l.Name, &l.Origin, &size); err != nil {
			return nil, err
		}
		l.Size = uint64(size)
		out = append(out, l)
	}
	return out, rows.Err()
}

// LogSize returns the number of leaves of a log.
func (tx *Tx) LogSize(log string) (uint64, error) {
	if size, ok := tx.sizes[log]; ok {
		return size, nil
	}
	var n sql.NullInt64
	s, err := tx.stmt(queryLogSize)
	if err != nil {
		return 0, err
	}
	if err := s.QueryRowContext(tx.ctx, log).Scan(&n); err != nil {
		return 0, err
	}
	if !n.Valid {
		return 0, nil
	}
	return uint64(n.Int64) + 1, nil
}

// AppendLeaves numbers and stores leaves of a locked log, many rows per
// INSERT: for each, a fresh random salt, the private record and the public
// leaf committing to them.
func (tx *Tx) AppendLeaves(log string, leaves []probity.AuditLeaf, hash func([]byte) []byte) (_ []probity.AuditEntry, err error) {
	size, err := tx.LogSize(log)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err == nil {
			tx.noteAppended(log, size, len(leaves))
		}
	}()
	salts := make([]byte, probity.SaltSize*len(leaves))
	if _, err := rand.Read(salts); err != nil {
		return nil, err
	}
	entries := make([]probity.AuditEntry, len(leaves))
	rows := make([][]any, len(leaves))
	for i, l := range leaves {
		l.Log, l.Index = log, size+uint64(i)
		l.At = l.At.Truncate(time.Second).UTC()
		salt := salts[i*probity.SaltSize : (i+1)*probity.SaltSize : (i+1)*probity.SaltSize]
		if l.Action == probity.ActionLogCheckpoint {
			salt = make([]byte, probity.SaltSize) // public content: anyone may recompute it
		}
		record := l.Record()
		pub := probity.PublicLeaf{Log: l.Log, Index: l.Index, At: l.At, Action: l.Action, Commitment: probity.Commitment(salt, record)}
		data := pub.Data()
		entries[i] = probity.AuditEntry{AuditLeaf: l, Commitment: pub.Commitment, Data: string(data), Hash: hash(data), Salt: salt, RecordData: record}
		var subject []byte
		if l.Subject != nil {
			subject = l.Subject[:]
		}
		stored := compactRecord(&l)
		if l.Action == probity.ActionLogCheckpoint {
			stored = record // public, read by LastSeal and LatestSeal as it is
		}
		rows[i] = []any{log, int64(l.Index), l.Domain, subject, l.Action, compactData(l.At, pub.Commitment), entries[i].Hash, salt, stored}
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

// noteAppended notes that n leaves were appended to a log of size: the
// transaction then knows its size without asking, and counts them.
func (tx *Tx) noteAppended(log string, size uint64, n int) {
	if tx.leaves == nil {
		tx.leaves, tx.sizes = map[string]int{}, map[string]uint64{}
	}
	tx.leaves[log] += n
	tx.sizes[log] = size + uint64(n)
}

func insertLeavesQuery(n int) string {
	return valuesQuery(`INSERT INTO log_leaves (log, idx, domain, pseudonym, action, data, hash, salt, record) VALUES `, 9, n, "")
}

// Leaves calls fn for each stored leaf of a log in [start, end); a row
// that is not a valid leaf comes with Invalid set.
func (tx *Tx) Leaves(log string, start, end uint64, fn func(*probity.AuditEntry) error) error {
	return tx.scanLeaves(fn, `SELECT `+leafColumns+` FROM log_leaves WHERE log = ? AND idx >= ? AND idx < ? ORDER BY idx`, log, int64(start), int64(end))
}

// LogLeaves calls fn for at most limit leaves of a log from index start.
func (tx *Tx) LogLeaves(log string, start uint64, limit int, fn func(*probity.AuditEntry) error) error {
	return tx.readLeaves(fn, `SELECT `+leafColumns+` FROM log_leaves WHERE log = ? AND idx >= ? ORDER BY idx LIMIT ?`, log, int64(start), limit)
}

// SubjectLeaves calls fn for every leaf about a subject in a domain's log
// whose opening is kept, in index order.
func (tx *Tx) SubjectLeaves(domain string, subject probity.Pseudonym, fn func(*probity.AuditEntry) error) error {
	return tx.readLeaves(fn, `SELECT `+leafColumns+` FROM log_leaves INDEXED BY log_leaves_by_subject
		WHERE domain = ? AND pseudonym = ? AND log = ? ORDER BY idx`, domain, subject[:], domain)
}

// readLeaves reads every row of a leaf query, then calls fn for each: fn
// may then use the transaction (proving a leaf reads the log's tiles), which
// PostgreSQL refuses while another query's rows are open on its connection.
// For queries of a bounded number of rows.
func (tx *Tx) readLeaves(fn func(*probity.AuditEntry) error, query string, args ...any) error {
	var entries []*probity.AuditEntry
	err := tx.scanLeaves(func(e *probity.AuditEntry) error {
		entries = append(entries, e)
		return nil
	}, query, args...)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func (tx *Tx) scanLeaves(fn func(*probity.AuditEntry) error, query string, args ...any) error {
	rows, err := tx.query(query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanLeafRow(rows)
		if err != nil {
			return err
		}
		if err := openRow(&r, fn); err != nil {
			return err
		}
	}
	return rows.Err()
}

// openEntry parses a leaf row's public data and, unless shredded, its
// opening, and checks that they and the indexed columns agree.
func openEntry(e *probity.AuditEntry, log string, idx int64, domain string, pseudonym []byte, action string, batch sql.NullInt64) error {
	pub, data, err := publicLeaf(log, idx, action, []byte(e.Data))
	if err != nil {
		return err
	}
	e.Data = string(data)
	e.Index, e.Log, e.At, e.Action, e.Commitment = pub.Index, pub.Log, pub.At, pub.Action, pub.Commitment
	if uint64(idx) != pub.Index || log != pub.Log || action != pub.Action {
		return fmt.Errorf("its columns (log %s, index %d, action %q) differ from its data", log, idx, action)
	}
	if action == probity.ActionEventsAccepted {
		return openBatchLeaf(e, pub, domain, pseudonym, batch)
	}
	if batch.Valid {
		return fmt.Errorf("a %s leaf with a batch id (%d): only batch leaves have one", action, batch.Int64)
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
	// a compact record is built from the row, not parsed: the bytes the
	// commitment is checked against are its canonical form all the same
	r, record, err := privateLeaf(log, idx, action, domain, pseudonym, e.RecordData)
	if err != nil {
		return fmt.Errorf("its record: %v", err)
	}
	e.RecordData = record
	if probity.Commitment(e.Salt, e.RecordData) != pub.Commitment {
		return fmt.Errorf("its opening does not open its commitment (salt or record changed)")
	}
	if r.Log != pub.Log || r.Index != pub.Index || r.Action != pub.Action {
		return fmt.Errorf("its record names leaf %s/%d (%s), not this one", r.Log, r.Index, r.Action)
	}
	e.Actor, e.Domain, e.Subject, e.Purpose, e.Ref, e.Digest = r.Actor, r.Domain, r.Subject, r.Purpose, r.Ref, r.Digest
	if want := probity.LogOf(&e.AuditLeaf); want != log {
		return fmt.Errorf("a %s leaf of domain %q in log %s, which belongs in log %s", e.Action, e.Domain, log, want)
	}
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
// domain's log, marking each shredded by the erasure leaf at erasedBy, and
// returns their indexes in order.
func (tx *Tx) ShredLeaves(domain string, subject probity.Pseudonym, erasedBy uint64) ([]uint64, error) {
	rows, err := tx.query(`SELECT idx FROM log_leaves INDEXED BY log_leaves_by_subject WHERE domain = ? AND pseudonym = ? AND log = ? AND `+kept+` ORDER BY idx`, domain, subject[:], domain)
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
	if _, err := tx.exec(`UPDATE log_leaves SET salt = NULL, record = NULL, pseudonym = NULL, erased_by = ? WHERE domain = ? AND pseudonym = ? AND log = ? AND `+kept,
		int64(erasedBy), domain, subject[:], domain); err != nil {
		return nil, err
	}
	return idxs, nil
}

// LeafRows returns the count and the index range of a log's leaf rows.
func (tx *Tx) LeafRows(log string) (uint64, int64, int64, error) {
	var n int64
	var first, last sql.NullInt64
	err := tx.queryRow(`SELECT COUNT(*), MIN(idx), MAX(idx) FROM log_leaves WHERE log = ?`, log).Scan(&n, &first, &last)
	return uint64(n), first.Int64, last.Int64, err
}

// LastSeal returns the size of a domain log's latest checkpoint recorded
// in the installation log.
func (tx *Tx) LastSeal(log string) (uint64, error) {
	var record []byte
	s, err := tx.stmt(queryLastSeal)
	if err != nil {
		return 0, err
	}
	err = s.QueryRowContext(tx.ctx, probity.InstallationLog, log).Scan(&record)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	r, err := probity.ParseRecord(record)
	if err != nil {
		return 0, fmt.Errorf("the latest seal of log %s: %v", log, err)
	}
	return strconv.ParseUint(r.Ref, 10, 64)
}

// LatestSeal returns the latest leaf of the installation log, before index
// before, that records a checkpoint of a domain log: its index, and the
// size and root it records; ok is false if there is none.
func (tx *Tx) LatestSeal(log string, before uint64) (index, size uint64, root []byte, ok bool, err error) {
	var idx int64
	var record []byte
	err = tx.queryRow(`SELECT idx, record FROM log_leaves INDEXED BY log_leaves_seals
		WHERE log = ? AND action = 'log.checkpoint' AND domain = ? AND idx < ? ORDER BY idx DESC LIMIT 1`, probity.InstallationLog, log, int64(before)).Scan(&idx, &record)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil, false, nil
	} else if err != nil {
		return 0, 0, nil, false, err
	}
	r, err := probity.ParseRecord(record)
	if err != nil {
		return 0, 0, nil, false, fmt.Errorf("seal leaf %d: %v", idx, err)
	}
	if size, err = strconv.ParseUint(r.Ref, 10, 64); err != nil {
		return 0, 0, nil, false, fmt.Errorf("seal leaf %d: size %q", idx, r.Ref)
	}
	if root, err = hex.DecodeString(r.Digest); err != nil || len(root) != 32 {
		return 0, 0, nil, false, fmt.Errorf("seal leaf %d: root %q", idx, r.Digest)
	}
	return uint64(idx), size, root, true, nil
}

// HasV1Log reports whether the store holds leaves of the first log format.
func (tx *Tx) HasV1Log() (bool, error) {
	var n int64
	err := tx.queryRow(`SELECT COUNT(*) FROM (SELECT 1 FROM audit_leaves LIMIT 1) AS v1`).Scan(&n)
	return n > 0, err
}

// Inquiries returns the read leaves of a subject's record in a domain.
func (tx *Tx) Inquiries(domain string, subject probity.Pseudonym) ([]probity.AuditLeaf, error) {
	out := []probity.AuditLeaf{}
	err := tx.SubjectLeaves(domain, subject, func(e *probity.AuditEntry) error {
		if e.Invalid != "" {
			return fmt.Errorf("leaf %d: %s", e.Index, e.Invalid)
		}
		switch e.Action {
		case probity.ActionScoreRead, probity.ActionDecisionRead, probity.ActionReportRead, probity.ActionRestrictionCheck, probity.ActionEntryRead:
			out = append(out, e.AuditLeaf)
		}
		return nil
	})
	return out, err
}
