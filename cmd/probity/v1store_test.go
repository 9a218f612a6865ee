package main

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probity-dev/probity/sqlite"
	"github.com/probity-dev/probity/storetest"
	_ "modernc.org/sqlite"
)

// TestV1StoreRefused: a store whose log was written in format v1 (public
// leaves with actors, pseudonyms, keys and plain digests) is refused at
// start, saying what to run, rather than mixed with v2 leaves.
func TestV1StoreRefused(t *testing.T) {
	data := t.TempDir()
	mustRun(t, "domain", "apply", "--data", data, lendingSpec)
	driver, dsn := "sqlite", filepath.Join(data, sqlite.FileName)
	if storetest.Backend() == "postgres" {
		driver, dsn = "pgx", storetest.DirDSN(t, data)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	// The first leaf as a v1 store holds it.
	v1 := "probity-leaf/1\t0\t2026-01-02T03:04:05Z\tcli:alice\tkey.created\t\t\t\tmaster.key\t" + strings.Repeat("ab", 32)
	if _, err := db.Exec(`INSERT INTO audit_leaves (idx, domain, action, data, hash) VALUES (0, '', 'key.created', `+placeholder(driver, 1)+`, '')`, []byte(v1)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, args := range [][]string{{"domain", "apply", "--data", data, lendingSpec}, {"serve", "--data", data, "--addr", "127.0.0.1:0"}} {
		_, _, err := run(t, nil, "", args...)
		if err == nil || !strings.Contains(err.Error(), "format v1 (probity-leaf/1)") || !strings.Contains(err.Error(), "--data NEW_DIR") {
			t.Fatalf("%v on a v1 store: %v, want a refusal that names the format and what to run", args, err)
		}
	}
}

func placeholder(driver string, _ int) string {
	if driver == "pgx" {
		return "$1"
	}
	return "?"
}
