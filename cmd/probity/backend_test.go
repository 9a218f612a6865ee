package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/probity-dev/probity/storetest"
)

// testGetenv returns the environment a test runs the CLI with: env, plus,
// when the tests run against PostgreSQL (storetest.Backend), a PROBITY_DB
// naming the database of the data directory in args, so that every CLI
// test runs against both backends unchanged.
func testGetenv(tb testing.TB, env map[string]string, args []string) func(string) string {
	tb.Helper()
	if storetest.Backend() == "postgres" && env["PROBITY_DB"] == "" {
		dir := env["PROBITY_DATA"]
		for i, a := range args {
			if a == "--data" && i+1 < len(args) {
				dir = args[i+1]
			}
		}
		if dir != "" {
			dsn := storetest.DirDSN(tb, dir)
			env = mapWith(env, "PROBITY_DB", dsn)
		}
	}
	return func(k string) string { return env[k] }
}

func mapWith(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for key, val := range m {
		if key != k {
			out[key] = val
		}
	}
	return out
}

// testLocation is the location of a test installation in dir, on the
// backend under test.
func testLocation(tb testing.TB, dir string) location {
	tb.Helper()
	db := ""
	if storetest.Backend() == "postgres" {
		db = storetest.DirDSN(tb, dir)
	}
	return testLocationDB(tb, dir, db)
}

// testLocationDB is the location of an installation with keys in dir and
// its store in the database dsn names.
func testLocationDB(tb testing.TB, dir, dsn string) location {
	conns, idle, noMigrate := 8, 0, false
	return location{dir: &dir, db: &dsn, maxConns: &conns, maxIdle: &idle, noMigrate: &noMigrate}
}

// testProcessEnv is the extra environment of a CLI run as a child process.
func testProcessEnv(tb testing.TB, dir string) []string {
	tb.Helper()
	env := []string{"PROBITY_TEST_MAIN=1"}
	if storetest.Backend() == "postgres" {
		env = append(env, "PROBITY_DB="+storetest.DirDSN(tb, dir))
	}
	return env
}

// copyInstallation copies a closed test installation: its keys, and its
// database file or (on PostgreSQL) its database.
func copyInstallation(tb testing.TB, from, to string) {
	tb.Helper()
	names := []string{"master.key", "audit.key"}
	if storetest.Backend() == "postgres" {
		dsn := storetest.ClonePostgres(tb, storetest.DirDSN(tb, from))
		if err := os.WriteFile(filepath.Join(to, storetest.DSNFile), []byte(dsn), 0o600); err != nil {
			tb.Fatal(err)
		}
	} else {
		names = append(names, "probity.db")
	}
	for _, name := range names {
		buf, err := os.ReadFile(filepath.Join(from, name))
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, name), buf, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
}
