package audit

import (
	"cmp"
	"slices"

	"github.com/probity-dev/probity"
)

// SubjectLeaves calls fn for every leaf about a subject in a domain's log
// whose opening is kept, in index order: the leaves of its own
// (probity.ReadTx.SubjectLeaves) and, for each of the subject's events a
// batch leaf logged, a member entry (see MemberEntry). Every row is read
// before fn is called.
func SubjectLeaves(tx probity.ReadTx, domain string, subject probity.Pseudonym, fn func(*probity.AuditEntry) error) error {
	var own, members []*probity.AuditEntry
	err := tx.SubjectLeaves(domain, subject, func(e *probity.AuditEntry) error {
		own = append(own, e)
		return nil
	})
	if err != nil {
		return err
	}
	err = tx.SubjectMembers(domain, subject, func(ev *probity.Event, leaf *probity.AuditEntry) error {
		m, err := MemberEntry(ev, leaf)
		if err != nil {
			return err
		}
		members = append(members, m)
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(members, func(a, b *probity.AuditEntry) int {
		return cmp.Or(cmp.Compare(a.Index, b.Index), cmp.Compare(a.Batch.Position, b.Batch.Position))
	})
	for len(own) > 0 || len(members) > 0 {
		var e *probity.AuditEntry
		if len(members) == 0 || len(own) > 0 && own[0].Index < members[0].Index {
			e, own = own[0], own[1:]
		} else {
			e, members = members[0], members[1:]
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// MemberEntry returns the entry of an event a batch leaf logged: the
// leaf's public fields, the event's record (action event.accepted, the
// batch's actor) and its opening, with its path in the leaf's tree and the
// header's. EINTERNAL if the event's commitment is not the one the leaf
// holds at its position.
func MemberEntry(ev *probity.Event, leaf *probity.AuditEntry) (*probity.AuditEntry, error) {
	s := ev.Slot
	if s == nil || s.Position < 1 || s.Position > len(leaf.Members) {
		return nil, probity.Errorf(probity.EINTERNAL, "event %s/%s: not at a position of batch leaf %d: run probity audit verify", ev.Domain, ev.Key, leaf.Index)
	}
	digest := EventDigest(ev)
	record := memberRecord(ev, digest, s)
	if probity.Commitment(s.Salt, record) != leaf.Members[s.Position-1].Commitment {
		return nil, probity.Errorf(probity.EINTERNAL, "event %s/%s: does not match its place in batch leaf %d: run probity audit verify", ev.Domain, ev.Key, leaf.Index)
	}
	header := probity.Commitment(leaf.Salt, leaf.RecordData)
	l := probity.AuditLeaf{Index: leaf.Index, Log: leaf.Log, At: leaf.At, Action: probity.ActionEventAccepted, Actor: leaf.Actor,
		Domain: ev.Domain, Subject: &ev.Subject, Ref: ev.Key, Digest: digest}
	return &probity.AuditEntry{AuditLeaf: l, Commitment: leaf.Commitment, Data: leaf.Data, Hash: leaf.Hash, Salt: s.Salt, RecordData: record,
		Batch: &probity.BatchPath{Position: s.Position, Size: len(leaf.Members) + 1, Path: probity.BatchMemberPath(header, leaf.Members, s.Position),
			HeaderSalt: leaf.Salt, Header: string(leaf.RecordData), HeaderPath: probity.BatchMemberPath(header, leaf.Members, 0)}}, nil
}
