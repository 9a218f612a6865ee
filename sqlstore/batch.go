package sqlstore

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/probity-dev/probity"
)

// A batch leaf's row (DESIGN.md, "Batches") keeps its header's opening as
// any leaf does (salt, and a record built from the row), and in its record
// column the batch's members: their commitments and subject hints,
// position 1 onwards, and which of them an erasure deleted. Its batch column is the batch's id,
// by which an event's row finds its leaf.

// batchTag starts a batch leaf's stored record.
const batchTag = 0x02

// BatchRecord is the stored form of a batch leaf's record: the actor, the
// members, and the erased ones (position, erasure leaf).
func BatchRecord(actor string, members []probity.BatchMember, erased map[int]uint64) []byte {
	b := make([]byte, 0, 16+len(actor)+40*len(members)+8*len(erased))
	b = append(b, batchTag)
	b = binary.AppendUvarint(b, uint64(len(actor)))
	b = append(b, actor...)
	b = binary.AppendUvarint(b, uint64(len(members)))
	for _, m := range members {
		b = append(append(b, m.Commitment[:]...), m.Subject[:]...)
	}
	b = binary.AppendUvarint(b, uint64(len(erased)))
	positions := make([]int, 0, len(erased))
	for p := range erased {
		positions = append(positions, p)
	}
	slices.Sort(positions)
	for _, p := range positions {
		b = binary.AppendUvarint(b, uint64(p))
		b = binary.AppendUvarint(b, erased[p])
	}
	return b
}

// ParseBatchRecord reads what BatchRecord wrote.
func ParseBatchRecord(record []byte) (actor string, members []probity.BatchMember, erased map[int]uint64, err error) {
	if len(record) == 0 || record[0] != batchTag {
		return "", nil, nil, fmt.Errorf("record is not a batch record")
	}
	r := bytes.NewReader(record[1:])
	if actor, err = readString(r); err != nil {
		return "", nil, nil, fmt.Errorf("record is not a batch record: its actor")
	}
	n, err := binary.ReadUvarint(r)
	if err != nil || n == 0 || n > probity.MaxBatchMembers || n*40 > uint64(r.Len()) {
		return "", nil, nil, fmt.Errorf("record is not a batch record: its members")
	}
	members = make([]probity.BatchMember, n)
	for i := range members {
		r.Read(members[i].Commitment[:])
		r.Read(members[i].Subject[:])
	}
	m, err := binary.ReadUvarint(r)
	if err != nil || m > n {
		return "", nil, nil, fmt.Errorf("record is not a batch record: its erasures")
	}
	erased = make(map[int]uint64, m)
	for range m {
		p, err1 := binary.ReadUvarint(r)
		by, err2 := binary.ReadUvarint(r)
		if err1 != nil || err2 != nil || p < 1 || p > n {
			return "", nil, nil, fmt.Errorf("record is not a batch record: an erasure")
		}
		erased[int(p)] = by
	}
	if r.Len() != 0 {
		return "", nil, nil, fmt.Errorf("record is not a batch record: %d bytes past its end", r.Len())
	}
	return actor, members, erased, nil
}

// BatchHeader returns the header record, in canonical form, and the
// members of a batch leaf's row with columns log, idx, domain, batch and
// record: what anything reading the table must do with a batch leaf's
// record.
func BatchHeader(log string, idx int64, domain string, batch int64, record []byte) ([]byte, []probity.BatchMember, error) {
	actor, members, _, err := ParseBatchRecord(record)
	if err != nil {
		return nil, nil, err
	}
	l := headerLeaf(log, uint64(idx), actor, domain, batch)
	return l.Record(), members, nil
}

// RehashBatch returns the commitment a batch leaf's row makes (its
// header's opening and its members' commitments, rehashed into the batch's
// tree) and how many members it holds: what a scan of the table checks
// against the commitment of the row's public leaf.
func RehashBatch(log string, idx int64, domain string, batch int64, salt, record []byte) ([32]byte, int, error) {
	header, members, err := BatchHeader(log, idx, domain, batch, record)
	if err != nil {
		return [32]byte{}, 0, err
	}
	return probity.BatchCommitment(probity.Commitment(salt, header), members), len(members), nil
}

// headerLeaf is the header of a batch leaf: the leaf's own record, its Ref
// the batch's id.
func headerLeaf(log string, idx uint64, actor, domain string, batch int64) probity.AuditLeaf {
	return probity.AuditLeaf{Log: log, Index: idx, Action: probity.ActionEventsAccepted, Actor: actor, Domain: domain, Ref: strconv.FormatInt(batch, 10)}
}

