package bureau_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// TestIngestBatchLeaves: an upload's events are logged in batch leaves of
// at most 255 (DESIGN.md, "Batches"), a key already stored holding no
// event in its place; the log verifies, and the subject's report opens each
// of its entries through its batch leaf, offline, with who reported it.
func TestIngestBatchLeaves(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	line := func(i int) string {
		subject := alice
		if i%2 == 1 {
			subject = acme
		}
		return fmt.Sprintf(`{"key":"b%d","type":"loan_repaid","subject":"%s","occurred_at":"2025-01-10","fields":{"amount":%d}}`, i, subject, 100+i) + "\n"
	}
	var early, all strings.Builder
	for i := range 600 {
		if i < 10 {
			early.WriteString(line(i))
		}
		all.WriteString(line(i))
	}
	f.mustIngest(t, "acme.lending", early.String())
	before := f.logSize(t)
	if sum := f.mustIngest(t, "acme.lending", all.String()); sum.Accepted != 590 || sum.Duplicates != 10 {
		t.Fatalf("Accepted=%d Duplicates=%d, want 590 10", sum.Accepted, sum.Duplicates)
	}
	var sizes []int
	stored := 0
	err := f.db.View(context.Background(), func(tx probity.ReadTx) error {
		size, err := tx.LogSize("acme.lending")
		if err != nil {
			return err
		}
		return tx.Leaves("acme.lending", before, size, func(e *probity.AuditEntry) error {
			if e.Action != probity.ActionEventsAccepted || e.Invalid != "" {
				t.Fatalf("leaf %d: %s %s, want a valid batch leaf", e.Index, e.Action, e.Invalid)
			}
			sizes = append(sizes, len(e.Members))
			for _, m := range e.Members {
				if m.Commitment != ([32]byte{}) {
					stored++
				}
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sizes) != "[255 255 90]" || stored != 590 {
		t.Fatalf("batch leaves of %v members, %d of them events; want [255 255 90], 590 (the 10 duplicates commit to nothing)", sizes, stored)
	}
	if r, err := audit.Verify(context.Background(), f.db, f.signer.Verifier(), f.KeyDigests()); err != nil || !r.OK() {
		t.Fatalf("verify: %v %v", err, r.Problems)
	}
	r, err := f.Report(local(), acme)
	if err != nil {
		t.Fatal(err)
	}
	_, records, err := audit.CheckBundle(r.Log, f.signer.Verifier())
	if err != nil {
		t.Fatalf("the report's openings do not check: %v", err)
	}
	members := 0
	for i, rec := range records {
		if o := r.Log.Openings[i]; o.Batch != nil {
			members++
			if rec.Action != probity.ActionEventAccepted || rec.Actor == "" || !strings.HasPrefix(rec.Ref, "b") {
				t.Fatalf("opening %d: %+v, want an entry with who reported it", i, rec)
			}
		}
	}
	if members != 300 {
		t.Fatalf("the report opens %d entries through batch leaves, want the subject's 300", members)
	}
}

// logSize returns the size of acme.lending's log.
func (f *fixture) logSize(tb testing.TB) uint64 {
	tb.Helper()
	var n uint64
	err := f.db.View(context.Background(), func(tx probity.ReadTx) error {
		var err error
		n, err = tx.LogSize("acme.lending")
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}
