package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/sqlite"
)

// TestBackup: the copy is a private file (0600 under a permissive umask)
// that opens as a store with what was committed, the store still open;
// an existing file is never overwritten, and a directory without a store
// is refused without one being made there.
func TestBackup(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(ctx, func(tx probity.Tx) error { return tx.LockLog("t.test", "test/t.test") }); err != nil {
		t.Fatal(err)
	}

	t.Run("OK", func(t *testing.T) {
		dst := filepath.Join(t.TempDir(), "copy.db")
		if err := sqlite.Backup(ctx, dir, dst); err != nil {
			t.Fatal(err)
		}
		if info, err := os.Stat(dst); err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("the copy %s: %v, want mode 0600", dst, err)
		}
		copyDir := filepath.Join(t.TempDir(), "restored")
		os.Mkdir(copyDir, 0o700)
		if err := os.Rename(dst, filepath.Join(copyDir, sqlite.FileName)); err != nil {
			t.Fatal(err)
		}
		restored, err := sqlite.Open(ctx, copyDir)
		if err != nil {
			t.Fatal(err)
		}
		defer restored.Close()
		var origin string
		err = restored.View(ctx, func(tx probity.ReadTx) error {
			var err error
			origin, err = tx.LogOrigin("t.test")
			return err
		})
		if got, want := origin, "test/t.test"; err != nil || got != want {
			t.Fatalf("the copy's log t.test has origin %q (%v), want %q", got, err, want)
		}
	})
	t.Run("ErrExists", func(t *testing.T) {
		dst := filepath.Join(t.TempDir(), "copy.db")
		os.WriteFile(dst, nil, 0o600) // empty: VACUUM INTO alone would write into it
		if err := sqlite.Backup(ctx, dir, dst); err == nil {
			t.Fatalf("backup over the existing %s succeeded, want a refusal", dst)
		}
	})
	t.Run("ErrNoStore", func(t *testing.T) {
		empty := t.TempDir()
		err := sqlite.Backup(ctx, empty, filepath.Join(t.TempDir(), "copy.db"))
		if err == nil || !strings.Contains(err.Error(), "no "+sqlite.FileName) {
			t.Fatalf("backup of a directory without a store: %v, want a refusal naming %s", err, sqlite.FileName)
		}
		if _, err := os.Stat(filepath.Join(empty, sqlite.FileName)); !os.IsNotExist(err) {
			t.Fatalf("backup made a store in %s: %v", empty, err)
		}
	})
}
