package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/sqlite"
	"github.com/probity-dev/probity/storetest"
)

func TestConformance(t *testing.T) { storetest.RunAll(t, openSQLite) }

func openSQLite(tb testing.TB, now func() time.Time) probity.Store {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	db.Now = now
	tb.Cleanup(func() { db.Close() })
	return db
}

// TestWALIsCheckpointed: commits never checkpoint (that would stall the
// reads waiting for their leaves), so the background checkpoints must copy
// the WAL into the database file, or the WAL would grow with every write.
func TestWALIsCheckpointed(t *testing.T) {
	dir := t.TempDir()
	db, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	size := func() int64 {
		info, err := os.Stat(filepath.Join(dir, sqlite.FileName))
		if err != nil {
			t.Fatal(err)
		}
		return info.Size()
	}
	time.Sleep(2 * sqlite.CheckpointEvery) // the migrations' pages
	before := size()
	err = db.Update(context.Background(), func(tx probity.Tx) error {
		events := make([]*probity.Event, 5000)
		points := make([][]probity.Points, len(events))
		for i := range events {
			events[i] = &probity.Event{Domain: "wal.test", Key: fmt.Sprintf("k-%05d", i), Type: "paid",
				Subject: probity.Pseudonym{byte(i), byte(i >> 8)}, Kind: probity.KindPerson, Fields: map[string]any{"note": strings.Repeat("x", 200)}}
			points[i] = []probity.Points{{Version: 1, Raw: 1}}
		}
		_, err := tx.InsertEvents(events, points)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if committed := size(); committed > before+64<<10 {
		t.Fatalf("the database file grew from %d to %d bytes at commit: the commit checkpointed", before, committed)
	}
	deadline := time.Now().Add(20 * sqlite.CheckpointEvery)
	for size() < before+1<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("the database file is still %d bytes after %s: the WAL is never checkpointed", size(), 20*sqlite.CheckpointEvery)
		}
		time.Sleep(sqlite.CheckpointEvery / 5)
	}
}
