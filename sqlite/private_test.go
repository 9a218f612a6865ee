package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/sqlite"
)

// TestFilesArePrivate: the database and its -wal and -shm files are mode
// 0600 in a directory the operator made 0755 and under a permissive umask,
// new or existing (a store made 0644 by an earlier release is made private).
func TestFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		db, err := sqlite.Open(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		// A write, so that the WAL and its index exist.
		err = db.Update(context.Background(), func(tx probity.Tx) error {
			return tx.LockLog("t.test", "test/t.test")
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{sqlite.FileName, sqlite.FileName + "-wal", sqlite.FileName + "-shm"} {
			info, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if got := info.Mode().Perm(); got != 0o600 {
				t.Errorf("round %d: %s has mode %04o, want 0600", round, name, got)
			}
		}
		db.Close()
		// An earlier release's store, readable by all: opening it fixes it.
		os.Chmod(filepath.Join(dir, sqlite.FileName), 0o644)
	}
}
