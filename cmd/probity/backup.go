package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/identity"
	"github.com/probity-dev/probity/postgres"
	"github.com/probity-dev/probity/sqlite"
)

// BackupCommand copies an installation while it serves, and verifies the
// copy before it says so: a backup that was never verified is found to be
// broken on the day it is needed.
type BackupCommand struct{ m *Main }

const backupUsage = `Usage: probity backup [--data DIR] [--db URL] --out DIR [--json]

Copy the installation into the new directory --out, while servers may be
serving it, then verify the copy as probity audit verify does and print its
size, each log's tree size and root hash, and the time it took.

The embedded store: --out becomes a complete data directory (master.key,
audit.key and a consistent copy of probity.db) that probity serve --data
can start from. With --db (or PROBITY_DB): --out holds the keys and
probity.pgdump, a pg_dump of the database in its custom format (pg_dump
and pg_restore must be installed; the dump is verified in a scratch
database created beside the original and dropped after, which needs the
CREATEDB privilege).

--out must not exist or be empty. Files are 0600, the directory 0700. On
any failure the partial copy is removed. How to restore, and what a restore
means for auditors and witnesses: README.md, Backup and restore.
`

// backupKeys are the key files every backup holds: without them the copy
// can neither pseudonymise subjects nor verify or extend its logs.
var backupKeys = []string{identity.MasterKeyFile, audit.KeyFile}

// backupCopied is a test hook: it is called with the copy's location
// (the output directory, and on PostgreSQL the scratch database the dump
// was restored into) once the copy is made, before it is verified.
var backupCopied func(copy location)

// backupReport is what a verified backup reports.
type backupReport struct {
	Out   string           `json:"out"`
	Store string           `json:"store"` // "sqlite" or "postgres"
	Files map[string]int64 `json:"files"` // name: bytes
	Bytes int64            `json:"bytes"`
	Logs  []backupLog      `json:"logs"` // the installation log first
	Check *audit.Report    `json:"verification"`
	Took  time.Duration    `json:"elapsed_ns"`
}

// backupLog is a log's latest checkpoint in the copy: the tree size a
// restore of it returns the log to.
type backupLog struct {
	Name string `json:"name"`
	Size uint64 `json:"size"`
	Root string `json:"root"` // base64, as in the checkpoint's note
}

// Run takes the backup.
func (c *BackupCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("backup", backupUsage, c.m.Stdout)
	loc := c.m.dataFlag(fs)
	out := fs.String("out", "", "the new directory to write the backup to (must not exist, or be empty)")
	jsonOut := fs.Bool("json", false, "print the report as JSON")
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	} else if len(args) > 0 {
		return fmt.Errorf("backup: unexpected argument %q (see probity backup -h)", args[0])
	} else if *out == "" {
		return fmt.Errorf("backup: want --out DIR, the new directory to write the backup to (see probity backup -h)")
	}
	if err := backupSource(*loc); err != nil {
		return err
	}
	start := time.Now()
	created, err := backupOut(*out)
	if err != nil {
		return err
	}
	report, err := c.backup(ctx, *loc, *out)
	if err != nil {
		if rmErr := removeBackup(*out, created); rmErr != nil {
			return fmt.Errorf("backup failed, %s; and removing the partial copy in %s failed too: %v", oneLine(err), *out, rmErr)
		}
		return fmt.Errorf("backup failed, %s; the partial copy in %s was removed", oneLine(err), *out)
	}
	report.Took = time.Since(start)
	if *jsonOut {
		return printJSON(c.m.Stdout, report)
	}
	printBackup(c.m.Stdout, *loc, report)
	return nil
}

// backup copies the keys and the store into out and verifies the copy.
func (c *BackupCommand) backup(ctx context.Context, loc location, out string) (*backupReport, error) {
	for _, name := range backupKeys {
		if err := copyPrivate(filepath.Join(loc.Dir(), name), filepath.Join(out, name)); err != nil {
			return nil, backupStep(fmt.Sprintf("copying the key %s", name), err)
		}
	}
	copyLoc := location{dir: &out, db: new(string), maxConns: new(int), maxIdle: new(int), noMigrate: new(bool)}
	*copyLoc.maxConns = 4
	report := &backupReport{Out: out, Store: "sqlite"}
	if *loc.db == "" {
		if err := sqlite.Backup(ctx, loc.Dir(), filepath.Join(out, sqlite.FileName)); err != nil {
			return nil, backupStep("copying the database", err)
		}
	} else {
		report.Store = "postgres"
		dump := filepath.Join(out, postgres.DumpFile)
		if err := postgres.Dump(ctx, *loc.db, dump); err != nil {
			return nil, backupStep("dumping the database", err)
		}
		scratch, drop, err := postgres.RestoreScratch(ctx, *loc.db, dump)
		if err != nil {
			return nil, backupStep("restoring the dump to verify it", err)
		}
		defer func() {
			if err := drop(context.WithoutCancel(ctx)); err != nil {
				fmt.Fprintf(c.m.Stderr, "probity backup: %v; drop it by hand\n", err)
			}
		}()
		*copyLoc.db = scratch
	}
	var err error
	if report.Files, report.Bytes, err = backupFiles(out); err != nil {
		return nil, err
	}
	if backupCopied != nil {
		backupCopied(copyLoc)
	}
	if report.Check, report.Logs, err = verifyBackup(ctx, copyLoc); err != nil {
		return nil, err
	}
	return report, nil
}

