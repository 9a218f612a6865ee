package bureau_test

import (
	"context"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/bureau"
)

// installationLeaves returns the installation log's leaves from start.
func (f *fixture) installationLeaves(tb testing.TB, start uint64) []probity.AuditEntry {
	tb.Helper()
	var out []probity.AuditEntry
	err := f.db.View(local(), func(tx probity.ReadTx) error {
		return tx.LogLeaves(probity.InstallationLog, start, 100000, func(e *probity.AuditEntry) error {
			out = append(out, *e)
			return nil
		})
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// installationSize returns the installation log's size.
func (f *fixture) installationSize(tb testing.TB) uint64 {
	tb.Helper()
	var n uint64
	if err := f.db.View(local(), func(tx probity.ReadTx) (err error) {
		n, err = tx.LogSize(probity.InstallationLog)
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	return n
}

// refusalsIn sums what the access.denied leaves of source account for:
// one for a leaf of its own, N for a leaf counting N refusals.
func refusalsIn(tb testing.TB, leaves []probity.AuditEntry, source string) (refusals, n int) {
	tb.Helper()
	for _, l := range leaves {
		if l.Action != probity.ActionAccessDenied || l.Actor != source {
			continue
		}
		n++
		if c, ok := bureau.RefusalCount(l.Ref); ok {
			refusals += c
		} else {
			refusals++
		}
	}
	return refusals, n
}

// TestRefusalFlood checks that 10,000 refused tokens from one address cost
// a few leaves, not 10,000, and that every refusal is still counted in the
// log: the first as a leaf of its own before the caller is answered, the
// rest as one leaf with their count when the minute ends.
func TestRefusalFlood(t *testing.T) {
	f := newFixture(t)
	const source, flood = "anonymous@203.0.113.9", 10000
	ctx := probity.NewContextWithActor(context.Background(), probity.Actor{ID: source})
	start := f.installationSize(t)
	for i := range flood {
		token := "prb_not-a-token"
		if i%2 == 1 {
			token = "prb_0123456789abcdef_" + "0123456789abcdef0123456789abcdef"
		}
		if _, err := f.Authenticate(ctx, token); probity.ErrorCode(err) != probity.EUNAUTHORIZED {
			t.Fatalf("Authenticate(bad token) = %v, want EUNAUTHORIZED", err)
		}
	}
	// at most one window boundary passes during the flood: two leaves of
	// their own at most before the counts are written
	if got, _ := refusalsIn(t, f.installationLeaves(t, start), source); got < 1 || got > 2 {
		t.Fatalf("before the counts are written, the log holds %d refusals of %s; want the first (one per minute)", got, source)
	}
	if _, err := f.FlushRefusals(local(), true); err != nil {
		t.Fatal(err)
	}
	leaves := f.installationLeaves(t, start)
	got, n := refusalsIn(t, leaves, source)
	if got != flood {
		t.Fatalf("the log accounts for %d refusals of %s, want %d", got, source, flood)
	}
	if n > 4 || uint64(len(leaves)) > 4 {
		t.Fatalf("%d refusals took %d leaves (%d of %s); want at most 2 a minute", flood, len(leaves), n, source)
	}
	// nothing is left to write
	if n, err := f.FlushRefusals(local(), true); err != nil || n != 0 {
		t.Fatalf("FlushRefusals again = %d, %v; want 0", n, err)
	}
}

// TestRefusalSources checks that refusals are counted per source: one
// source's flood does not hide another's first refusal, and a refusal in a
// domain by an authenticated principal is a leaf naming what was refused.
func TestRefusalSources(t *testing.T) {
	f := newFixture(t)
	start := f.installationSize(t)
	a := probity.NewContextWithActor(context.Background(), probity.Actor{ID: "anonymous@198.51.100.1"})
	b := probity.NewContextWithActor(context.Background(), probity.Actor{ID: "anonymous@198.51.100.2"})
	for range 50 {
		f.Authenticate(a, "prb_bad")
	}
	f.Authenticate(b, "prb_bad")
	leaves := f.installationLeaves(t, start)
	if got, _ := refusalsIn(t, leaves, "anonymous@198.51.100.2"); got != 1 {
		t.Fatalf("the second source's refusal is in %d leaves, want 1 of its own at once", got)
	}
	if l := leaves[len(leaves)-1]; l.Ref != "authenticate" || l.Action != probity.ActionAccessDenied {
		t.Fatalf("last leaf %+v, want access.denied of authenticate", l.AuditLeaf)
	}
	if _, err := f.FlushRefusals(local(), true); err != nil {
		t.Fatal(err)
	}
	if got, _ := refusalsIn(t, f.installationLeaves(t, start), "anonymous@198.51.100.1"); got != 50 {
		t.Fatalf("the first source's refusals: %d in the log, want 50", got)
	}
}

// TestRefusalCount checks the reference of a counting leaf.
func TestRefusalCount(t *testing.T) {
	for _, tt := range []struct {
		ref  string
		n    int
		want bool
	}{
		{"refusals:9999", 9999, true},
		{"refusals:0", 0, false},
		{"refusals:x", 0, false},
		{"authenticate", 0, false},
	} {
		if n, ok := bureau.RefusalCount(tt.ref); n != tt.n || ok != tt.want {
			t.Errorf("RefusalCount(%q) = %d, %v; want %d, %v", tt.ref, n, ok, tt.n, tt.want)
		}
	}
}
