package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/sqlite"
)

// TestWALIsBounded: under a steady stream of writes and of reads that
// overlap (each read's snapshot pins the WAL), PASSIVE checkpoints never
// let the WAL start over and it grows with every write; past MaxWAL the
// checkpointer must empty it.
func TestWALIsBounded(t *testing.T) {
	const maxWAL = 1 << 20
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.OpenWith(ctx, dir, sqlite.Options{MaxWAL: maxWAL})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	walSize := func() int64 {
		info, err := os.Stat(filepath.Join(dir, sqlite.FileName+"-wal"))
		if err != nil {
			t.Fatal(err)
		}
		return info.Size()
	}

	// Two readers, each holding its snapshot a while, staggered so that one
	// is always reading.
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for r := range 2 {
		readers.Go(func() {
			time.Sleep(time.Duration(r) * 10 * time.Millisecond)
			for {
				select {
				case <-stop:
					return
				default:
				}
				db.View(ctx, func(tx probity.ReadTx) error {
					if _, err := tx.DomainIDs(); err != nil {
						return err
					}
					time.Sleep(20 * time.Millisecond)
					return nil
				})
			}
		})
	}
	defer func() {
		close(stop)
		readers.Wait()
	}()

	var peak int64
	for batch := range 24 {
		err := db.Update(ctx, func(tx probity.Tx) error {
			events := make([]*probity.Event, 500)
			points := make([][]probity.Points, len(events))
			for i := range events {
				n := batch*len(events) + i
				events[i] = &probity.Event{Domain: "wal.test", Key: fmt.Sprintf("k-%06d", n), Type: "paid",
					Subject: probity.Pseudonym{byte(n), byte(n >> 8), byte(n >> 16)}, Kind: probity.KindPerson,
					Fields: map[string]any{"note": strings.Repeat("x", 400)}}
				points[i] = []probity.Points{{Version: 1, Raw: 1}}
			}
			_, err := tx.InsertEvents(events, points)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		peak = max(peak, walSize())
	}
	if peak <= maxWAL {
		t.Fatalf("the WAL peaked at %d bytes, within the bound of %d: the test wrote too little to tell", peak, maxWAL)
	}
	deadline := time.Now().Add(100 * sqlite.CheckpointEvery)
	for walSize() > maxWAL {
		if time.Now().After(deadline) {
			t.Fatalf("the WAL is still %d bytes (peak %d), over the bound of %d, after %s of checkpoints under readers", walSize(), peak, maxWAL, 100*sqlite.CheckpointEvery)
		}
		time.Sleep(sqlite.CheckpointEvery / 5)
	}
	if err := db.View(ctx, func(tx probity.ReadTx) error {
		e, err := tx.EventByKey("wal.test", "k-011999")
		if err == nil && e.Key != "k-011999" {
			err = fmt.Errorf("EventByKey returned %s", e.Key)
		}
		return err
	}); err != nil {
		t.Fatalf("the last event after the WAL was emptied: %v", err)
	}
}
