package sqlstore_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/sqlstore"
	"github.com/probity-dev/probity/storetest"
)

// TestScoredEvents checks that the events a score reads are SubjectEvents'
// in the same order, with the same columns and points, but no fields.
func TestScoredEvents(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	event := func(key string, subject byte, occurred time.Duration, cures string) *probity.Event {
		return &probity.Event{Domain: "a.test", Key: key, Type: "paid", Subject: probity.Pseudonym{subject}, Kind: probity.KindOrganization,
			OccurredAt: t0.Add(-occurred), RecordedAt: t0, Fields: map[string]any{"amount": 12.5}, Cures: cures}
	}
	events := []*probity.Event{event("b", 1, time.Hour, ""), event("a", 1, time.Hour, "c"), event("c", 1, 2*time.Hour, ""), event("z", 2, 0, "")}
	err := db.Update(ctx, func(tx probity.Tx) error {
		for i, e := range events {
			if _, err := tx.InsertEvents([]*probity.Event{e}, [][]probity.Points{{{Version: 1, Raw: float64(i)}, {Version: 2, Raw: float64(-i)}}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		version    int
		recordedBy time.Time
		want       int
	}{
		{"OK", 1, t0, 3},
		{"LaterVersion", 2, t0, 3},
		{"RecordedLater", 1, t0.Add(-time.Nanosecond), 0},
	}
	err = db.View(ctx, func(tx probity.ReadTx) error {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				want, err := tx.SubjectEvents("a.test", probity.Pseudonym{1}, tt.version, tt.recordedBy)
				if err != nil {
					t.Fatal(err)
				}
				got, err := tx.(*sqlstore.Tx).ScoredEvents("a.test", probity.Pseudonym{1}, tt.version, tt.recordedBy)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != tt.want || len(want) != tt.want {
					t.Fatalf("ScoredEvents = %d events, SubjectEvents %d; want %d", len(got), len(want), tt.want)
				}
				for i := range want {
					if got[i].Fields != nil {
						t.Fatalf("ScoredEvents[%d].Fields = %v, want nil", i, got[i].Fields)
					}
					want[i].Fields = nil
					if !reflect.DeepEqual(got[i], want[i]) {
						t.Fatalf("ScoredEvents[%d] = %+v, want SubjectEvents' without fields %+v", i, got[i], want[i])
					}
				}
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx probity.ReadTx) error {
		_, err := tx.(*sqlstore.Tx).ScoredEvents("a.test", probity.Pseudonym{1}, 3, t0)
		return err
	})
	if probity.ErrorCode(err) != probity.EINTERNAL {
		t.Fatalf("ScoredEvents(version without points) = %v, want EINTERNAL", err)
	}
}

// openStore opens a store of the tested backend in a new directory, closed
// when the test ends.
func openStore(tb testing.TB) *sqlstore.DB {
	tb.Helper()
	db, err := storetest.OpenDir(tb, context.Background(), tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