// backupStep says which step of a backup failed. A Probity error is
// flattened to its message, so that the CLI prints the whole sentence
// (it prints only the message of an error that wraps one).
func backupStep(step string, err error) error {
	return fmt.Errorf("%s: %s", step, oneLine(err))
}

// verifyBackup opens the copy and runs audit verify's full verification on
// it, and reads each log's latest checkpoint.
func verifyBackup(ctx context.Context, loc location) (*audit.Report, []backupLog, error) {
	in, err := openStore(ctx, loc)
	if err != nil {
		return nil, nil, backupStep("opening the copy", err)
	}
	defer in.Close()
	check, err := audit.Verify(ctx, in.db, in.signer.Verifier(), in.bureau.KeyDigests())
	if err != nil {
		return nil, nil, backupStep("verifying the copy", err)
	}
	if !check.OK() {
		first := ""
		if len(check.Problems) > 0 {
			first = ", the first: " + check.Problems[0]
		}
		return nil, nil, fmt.Errorf("verifying the copy found %d problems (it does not match its log%s)", check.Count, first)
	}
	infos, err := in.bureau.Logs(ctx)
	if err != nil {
		return nil, nil, backupStep("reading the copy's logs", err)
	}
	logs := make([]backupLog, 0, len(infos))
	for _, l := range infos {
		cp, err := in.bureau.Checkpoint(ctx, l.Name)
		if probity.ErrorCode(err) == probity.ENOTFOUND {
			continue // an empty log
		} else if err != nil {
			return nil, nil, backupStep(fmt.Sprintf("reading the copy's checkpoint of log %s", l.Name), err)
		}
		logs = append(logs, backupLog{Name: l.Name, Size: cp.Size, Root: base64.StdEncoding.EncodeToString(cp.Root)})
	}
	return check, logs, nil
}

// printBackup prints the report of a verified backup.
func printBackup(w io.Writer, loc location, r *backupReport) {
	fmt.Fprintf(w, "backed up %s to %s: %d files, %s\n", loc, r.Out, len(r.Files), byteSize(r.Bytes))
	fmt.Fprintf(w, "verified the copy: %d leaves, %d checkpoints, %d spec rows, %d event rows and %d principals: every leaf, checkpoint and row verifies\n",
		r.Check.Leaves, r.Check.Checkpoints, r.Check.Specs, r.Check.Events, r.Check.Principals)
	for _, l := range r.Logs {
		fmt.Fprintf(w, "log %s: tree size %d, root %s\n", l.Name, l.Size, l.Root)
	}
	fmt.Fprintf(w, "took %s\n", r.Took.Round(time.Millisecond))
	fmt.Fprintln(w, "a restore returns every log to the tree size above: see README.md, Backup and restore")
}

// byteSize formats a size for people.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// backupSource refuses a data directory without the keys, or without the
// embedded database when no --db is given: there would be nothing to copy.
func backupSource(loc location) error {
	needed := backupKeys
	if *loc.db == "" {
		needed = append(needed[:len(needed):len(needed)], sqlite.FileName)
	}
	for _, name := range needed {
		if _, err := os.Stat(filepath.Join(loc.Dir(), name)); err != nil {
			return fmt.Errorf("backup: %s has no %s: there is no installation to back up (wrong --data?)", loc.Dir(), name)
		}
	}
	return nil
}

// backupOut makes the output directory, mode 0700, and reports whether it
// made it (a failed backup then removes it; an empty one that was there
// is only emptied). An existing directory with anything in it is refused:
// a backup never overwrites or mixes with another.
func backupOut(out string) (created bool, err error) {
	entries, err := os.ReadDir(out)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
			return false, fmt.Errorf("backup: --out %s: %w", out, err)
		}
		if err := os.Mkdir(out, 0o700); err != nil {
			return false, fmt.Errorf("backup: --out %s: %w", out, err)
		}
		return true, nil
	case err != nil:
		return false, fmt.Errorf("backup: --out %s: %w (want a new directory, or an empty one)", out, err)
	case len(entries) > 0:
		return false, fmt.Errorf("backup: --out %s exists and is not empty (it holds %s): name a new directory, or an empty one", out, entries[0].Name())
	}
	return false, os.Chmod(out, 0o700)
}

// removeBackup removes a failed backup: the directory if it made it, else
// what it wrote into it.
func removeBackup(out string, created bool) error {
	if created {
		return os.RemoveAll(out)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		errs = append(errs, os.RemoveAll(filepath.Join(out, e.Name())))
	}
	return errors.Join(errs...)
}

// copyPrivate copies a file to a new file of mode 0600 and syncs it.
func copyPrivate(from, to string) error {
	buf, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(buf); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// backupFiles lists the files of the backup with their sizes.
func backupFiles(out string) (map[string]int64, int64, error) {
	entries, err := os.ReadDir(out)
	if err != nil {
		return nil, 0, err
	}
	files, total := map[string]int64{}, int64(0)
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			return nil, 0, err
		}
		files[e.Name()] = info.Size()
		total += info.Size()
	}
	return files, total, nil
}
