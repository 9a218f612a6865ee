package main

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity/sqlite"
	"github.com/probity-dev/probity/storetest"
)

// TestCommandDuringUpload: while another process holds the SQLite store's
// write lock (a server storing a long upload), a command that only reads
// goes on, and one that writes waits, then says in plain words who holds
// the lock and what to do, instead of "database is locked".
func TestCommandDuringUpload(t *testing.T) {
	if storetest.Backend() != "sqlite" {
		t.Skip("the write lock of a data directory's SQLite store")
	}
	data := t.TempDir()
	mustRun(t, "token", "create", "--data", data, "--name", "first operator", "--grant", "operator")

	upload, err := sql.Open("sqlite", "file:"+filepath.Join(data, sqlite.FileName)+"?_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer upload.Close()
	tx, err := upload.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`CREATE TABLE upload_in_progress (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	old := sqliteOptions
	sqliteOptions.BusyTimeout = 300 * time.Millisecond
	defer func() { sqliteOptions = old }()

	if out, errOut, err := run(t, nil, "", "token", "list", "--data", data); err != nil || !strings.Contains(out, "first operator") {
		t.Fatalf("token list during an upload: %v\n%s%s", err, out, errOut)
	}
	_, _, err = run(t, nil, "", "token", "create", "--data", data, "--name", "second operator", "--grant", "operator")
	if err == nil {
		t.Fatal("token create succeeded while another process held the write lock")
	}
	msg := oneLine(err)
	for _, want := range []string{"another process (a server or an ingest) holds", "write lock", "retry"} {
		if !strings.Contains(msg, want) {
			t.Errorf("token create during an upload says %q; want it to say %q", msg, want)
		}
	}
	if strings.Contains(msg, "database is locked") {
		t.Errorf("token create during an upload says %q, SQLite's words, not ours", msg)
	}
}
