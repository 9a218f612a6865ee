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

// testAddPoints points many events under a new version at once, in
// batches below and above a backend's bulk threshold; an event that does
// not exist is ENOTFOUND.
func testAddPoints(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	const n = 300
	var all []probity.EventPoints
	update(t, s, func(tx probity.Tx) error {
		events := make([]*probity.Event, n)
		points := make([][]probity.Points, n)
		for i := range events {
			events[i] = &probity.Event{Domain: "bulk.test", Key: fmt.Sprintf("k-%04d", i), Type: "paid",
				Subject: sha256.Sum256([]byte(fmt.Sprint(i % 11))), Kind: probity.KindPerson,
				OccurredAt: t0.Add(-time.Hour), RecordedAt: t0, Fields: map[string]any{}}
			points[i] = []probity.Points{{Version: 1, Raw: 1}}
			all = append(all, probity.EventPoints{Subject: events[i].Subject, Key: events[i].Key, Raw: float64(i) / 4})
		}
		if _, err := tx.InsertEvents(events, points); err != nil {
			return err
		}
		if err := tx.AddPoints("bulk.test", 2, all[:5]); err != nil { // a few
			return err
		}
		return tx.AddPoints("bulk.test", 2, all[5:]) // many
	})
	view(t, s, func(tx probity.ReadTx) error {
		for i, p := range all {
			evs, err := tx.SubjectEvents("bulk.test", p.Subject, 2, t0)
			if err != nil {
				return err
			}
			for _, e := range evs {
				if e.Key != p.Key {
					continue
				}
				if v1, ok := e.RawUnder(1); e.Raw != float64(i)/4 || !ok || v1 != 1 {
					t.Fatalf("%s: points %v, want version 1: 1 and version 2: %v", p.Key, e.Points, float64(i)/4)
				}
			}
		}
		return nil
	})
	for _, batch := range [][]probity.EventPoints{
		{{Subject: all[0].Subject, Key: "missing", Raw: 1}},
		append([]probity.EventPoints{{Subject: all[1].Subject, Key: all[0].Key, Raw: 1}}, all[2:200]...), // k-0000 is not this subject's
	} {
		err := s.Update(t.Context(), func(tx probity.Tx) error { return tx.AddPoints("bulk.test", 3, batch) })
		wantCode(t, fmt.Sprintf("AddPoints(%d events, one missing)", len(batch)), err, probity.ENOTFOUND)
	}
	err := s.Update(t.Context(), func(tx probity.Tx) error { return tx.AddPoints("other.test", 3, all[:100]) })
	wantCode(t, "AddPoints(another domain)", err, probity.ENOTFOUND)
}
