package storetest

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

// testBatchLeaves checks batch leaves (DESIGN.md, "Batches"): events
// stored with their place, a batch leaf that keeps its members and opens
// with its header, each event found again with its leaf, and an erasure
// that marks the subject's members erased and forgets their subject.
func testBatchLeaves(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	const batch = int64(1) << 40
	salt := func(b byte) []byte { return bytes.Repeat([]byte{b}, probity.SaltSize) }
	e1, e2, e3 := testEvent("k1", 1, t0.Add(-time.Hour)), testEvent("k2", 2, t0.Add(-time.Hour)), testEvent("k3", 1, t0.Add(-time.Hour))
	for i, e := range []*probity.Event{e1, e2, e3} {
		e.Slot = &probity.BatchSlot{Batch: batch, Position: i + 1, Salt: salt(byte(i + 1))}
	}
	members := []probity.BatchMember{{Commitment: [32]byte{1}, Subject: probity.HintOf(e1.Subject)}, {Commitment: [32]byte{2}, Subject: probity.HintOf(e2.Subject)},
		{Commitment: [32]byte{3}, Subject: probity.HintOf(e3.Subject)}}
	var leaf probity.AuditEntry
	update(t, s, func(tx probity.Tx) error {
		if _, err := tx.InsertEvents([]*probity.Event{e1, e2, e3}, [][]probity.Points{{{Version: 1, Raw: 1}}, {{Version: 1, Raw: 1}}, {{Version: 1, Raw: 1}}}); err != nil {
			return err
		}
		if _, err := appendLeaves(tx, []probity.AuditLeaf{{At: t0, Actor: "x", Action: probity.ActionSpecApplied, Domain: "a.test", Ref: "1"}}, hash); err != nil {
			return err
		}
		var err error
		leaf, err = tx.AppendBatch("a.test", probity.AuditLeaf{At: t0, Actor: "reporter", Domain: "a.test"}, batch, members, hash)
		return err
	})
	header := probity.AuditLeaf{Log: "a.test", Index: 1, At: t0.Truncate(time.Second), Action: probity.ActionEventsAccepted, Actor: "reporter", Domain: "a.test", Ref: strconv.FormatInt(batch, 10)}
	if leaf.Index != 1 || leaf.Commitment != probity.BatchCommitment(probity.Commitment(leaf.Salt, header.Record()), members) {
		t.Fatalf("AppendBatch = index %d, commitment %x; want 1, the root over the header's and the members' commitments", leaf.Index, leaf.Commitment)
	}
	view(t, s, func(tx probity.ReadTx) error {
		err := tx.Leaves("a.test", 1, 2, func(e *probity.AuditEntry) error {
			if e.Invalid != "" || e.Actor != "reporter" || e.Ref != header.Ref || !bytes.Equal(e.RecordData, header.Record()) || len(e.Members) != 3 || e.Members[1] != members[1] {
				t.Fatalf("the batch leaf reads back as %+v", e)
			}
			return nil
		})
		if err != nil {
			return err
		}
		var got []string
		err = tx.SubjectMembers("a.test", e1.Subject, func(e *probity.Event, l *probity.AuditEntry) error {
			if e.Slot == nil || l.Index != 1 || !bytes.Equal(e.Slot.Salt, salt(byte(e.Slot.Position))) {
				t.Fatalf("SubjectMembers: %s at %+v of leaf %d", e.Key, e.Slot, l.Index)
			}
			got = append(got, e.Key+"@"+strconv.Itoa(e.Slot.Position))
			return nil
		})
		if len(got) != 2 || got[0] != "k1@1" || got[1] != "k3@3" {
			t.Fatalf("SubjectMembers of subject 1 = %v, %v; want [k1@1 k3@3]", got, err)
		}
		for _, tt := range []struct {
			hint probity.SubjectHint
			want []probity.Pseudonym
		}{
			{probity.HintOf(e1.Subject), []probity.Pseudonym{e1.Subject}},
			{probity.HintOf(e2.Subject), []probity.Pseudonym{e2.Subject}},
			{probity.SubjectHint{1, 0, 0, 0, 0, 0, 0, 1}, nil},
			{probity.SubjectHint{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, nil},
		} {
			subjects, err := tx.SubjectsByHint("a.test", tt.hint)
			if err != nil || len(subjects) != len(tt.want) || (len(subjects) > 0 && subjects[0] != tt.want[0]) {
				t.Fatalf("SubjectsByHint(%x) = %x, %v; want %x", tt.hint, subjects, err, tt.want)
			}
		}
		return err
	})
	update(t, s, func(tx probity.Tx) error {
		refs, err := tx.ShredMembers("a.test", e1.Subject, 7)
		if err != nil || len(refs) != 2 || refs[0] != (probity.MemberRef{Index: 1, Position: 1}) || refs[1] != (probity.MemberRef{Index: 1, Position: 3}) {
			t.Fatalf("ShredMembers = %v, %v; want positions 1 and 3 of leaf 1", refs, err)
		}
		return err
	})
	view(t, s, func(tx probity.ReadTx) error {
		return tx.Leaves("a.test", 1, 2, func(e *probity.AuditEntry) error {
			if e.Invalid != "" || len(e.MemberErasures) != 2 || e.MemberErasures[1] != 7 || e.MemberErasures[3] != 7 ||
				e.Members[0].Subject != (probity.SubjectHint{}) || e.Members[1].Subject != members[1].Subject || e.Members[0].Commitment != members[0].Commitment {
				t.Fatalf("after ShredMembers the batch leaf reads %+v; want 1 and 3 erased by 7, their subjects gone, their commitments kept", e)
			}
			return nil
		})
	})
}
