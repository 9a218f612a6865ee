package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

// TestCopyKeyTakenBeside: while one upload stores a chunk through COPY,
// another holds one of its keys, committed only after; the chunk is stored
// but for that key, reported taken, and nothing fails (INSERT ... ON
// CONFLICT DO NOTHING waits for the other and skips the key).
func TestCopyKeyTakenBeside(t *testing.T) {
	s := openPostgres(t, time.Now)
	ctx := context.Background()
	const taken = 63
	events := func(from, n int) ([]*probity.Event, [][]probity.Points) {
		events := make([]*probity.Event, n)
		points := make([][]probity.Points, n)
		for i := range events {
			k := from + i
			events[i] = &probity.Event{Domain: "race.test", Key: fmt.Sprintf("k-%03d", k), Type: "paid", Subject: probity.Pseudonym{byte(k)},
				Kind: probity.KindPerson, OccurredAt: time.Unix(1e9, 0), RecordedAt: time.Unix(1e9, 0), Fields: map[string]any{"amount": 1.5}}
			points[i] = []probity.Points{{Version: 1, Raw: 1}}
		}
		return events, points
	}
	stored, release := make(chan struct{}), make(chan struct{})
	errA := make(chan error, 1)
	go func() {
		errA <- s.Update(ctx, func(tx probity.Tx) error {
			if _, err := tx.InsertEvents(events(taken, 1)); err != nil {
				return err
			}
			close(stored)
			<-release // committed only once the other upload copies
			return nil
		})
	}()
	<-stored
	var got []bool
	errB := make(chan error, 1)
	go func() {
		errB <- s.Update(ctx, func(tx probity.Tx) error {
			var err error
			got, err = tx.InsertEvents(events(0, 100))
			return err
		})
	}()
	time.Sleep(300 * time.Millisecond) // the insert waits on the key the first holds
	close(release)
	if err := <-errA; err != nil {
		t.Fatal(err)
	}
	if err := <-errB; err != nil {
		t.Fatalf("the upload that met a key taken beside it failed: %v", err)
	}
	for i, ok := range got {
		if want := i != taken; ok != want {
			t.Fatalf("event k-%03d stored=%v, want %v", i, ok, want)
		}
	}
	n := 0
	err := s.View(ctx, func(tx probity.ReadTx) error {
		return tx.ScanEvents("race.test", func(*probity.Event) error { n++; return nil })
	})
	if err != nil || n != 100 {
		t.Fatalf("%d events stored (%v), want 100", n, err)
	}
}
