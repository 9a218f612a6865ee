package audit

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"

	"github.com/probity-dev/probity"
)

// Batch leaves (DESIGN.md, "Batches") are checked in two halves that meet
// in one sort. The leaf pass opens each batch leaf (its header and member
// commitments hash to its commitment: sqlstore does it) and notes each
// member's commitment; the event rows' pass rebuilds each batched row's
// member record and commitment. Sorted by domain, batch and position, each
// member must then meet exactly one row with its commitment, or none if
// the leaf holds no event there or an erasure deleted it.

// Flags of the members sort, in the order they are needed at one place.
const (
	memberHeld   uint8 = iota // a batch leaf's member: digest its commitment ("" for none)
	memberErased              // a batch leaf's member an erasure deleted
	memberRow                 // an event row's claim: digest its commitment, ref its key
)

// cmpMember orders the members sort by domain, batch, position, flag.
func cmpMember(a, b *entry) int {
	return cmp.Or(strings.Compare(a.domain, b.domain), cmp.Compare(a.n, b.n), cmp.Compare(a.index, b.index), cmp.Compare(a.flag, b.flag))
}

// batchLeaf notes the members of a valid batch leaf, and its erased ones
// among the log's erasures.
func (v *verifier) batchLeaf(e *probity.AuditEntry) error {
	batch, err := strconv.ParseInt(e.Ref, 10, 64)
	if err != nil || batch < 0 {
		v.report.problem("%s: a batch leaf whose batch id %q is not a number", leafName(v.log, e.Index), e.Ref)
		return nil
	}
	leaf := strconv.FormatUint(e.Index, 10)
	v.report.Members += uint64(len(e.Members))
	var zero probity.BatchMember
	for i, bm := range e.Members {
		pos := i + 1
		m := entry{domain: v.log, n: uint64(batch), index: uint64(pos), ref: leaf}
		if bm.Commitment != zero.Commitment {
			m.digest = string(bm.Commitment[:])
		}
		if bm.Subject != zero.Subject {
			m.subject = string(bm.Subject[:])
		}
		if by, ok := e.MemberErasures[pos]; ok {
			m.flag = memberErased
			if by <= e.Index {
				v.report.problem("%s: its event at position %d is gone, erased by leaf %d, which comes before it", leafName(v.log, e.Index), pos, by)
			} else if err := v.pass.erasures.add(entry{n: by, flag: erasedMember, index: e.Index, ref: positionKey(pos), domain: v.intern(e.Domain)}); err != nil {
				return err
			}
		}
		if err := v.members.add(m); err != nil {
			return err
		}
	}
	return nil
}

// positionKey is a member's position as a key that sorts as the number.
func positionKey(pos int) string { return fmt.Sprintf("%03d", pos) }

// claimMember notes what a batched event row says of its place: the
// commitment of the member record rebuilt from the row.
func (v *verifier) claimMember(e *probity.Event, digest string) error {
	row := eventName{e.Domain, e.Key}
	s := e.Slot
	if len(s.Salt) != probity.SaltSize || s.Batch < 0 || s.Position < 1 || s.Position > probity.MaxBatchMembers {
		v.report.problem("%s: its place in a batch leaf (batch %d, position %d, a %d-byte salt) is not one Probity writes", row, s.Batch, s.Position, len(s.Salt))
		return nil
	}
	c := MemberCommitment(e, digest, s)
	return v.members.add(entry{domain: v.intern(e.Domain), n: uint64(s.Batch), index: uint64(s.Position), flag: memberRow, digest: string(c[:]), ref: e.Key,
		subject: string(e.Subject[:len(probity.SubjectHint{})])})
}

// matchMembers checks every batch member against the rows that claim it.
func (v *verifier) matchMembers() error {
	c, err := v.members.sorted()
	if err != nil {
		return err
	}
	for p := c.peek(); p != nil; p = c.peek() {
		domain, batch, pos := p.domain, p.n, p.index
		var held []entry
		var rows []entry
		for ; p != nil && p.domain == domain && p.n == batch && p.index == pos; p = c.peek() {
			if p.flag == memberRow {
				rows = append(rows, *p)
			} else {
				held = append(held, *p)
			}
			c.next()
		}
		v.matchMember(domain, batch, pos, held, rows)
	}
	return c.err
}

func (v *verifier) matchMember(domain string, batch, pos uint64, held, rows []entry) {
	if len(held) != 1 {
		for _, r := range rows {
			v.report.problem("%s: names position %d of batch %d, which no batch leaf of log %s holds", eventName{domain, r.ref}, pos, batch, domain)
		}
		if len(held) > 1 {
			v.report.problem("leaf %s/%s: batch %d is held by leaf %s too", domain, held[1].ref, batch, held[0].ref)
		}
		return
	}
	h := &held[0]
	leaf := "leaf " + domain + "/" + h.ref
	switch {
	case h.flag == memberErased && len(rows) > 0:
		v.report.problem("%s: %s says an erasure deleted its event at position %d, but the row is still stored", eventName{domain, rows[0].ref}, leaf, pos)
	case h.flag == memberErased && h.subject != "":
		v.report.problem("%s: its event at position %d was erased, but the leaf still holds its subject's hint", leaf, pos)
	case h.flag == memberErased:
	case h.digest == "" && len(rows) > 0:
		v.report.problem("%s: names position %d of %s, which holds no event there", eventName{domain, rows[0].ref}, pos, leaf)
	case h.digest == "" && h.subject != "":
		v.report.problem("%s: holds no event at position %d, but a subject's hint there", leaf, pos)
	case h.digest == "":
	case len(rows) == 0:
		v.report.problem("%s: its event at position %d has no row (deleted behind Probity's back)", leaf, pos)
	default:
		for i, r := range rows {
			switch {
			case i > 0:
				v.report.problem("%s: claims position %d of %s, which event %s claims too", eventName{domain, r.ref}, pos, leaf, rows[0].ref)
			case r.digest != h.digest:
				v.report.problem("%s: does not match %s (changed behind Probity's back)", eventName{domain, r.ref}, leaf)
			case r.subject != h.subject:
				v.report.problem("%s: %s holds another subject's hint at position %d than the event's", eventName{domain, r.ref}, leaf, pos)
			}
		}
	}
}
