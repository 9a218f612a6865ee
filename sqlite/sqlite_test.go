package sqlite_test

import (
	"context"
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
