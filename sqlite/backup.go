package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/probity-dev/probity"
)

// Backup writes a consistent copy of the store in dir to the new file dst,
// mode 0600, while servers may go on writing it. The copy is one VACUUM
// INTO on a connection of its own: in WAL mode it reads one snapshot, the
// last commit before it started, and holds no lock that writers wait for
// (only the WAL cannot restart until it is done). The copy is synced to
// disk, since SQLite does not sync what VACUUM INTO writes. Backup neither
// migrates nor otherwise writes the store, and refuses a dir without one.
//
// A dst that exists is refused: VACUUM INTO would write into any empty
// file, and a backup must never overwrite one.
func Backup(ctx context.Context, dir, dst string) error {
	src := filepath.Join(dir, FileName)
	if info, err := os.Stat(src); err != nil {
		return probity.Errorf(probity.EINVALID, "%s has no %s: there is no embedded store to back up (wrong --data?)", dir, FileName)
	} else if !info.Mode().IsRegular() {
		return probity.Errorf(probity.EINVALID, "%s is not a regular file", src)
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create the copy: %w", err)
	}
	f.Close()
	// mode=rw: a missing file is an error, never a new empty database.
	q := url.Values{"mode": {"rw"}, "_pragma": {"busy_timeout(10000)"}}
	db, err := sql.Open("sqlite", "file:"+src+"?"+q.Encode())
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("copy %s to %s (VACUUM INTO): %w", src, dst, err)
	}
	if err := syncFile(dst); err != nil {
		return err
	}
	return syncFile(filepath.Dir(dst))
}

// syncFile flushes a file, or a directory's entries, to disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}
