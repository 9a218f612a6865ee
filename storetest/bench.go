package storetest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

// BenchInsertEvents measures a store alone: 50,000 rows already
// validated, pseudonymised and pointed, inserted in one transaction. It is
// the limit that ingest (BenchmarkIngest in bureau) is compared with.
func BenchInsertEvents(b *testing.B, open Open) {
	const n = 50000
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	events := make([]*probity.Event, n)
	points := make([][]probity.Points, n)
	for i := range events {
		events[i] = &probity.Event{Domain: "acme.lending", Key: fmt.Sprintf("L-%07d-%03d", i/20, i%20), Type: "loan_repaid",
			Subject: sha256.Sum256([]byte(fmt.Sprint(i / 20))), Kind: probity.KindPerson,
			OccurredAt: now.Add(-time.Duration(i) * time.Hour), RecordedAt: now, Fields: map[string]any{"amount": 1234.5}}
		points[i] = []probity.Points{{Version: 1, Raw: 10}}
	}
	for b.Loop() {
		b.StopTimer()
		db := open(b, time.Now)
		b.StartTimer()
		start := time.Now()
		err := db.Update(context.Background(), func(tx probity.Tx) error {
			_, err := tx.InsertEvents(events, points)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(n/time.Since(start).Seconds(), "rows/s")
	}
}
