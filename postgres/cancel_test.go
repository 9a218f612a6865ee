package postgres_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/postgres"
	"github.com/probity-dev/probity/storetest"
)

// TestCallerGaveUpIsNotUnavailable: a transaction whose caller gave up
// (its context ended while it waited for a log another server holds) fails
// as the caller's doing, not as "the database is unreachable": pgx reports
// the interrupted wait as a network timeout, which would otherwise read as
// a lost database.
func TestCallerGaveUpIsNotUnavailable(t *testing.T) {
	dsn := storetest.NewPostgres(t)
	db, err := postgres.Open(context.Background(), dsn, postgres.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lock := func(tx probity.Tx) error { return tx.LockLog("t.test", "test/t.test") }
	if err := db.Update(context.Background(), lock); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	held, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer held.Rollback()
	if _, err := held.Exec(`SELECT log FROM log_heads WHERE log = 't.test' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err = db.Update(short, lock)
	if err == nil || probity.ErrorCode(err) == probity.EUNAVAILABLE {
		t.Fatalf("Update whose caller gave up = %v, want the caller's failure, not %s", err, probity.EUNAVAILABLE)
	}
}
