package bureau_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// TestCheckpointsThinned checks that a domain log keeps one checkpoint a
// second besides those the installation log records, not one a commit, and
// that the store still verifies: the latest checkpoint covers every leaf,
// and a recorded checkpoint is never thinned.
func TestCheckpointsThinned(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	f.mustIngest(t, "acme.lending", `{"key":"L-1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-05-01","fields":{"amount":500}}`+"\n")
	state := func() (sizes []uint64, leaves uint64) {
		t.Helper()
		err := f.db.View(context.Background(), func(tx probity.ReadTx) error {
			var err error
			if leaves, err = tx.LogSize("acme.lending"); err != nil {
				return err
			}
			return tx.Checkpoints("acme.lending", func(c *probity.Checkpoint) error { sizes = append(sizes, c.Size); return nil })
		})
		if err != nil {
			t.Fatal(err)
		}
		return sizes, leaves
	}
	read := func(n int) {
		for range n {
			f.score(t, "acme.lending", alice, time.Time{})
		}
	}
	// the store's clock stands still: every commit is of the same second
	read(5)
	sizes, leaves := state()
	if !slices.Equal(sizes, []uint64{leaves}) {
		t.Fatalf("checkpoints of %d leaves after 7 commits in one second: %v; want the latest only", leaves, sizes)
	}
	if _, err := f.SealLogs(local()); err != nil {
		t.Fatal(err)
	}
	recorded := leaves
	read(3)
	sizes, leaves = state()
	if !slices.Equal(sizes, []uint64{recorded, leaves}) {
		t.Fatalf("checkpoints after a seal at %d and 3 more reads: %v; want the recorded one and the latest (%d)", recorded, sizes, leaves)
	}
	last := leaves
	f.clock.t = t0.Add(time.Second)
	defer func() { f.clock.t = t0 }()
	read(2)
	sizes, leaves = state()
	if !slices.Equal(sizes, []uint64{recorded, last, leaves}) {
		t.Fatalf("checkpoints a second later: %v; want %d (recorded), %d (the last of its second) and %d", sizes, recorded, last, leaves)
	}
	if r, err := audit.Verify(context.Background(), f.db, f.signer.Verifier(), f.KeyDigests()); err != nil || !r.OK() {
		t.Fatalf("audit.Verify = %+v, %v", r, err)
	}
}