const queryInsertBatchLeaf = `INSERT INTO log_leaves (log, idx, domain, action, data, hash, salt, record, batch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

// AppendBatch appends a batch leaf to a locked log: its header (leaf, with
// Ref set to the batch's id) under a fresh salt, committing with members
// (position 1 onwards) to the RFC 6962 root over them all.
func (tx *Tx) AppendBatch(log string, leaf probity.AuditLeaf, batch int64, members []probity.BatchMember, hash func([]byte) []byte) (probity.AuditEntry, error) {
	if len(members) == 0 || len(members) > probity.MaxBatchMembers {
		return probity.AuditEntry{}, fmt.Errorf("a batch of %d members; want 1 to %d", len(members), probity.MaxBatchMembers)
	}
	size, err := tx.LogSize(log)
	if err != nil {
		return probity.AuditEntry{}, err
	}
	salt := make([]byte, probity.SaltSize)
	if _, err := rand.Read(salt); err != nil {
		return probity.AuditEntry{}, err
	}
	l := headerLeaf(log, size, leaf.Actor, leaf.Domain, batch)
	l.At = leaf.At.Truncate(time.Second).UTC()
	record := l.Record()
	commitment := probity.BatchCommitment(probity.Commitment(salt, record), members)
	pub := probity.PublicLeaf{Log: log, Index: l.Index, At: l.At, Action: l.Action, Commitment: commitment}
	data := pub.Data()
	e := probity.AuditEntry{AuditLeaf: l, Commitment: commitment, Data: string(data), Hash: hash(data), Salt: salt, RecordData: record, Members: members}
	s, err := tx.stmt(queryInsertBatchLeaf)
	if err != nil {
		return e, err
	}
	if _, err := s.ExecContext(tx.ctx, log, int64(l.Index), l.Domain, l.Action, compactData(l.At, commitment), e.Hash, salt,
		BatchRecord(l.Actor, members, nil), batch); err != nil {
		return e, err
	}
	tx.noteAppended(log, size, 1)
	return e, nil
}

// openBatchLeaf opens a batch leaf's row: its header record is built from the
// row, and with the member commitments must hash to the leaf's commitment.
func openBatchLeaf(e *probity.AuditEntry, pub *probity.PublicLeaf, domain string, pseudonym []byte, batch sql.NullInt64) error {
	if e.Shredded || pseudonym != nil {
		return fmt.Errorf("a batch leaf with a subject or shredded: batch leaves are about no one subject")
	}
	if e.Salt == nil || e.RecordData == nil {
		return fmt.Errorf("its opening (salt and record) is missing, and no erasure shredded it")
	}
	if len(e.Salt) != probity.SaltSize {
		return fmt.Errorf("its salt is %d bytes, want %d", len(e.Salt), probity.SaltSize)
	}
	if !batch.Valid {
		return fmt.Errorf("a batch leaf without its batch id")
	}
	actor, members, erased, err := ParseBatchRecord(e.RecordData)
	if err != nil {
		return fmt.Errorf("its record: %v", err)
	}
	header := headerLeaf(e.Log, e.Index, actor, domain, batch.Int64)
	header.At = e.At
	e.AuditLeaf = header
	e.RecordData = header.Record()
	e.Members, e.MemberErasures = members, erased
	c := probity.BatchCommitment(probity.Commitment(e.Salt, e.RecordData), members)
	if c != pub.Commitment {
		return fmt.Errorf("its opening does not open its commitment (its header or its %d members' commitments changed)", len(members))
	}
	if want := probity.LogOf(&e.AuditLeaf); want != e.Log {
		return fmt.Errorf("a %s leaf of domain %q in log %s, which belongs in log %s", e.Action, e.Domain, e.Log, want)
	}
	return nil
}

// SubjectMembers calls fn for every event of a subject in a domain that a
// batch leaf logged, its Slot set, with that leaf's entry; the rows are
// read before fn is called.
func (tx *Tx) SubjectMembers(domain string, subject probity.Pseudonym, fn func(*probity.Event, *probity.AuditEntry) error) error {
	rows, err := tx.query(`SELECT `+eventColumns+`, salt, batch, slot FROM events
		WHERE domain = ? AND pseudonym = ? AND batch IS NOT NULL ORDER BY batch, slot`, domain, subject[:])
	if err != nil {
		return err
	}
	var events []*probity.Event
	for rows.Next() {
		e := &probity.Event{Domain: domain}
		slot := &probity.BatchSlot{}
		if err := scanEvent(rows, e, &slot.Salt, &slot.Batch, &slot.Position); err != nil {
			rows.Close()
			return err
		}
		e.Slot = slot
		events = append(events, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var leaf *probity.AuditEntry
	for _, e := range events {
		if leaf == nil || leaf.Ref != strconv.FormatInt(e.Slot.Batch, 10) {
			if leaf, err = tx.batchLeaf(domain, e.Slot.Batch); err != nil {
				return err
			}
		}
		if err := fn(e, leaf); err != nil {
			return err
		}
	}
	return nil
}

// SubjectsByHint returns the subjects of a domain with events whose
// pseudonym starts with hint: a range of the events' key.
func (tx *Tx) SubjectsByHint(domain string, hint probity.SubjectHint) ([]probity.Pseudonym, error) {
	var from, to probity.Pseudonym
	copy(from[:], hint[:])
	query, args := `SELECT DISTINCT pseudonym FROM events WHERE domain = ? AND pseudonym >= ? ORDER BY pseudonym`, []any{domain, from[:]}
	if next, ok := nextHint(hint); ok {
		copy(to[:], next[:])
		query, args = `SELECT DISTINCT pseudonym FROM events WHERE domain = ? AND pseudonym >= ? AND pseudonym < ? ORDER BY pseudonym`, append(args, to[:])
	}
	rows, err := tx.query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []probity.Pseudonym
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		var p probity.Pseudonym
		if len(b) != len(p) {
			return nil, fmt.Errorf("event of domain %s: pseudonym of %d bytes", domain, len(b))
		}
		copy(p[:], b)
		out = append(out, p)
	}
	return out, rows.Err()
}

// nextHint returns the hint after h in byte order, or false if h is the
// last.
func nextHint(h probity.SubjectHint) (probity.SubjectHint, bool) {
	for i := len(h) - 1; i >= 0; i-- {
		if h[i]++; h[i] != 0 {
			return h, true
		}
	}
	return h, false
}

// batchLeaf returns the batch leaf of a domain's log with a batch id.
func (tx *Tx) batchLeaf(log string, batch int64) (*probity.AuditEntry, error) {
	var found *probity.AuditEntry
	err := tx.scanLeaves(func(e *probity.AuditEntry) error {
		found = e
		return nil
	}, `SELECT `+leafColumns+` FROM log_leaves INDEXED BY log_leaves_batches WHERE log = ? AND batch = ?`, log, batch)
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, probity.Errorf(probity.EINTERNAL, "log %s has no leaf of batch %d: run probity audit verify", log, batch)
	}
	if found.Invalid != "" {
		return nil, probity.Errorf(probity.EINTERNAL, "leaf %s/%d of batch %d: %s: run probity audit verify", log, found.Index, batch, found.Invalid)
	}
	return found, nil
}

// ShredMembers marks, in their batch leaves, every event of a subject in
// a domain that a batch leaf logged as erased by the erasure leaf at
// erasedBy, and returns them (leaf index, position) in order. The rows
// themselves, salts included, go with EraseSubject.
func (tx *Tx) ShredMembers(domain string, subject probity.Pseudonym, erasedBy uint64) ([]probity.MemberRef, error) {
	type slot struct {
		batch int64
		pos   int
	}
	rows, err := tx.query(`SELECT batch, slot FROM events WHERE domain = ? AND pseudonym = ? AND batch IS NOT NULL ORDER BY batch, slot`, domain, subject[:])
	if err != nil {
		return nil, err
	}
	var slots []slot
	for rows.Next() {
		var s slot
		if err := rows.Scan(&s.batch, &s.pos); err != nil {
			rows.Close()
			return nil, err
		}
		slots = append(slots, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []probity.MemberRef
	for i := 0; i < len(slots); {
		j := i
		for j < len(slots) && slots[j].batch == slots[i].batch {
			j++
		}
		leaf, err := tx.batchLeaf(domain, slots[i].batch)
		if err != nil {
			return nil, err
		}
		erased := leaf.MemberErasures
		for _, s := range slots[i:j] {
			if s.pos < 1 || s.pos > len(leaf.Members) {
				return nil, probity.Errorf(probity.EINTERNAL, "an event of batch %d names position %d of %d: run probity audit verify", s.batch, s.pos, len(leaf.Members))
			}
			erased[s.pos] = erasedBy
			leaf.Members[s.pos-1].Subject = probity.SubjectHint{}
			out = append(out, probity.MemberRef{Index: leaf.Index, Position: s.pos})
		}
		if _, err := tx.exec(`UPDATE log_leaves SET record = ? WHERE log = ? AND idx = ?`,
			BatchRecord(leaf.Actor, leaf.Members, erased), domain, int64(leaf.Index)); err != nil {
			return nil, err
		}
		i = j
	}
	slices.SortFunc(out, func(a, b probity.MemberRef) int {
		if a.Index != b.Index {
			return cmp.Compare(a.Index, b.Index)
		}
		return a.Position - b.Position
	})
	return out, nil
}
