package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/postgres"
	"github.com/probity-dev/probity/storetest"
)

func TestConformance(t *testing.T) { storetest.RunAll(t, openPostgres) }

func openPostgres(tb testing.TB, now func() time.Time) probity.Store {
	tb.Helper()
	db, err := postgres.Open(context.Background(), storetest.NewPostgres(tb), postgres.Options{MaxConns: 4})
	if err != nil {
		tb.Fatal(err)
	}
	db.Now = now
	tb.Cleanup(func() { db.Close() })
	return db
}
