package storetest

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

func leafIndex(l probity.AuditLeaf) string { return strconv.FormatUint(l.Index, 10) }

// testInquiries checks that Inquiries returns the reads of one subject's
// record in one domain, and nothing else, oldest first.
func testInquiries(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	view(t, s, func(tx probity.ReadTx) error {
		if got, err := tx.Inquiries("a.test", p1); err != nil || len(got) != 0 {
			t.Fatalf("Inquiries of a new store = %v, %v; want empty, nil", got, err)
		}
		return nil
	})
	leaf := func(action, domain string, p *probity.Pseudonym, minutes int) probity.AuditLeaf {
		return probity.AuditLeaf{At: t0.Add(time.Duration(minutes) * time.Minute), Actor: "reader " + action, Action: action,
			Domain: domain, Subject: p, Purpose: "lending", Ref: "r", Digest: "dg"}
	}
	mine, theirs := p1, p2
	leaves := []probity.AuditLeaf{
		0:  leaf(probity.ActionScoreRead, "a.test", &mine, 0),
		1:  leaf(probity.ActionEventAccepted, "a.test", &mine, 1),
		2:  leaf(probity.ActionScoreRead, "a.test", &theirs, 2),
		3:  leaf(probity.ActionDecisionRead, "a.test", &theirs, 3),
		4:  leaf(probity.ActionDecisionRead, "a.test", &mine, 4),
		5:  leaf(probity.ActionDisputeFiled, "a.test", &mine, 5),
		6:  leaf(probity.ActionReportRead, "a.test", &mine, 6),
		7:  leaf(probity.ActionRestrictionCheck, "a.test", &mine, 7),
		8:  leaf(probity.ActionTermRecorded, "a.test", nil, 8),
		9:  leaf(probity.ActionOptOut, "a.test", &mine, 9),
		10: leaf(probity.ActionConsentGranted, "a.test", &mine, 10),
		11: leaf(probity.ActionSubjectErased, "a.test", &mine, 11),
		12: leaf(probity.ActionScoreRead, "a.test", &mine, 12),
	}
	update(t, s, func(tx probity.Tx) error {
		// Two appends, so that the reads span them.
		if _, err := appendLeaves(tx, leaves[:7], hash); err != nil {
			return err
		}
		if _, err := appendLeaves(tx, leaves[7:], hash); err != nil {
			return err
		}
		// A read of the subject in another domain, in that domain's log.
		_, err := appendLeaves(tx, []probity.AuditLeaf{leaf(probity.ActionDecisionRead, "b.test", &mine, 13)}, hash)
		return err
	})
	view(t, s, func(tx probity.ReadTx) error {
		got, err := tx.Inquiries("a.test", p1)
		if err != nil {
			t.Fatal(err)
		}
		// Restriction checks are inquiries too: the subject is told of each.
		if got, want := joined(got, leafIndex), "0,4,6,7,12"; got != want {
			t.Fatalf("Inquiries = leaves %s, want %s (reads of the subject's record in the domain, oldest first)", got, want)
		}
		for _, l := range got {
			want := leaves[l.Index]
			if l.Action != want.Action || l.Actor != want.Actor || l.Purpose != want.Purpose || !l.At.Equal(want.At.Truncate(time.Second)) || l.Subject == nil || *l.Subject != p1 || l.Domain != "a.test" {
				t.Fatalf("Inquiry %d = %+v, want %+v", l.Index, l, want)
			}
		}
		if got, err := tx.Inquiries("a.test", p3); err != nil || len(got) != 0 {
			t.Fatalf("Inquiries(never read) = %v, %v; want empty, nil", got, err)
		}
		if got, err := tx.Inquiries("b.test", p1); err != nil || joined(got, leafIndex) != "0" || got[0].Log != "b.test" {
			t.Fatalf("Inquiries(b.test) = %v, %v; want leaf 0 of log b.test", got, err)
		}
		return nil
	})
}

