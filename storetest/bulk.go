package storetest

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

// testBulkInsert stores batches large enough for a backend's bulk path
// (PostgreSQL's COPY) with keys the domain holds already among them, twice
// in one transaction: each event is reported stored exactly when it is new,
// and reads back whole.
func testBulkInsert(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	const n = 500
	batch := func(from int) ([]*probity.Event, [][]probity.Points) {
		events := make([]*probity.Event, n)
		points := make([][]probity.Points, n)
		for i := range events {
			k := from + i
			events[i] = &probity.Event{Domain: "bulk.test", Key: fmt.Sprintf("k-%05d", k), Type: "paid",
				Subject: sha256.Sum256([]byte(fmt.Sprint(k % 37))), Kind: probity.KindPerson,
				OccurredAt: t0.Add(-time.Duration(k) * time.Hour), RecordedAt: t0,
				Fields: map[string]any{"amount": float64(k) + 0.25}, Cures: fmt.Sprint(k % 2)}
			points[i] = []probity.Points{{Version: 1, Raw: float64(k)}, {Version: 2, Raw: -float64(k)}}
		}
		return events, points
	}
	update(t, s, func(tx probity.Tx) error {
		first, err := tx.InsertEvents(batch(0))
		if err != nil {
			return err
		}
		second, err := tx.InsertEvents(batch(n / 2)) // its first half is the first batch's second half
		if err != nil {
			return err
		}
		for i := range n {
			if !first[i] {
				t.Fatalf("first batch: event %d reported not stored", i)
			}
			if got, want := second[i], i >= n/2; got != want {
				t.Fatalf("second batch: event %d (key k-%05d) stored=%v, want %v", i, n/2+i, got, want)
			}
		}
		return nil
	})
	view(t, s, func(tx probity.ReadTx) error {
		count := 0
		err := tx.ScanEvents("bulk.test", func(e *probity.Event) error {
			count++
			return nil
		})
		if err != nil {
			return err
		}
		if got, want := count, n+n/2; got != want {
			t.Fatalf("%d events stored, want %d", got, want)
		}
		e, err := tx.EventByKey("bulk.test", "k-00421")
		if err != nil {
			return err
		}
		if e.Type != "paid" || e.Cures != "1" || fmt.Sprint(e.Fields["amount"]) != "421.25" || !e.OccurredAt.Equal(t0.Add(-421*time.Hour)) || e.Subject != sha256.Sum256([]byte(fmt.Sprint(421%37))) {
			t.Fatalf("k-00421 read back as %+v", e)
		}
		events, err := tx.SubjectEvents("bulk.test", e.Subject, 2, t0)
		if err != nil {
			return err
		}
		for _, pe := range events {
			if pe.Key == "k-00421" && pe.Raw != -421 {
				t.Fatalf("k-00421 points under version 2: %v, want -421", pe.Raw)
			}
		}
		return nil
	})
	// A rolled-back bulk insert leaves nothing behind, not even in a
	// backend's staging table for the next transaction.
	s.Update(t.Context(), func(tx probity.Tx) error {
		if _, err := tx.InsertEvents(batch(2 * n)); err != nil {
			return err
		}
		return fmt.Errorf("roll back")
	})
	update(t, s, func(tx probity.Tx) error {
		stored, err := tx.InsertEvents(batch(2*n + n/2))
		for i, ok := range stored {
			if !ok {
				t.Fatalf("after a rollback: event k-%05d reported not stored", 2*n+n/2+i)
			}
		}
		return err
	})
	view(t, s, func(tx probity.ReadTx) error {
		if _, err := tx.EventByKey("bulk.test", fmt.Sprintf("k-%05d", 2*n)); probity.ErrorCode(err) != probity.ENOTFOUND {
			t.Fatalf("an event of the rolled-back batch: %v, want ENOTFOUND", err)
		}
		return nil
	})
}
