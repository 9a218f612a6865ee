package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/probity-dev/probity/postgres"
	"github.com/probity-dev/probity/sqlite"
	"github.com/probity-dev/probity/sqlstore"
)

// The environment that picks the backend of the tests that open a store:
// BackendEnv=postgres runs them against a new database on the server that
// PostgresEnv names (a DSN whose user may create databases).
const (
	BackendEnv  = "PROBITY_TEST_BACKEND"
	PostgresEnv = "PROBITY_TEST_POSTGRES"
)

// Backend returns the backend the tests run against: "sqlite" (the
// default) or "postgres".
func Backend() string {
	if b := os.Getenv(BackendEnv); b != "" {
		return b
	}
	return "sqlite"
}

// DSNFile keeps, in a test installation's data directory, the DSN of the
// database created for it, so that opening the directory again opens the
// same database.
const DSNFile = "postgres.dsn"

// OpenDir opens the store of a test installation whose keys are in dir:
// SQLite in dir, or under the postgres backend a database of its own,
// created on the first open of dir and dropped when tb ends.
func OpenDir(tb testing.TB, ctx context.Context, dir string) (*sqlstore.DB, error) {
	tb.Helper()
	switch b := Backend(); b {
	case "sqlite":
		db, err := sqlite.Open(ctx, dir)
		if err != nil {
			return nil, err
		}
		return db.DB, nil
	case "postgres":
		dsn := DirDSN(tb, dir)
		db, err := postgres.Open(ctx, dsn, postgres.Options{MaxConns: 8})
		if err != nil {
			return nil, err
		}
		return db.DB, nil
	default:
		tb.Fatalf("%s=%q: want sqlite or postgres", BackendEnv, b)
		return nil, nil
	}
}

// DirDSN returns the DSN of the database of the test installation in dir,
// creating the database on first use (postgres backend only).
func DirDSN(tb testing.TB, dir string) string {
	tb.Helper()
	if buf, err := os.ReadFile(filepath.Join(dir, DSNFile)); err == nil {
		return string(buf)
	}
	dsn := NewPostgres(tb)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, DSNFile), []byte(dsn), 0o600); err != nil {
		tb.Fatal(err)
	}
	return dsn
}

// NewPostgres creates an empty database on the server PostgresEnv names
// and returns its DSN; the database is dropped when tb ends. Without
// PostgresEnv the test is skipped, except under CI, where it fails.
func NewPostgres(tb testing.TB) string {
	tb.Helper()
	return newPostgres(tb, "")
}

// ClonePostgres creates a database as a copy of the one dsn names (which
// no connection may be using) and returns its DSN; it is dropped when tb ends.
func ClonePostgres(tb testing.TB, dsn string) string {
	tb.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	return newPostgres(tb, strings.TrimPrefix(u.Path, "/"))
}

func newPostgres(tb testing.TB, template string) string {
	tb.Helper()
	server := os.Getenv(PostgresEnv)
	if server == "" {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s is not set: CI runs the PostgreSQL tests against a server (.ci/run sets it)", PostgresEnv)
		}
		tb.Skipf("%s is not set: no PostgreSQL server to test against", PostgresEnv)
	}
	admin, err := sql.Open("pgx", server)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	suffix := make([]byte, 6)
	rand.Read(suffix)
	name := "probity_test_" + hex.EncodeToString(suffix)
	create := `CREATE DATABASE ` + name
	if template != "" {
		create += ` TEMPLATE ` + template
	}
	if _, err := admin.Exec(create); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		admin, err := sql.Open("pgx", server)
		if err != nil {
			tb.Error(err)
			return
		}
		defer admin.Close()
		if _, err := admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil && !errors.Is(err, context.Canceled) {
			tb.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(server)
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