// testLeaves checks LeafRows and FirstLeaf, the bounds of Leaves, that
// Leaves returns hashes unchecked, and that a row that is not a valid leaf
// comes with Invalid set rather than an error.
func testLeaves(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	view(t, s, func(tx probity.ReadTx) error {
		if n, _, _, err := tx.LeafRows("a.test"); err != nil || n != 0 {
			t.Fatalf("LeafRows of a new store = %d, %v; want 0", n, err)
		}
		if first, ok, err := tx.FirstLeaf("a.test"); err != nil || ok {
			t.Fatalf("FirstLeaf of a new store = %d, %t, %v; want none", first, ok, err)
		}
		return nil
	})
	bogus := bytes.Repeat([]byte{0xab}, 32)
	var stored []probity.AuditEntry
	update(t, s, func(tx probity.Tx) error {
		p := p1
		leaves := make([]probity.AuditLeaf, 5)
		for i := range leaves {
			leaves[i] = probity.AuditLeaf{At: t0, Actor: "a%b\nc", Action: probity.ActionScoreRead, Domain: "a.test", Subject: &p, Ref: strconv.Itoa(i)}
		}
		leaves[4] = leaves[3] // the same record twice: unrelated commitments
		leaves[4].Ref = "3"
		var err error
		stored, err = appendLeaves(tx, leaves, func([]byte) []byte { return bogus })
		return err
	})
	view(t, s, func(tx probity.ReadTx) error {
		n, first, last, err := tx.LeafRows("a.test")
		if err != nil || n != 5 || first != 0 || last != 4 {
			t.Fatalf("LeafRows = %d, %d, %d, %v; want 5 rows, 0 to 4", n, first, last, err)
		}
		if first, ok, err := tx.FirstLeaf("a.test"); err != nil || !ok || first != 0 {
			t.Fatalf("FirstLeaf = %d, %t, %v; want 0", first, ok, err)
		}
		if size, err := tx.LogSize("a.test"); err != nil || size != 5 {
			t.Fatalf("LogSize = %d, %v; want 5", size, err)
		}
		for _, tc := range []struct {
			start, end uint64
			want       string
		}{{1, 3, "1,2"}, {0, 5, "0,1,2,3,4"}, {4, 100, "4"}, {5, 10, ""}, {3, 3, ""}, {4, 2, ""}} {
			var got []probity.AuditLeaf
			if err := tx.Leaves("a.test", tc.start, tc.end, func(e *probity.AuditEntry) error { got = append(got, e.AuditLeaf); return nil }); err != nil {
				t.Fatalf("Leaves(%d, %d) = %v", tc.start, tc.end, err)
			}
			if got := joined(got, leafIndex); got != tc.want {
				t.Errorf("Leaves(%d, %d) = %q, want %q", tc.start, tc.end, got, tc.want)
			}
		}
		return tx.Leaves("a.test", 0, 5, func(e *probity.AuditEntry) error {
			if !bytes.Equal(e.Hash, bogus) || e.Data != stored[e.Index].Data {
				t.Fatalf("leaf %d = data %q hash %x; want them as stored, unchecked", e.Index, e.Data, e.Hash)
			}
			if e.Index == 4 {
				if e.Commitment == stored[3].Commitment || bytes.Equal(e.Salt, stored[3].Salt) || e.Ref != "3" {
					t.Fatalf("leaves 3 and 4, the same record, share commitment %x or salt %x; want unrelated ones", e.Commitment, e.Salt)
				}
				return nil
			}
			if e.Invalid != "" || e.Actor != "a%b\nc" || e.Ref != strconv.FormatUint(e.Index, 10) || !e.At.Equal(t0.Truncate(time.Second)) {
				t.Fatalf("leaf %d = %+v; want a valid leaf as appended", e.Index, e)
			}
			return nil
		})
	})
}

// testCheckpointRoundTrip checks that a checkpoint reads back byte for byte.
func testCheckpointRoundTrip(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	want := &probity.Checkpoint{Log: "a.test", Size: 7, Root: hash([]byte("r")), At: t0.Add(time.Nanosecond), Note: "origin\n7\nroot\n\n— sig\n",
		Range: [][]byte{hash([]byte("x")), hash([]byte("y")), hash([]byte("z"))}}
	update(t, s, func(tx probity.Tx) error {
		if err := tx.InsertCheckpoint(want); err != nil {
			return err
		}
		other := *want
		other.Root = hash([]byte("other"))
		wantCode(t, "InsertCheckpoint(size taken, other root)", tx.InsertCheckpoint(&other), probity.ECONFLICT)
		return nil
	})
	view(t, s, func(tx probity.ReadTx) error {
		got, err := tx.LatestCheckpoint("a.test")
		if err != nil {
			t.Fatal(err)
		}
		if got.Size != want.Size || !bytes.Equal(got.Root, want.Root) || !got.At.Equal(want.At) || got.Note != want.Note || len(got.Range) != len(want.Range) {
			t.Fatalf("LatestCheckpoint = %+v, want %+v", got, want)
		}
		for i := range want.Range {
			if !bytes.Equal(got.Range[i], want.Range[i]) {
				t.Fatalf("Range[%d] = %x, want %x", i, got.Range[i], want.Range[i])
			}
		}
		return nil
	})
	// a later checkpoint: the earlier one's range is dropped, the rest stays
	later := &probity.Checkpoint{Log: "a.test", Size: 8, Root: hash([]byte("r8")), At: t0, Note: "origin\n8\nroot\n\n— sig\n", Range: [][]byte{hash([]byte("w"))}}
	update(t, s, func(tx probity.Tx) error {
		if err := tx.InsertCheckpoint(later); err != nil {
			return err
		}
		if err := tx.DropCheckpointRange("a.test", 99); err != nil { // none: nothing to do
			return err
		}
		return tx.DropCheckpointRange("a.test", want.Size)
	})
	view(t, s, func(tx probity.ReadTx) error {
		got, err := tx.CheckpointAt("a.test", want.Size)
		if err != nil || got.Note != want.Note || !bytes.Equal(got.Root, want.Root) || len(got.Range) != 0 {
			t.Fatalf("CheckpointAt(%d) after DropCheckpointRange = %+v, %v; want it whole but for an empty range", want.Size, got, err)
		}
		if got, err := tx.LatestCheckpoint("a.test"); err != nil || got.Size != later.Size || len(got.Range) != 1 {
			t.Fatalf("LatestCheckpoint = %+v, %v; want size 8 with its range", got, err)
		}
		return nil
	})
	// the earlier one superseded: deleted, the later one stays
	update(t, s, func(tx probity.Tx) error {
		if err := tx.DeleteCheckpoint("a.test", 99); err != nil { // none: nothing to do
			return err
		}
		return tx.DeleteCheckpoint("a.test", want.Size)
	})
	view(t, s, func(tx probity.ReadTx) error {
		_, err := tx.CheckpointAt("a.test", want.Size)
		wantCode(t, "CheckpointAt(deleted)", err, probity.ENOTFOUND)
		if got, err := tx.LatestCheckpoint("a.test"); err != nil || got.Size != later.Size {
			t.Fatalf("LatestCheckpoint after DeleteCheckpoint = %+v, %v; want size 8", got, err)
		}
		return nil
	})
}
