package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/postgres"
	"github.com/probity-dev/probity/sqlite"
	"github.com/probity-dev/probity/storetest"
	_ "modernc.org/sqlite"
)

// backupInstallation applies the lending spec in a new data directory and
// creates a reporter and reader of it, "desk"; it returns the directory,
// the token and the store's DSN (on PostgreSQL; "" on SQLite).
func backupInstallation(t *testing.T) (data, token, dsn string) {
	t.Helper()
	if storetest.Backend() == "postgres" {
		for _, tool := range []string{"pg_dump", "pg_restore"} {
			if _, err := exec.LookPath(tool); err != nil && os.Getenv("CI") == "" {
				t.Skipf("%s is not installed: probity backup on PostgreSQL needs it", tool)
			}
		}
	}
	data = t.TempDir()
	mustRun(t, "domain", "apply", "--data", data, lendingSpec)
	out := strings.TrimSpace(mustRun(t, "token", "create", "--data", data, "--name", "desk", "--grant", "reporter:acme.lending", "--grant", "reader:acme.lending"))
	token = out[strings.LastIndex(out, "\n")+1:]
	if storetest.Backend() == "postgres" {
		dsn = storetest.DirDSN(t, data)
	}
	return data, token, dsn
}

// restoreBackup makes a backup servable as README.md says: on SQLite the
// directory is a data directory already; on PostgreSQL its dump is restored
// with pg_restore into a new database, whose DSN is returned.
func restoreBackup(t *testing.T, out string) string {
	t.Helper()
	if storetest.Backend() != "postgres" {
		return ""
	}
	dsn := storetest.NewPostgres(t)
	cmd := exec.Command("pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--dbname="+dsn, filepath.Join(out, postgres.DumpFile))
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v: %s", err, msg)
	}
	return dsn
}

// TestBackupWhileServing takes a backup while a server ingests and reads,
// then checks the report, the files' modes, that every log of the copy is
// a prefix of the live one (its root is the live log's root at that size),
// and that the copy, restored, serves the token and verifies.
func TestBackupWhileServing(t *testing.T) {
	data, token, dsn := backupInstallation(t)
	serveArgs := []string{"--data", data}
	if dsn != "" {
		serveArgs = append(serveArgs, "--db", dsn)
	}
	url := startServer(t, serveArgs...)

	stop, started := make(chan struct{}), make(chan struct{})
	progress := make(chan struct{}, 1) // a batch was ingested
	var once sync.Once
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			var body strings.Builder
			for j := range 20 {
				fmt.Fprintf(&body, `{"key":"bk-%d-%d","type":"loan_repaid","subject":"person:b%02d","occurred_at":"2025-03-10","fields":{"amount":%d}}`+"\n", i, j, j, 100+j)
			}
			var sum probity.IngestSummary
			if code := post(t, url+"/v1/domains/acme.lending/events", token, "application/x-ndjson", body.String(), &sum); code != http.StatusOK {
				t.Errorf("ingest during the backup: %d %+v", code, sum)
				once.Do(func() { close(started) })
				return
			}
			var score map[string]any
			if code := post(t, url+"/v1/domains/acme.lending/scores", token, "application/json", fmt.Sprintf(`{"subject":"person:b%02d","purpose":"account_review"}`, i%20), &score); code != http.StatusOK {
				t.Errorf("score read during the backup: %d %v", code, score)
			}
			once.Do(func() { close(started) })
			select {
			case progress <- struct{}{}:
			default:
			}
		}
	})
	<-started
	// Between the copy and its verification the server goes on writing:
	// the copy is a snapshot, not the live store.
	backupCopied = func(location) {
		for range 2 {
			select {
			case <-progress:
			case <-stop:
			}
		}
	}
	t.Cleanup(func() { backupCopied = nil })
	out := filepath.Join(t.TempDir(), "backup")
	stdout, stderr, err := run(t, nil, "", "backup", "--data", data, "--out", out, "--json")
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("backup while serving: %v\n%s%s", err, stdout, stderr)
	}
	var report backupReport
	if err := json.Unmarshal([]byte(stdout), &report); err != nil {
		t.Fatalf("backup --json printed %q: %v", stdout, err)
	}
	if !report.Check.OK() || report.Check.Events == 0 || len(report.Logs) != 2 || report.Logs[0].Name != probity.InstallationLog || report.Bytes == 0 {
		t.Fatalf("backup report %+v; want a verified copy with events, the installation log first and the lending log", report)
	}
	checkBackupModes(t, out)
	checkPrefix(t, testLocationDB(t, data, dsn), report.Logs)

	restored := restoreBackup(t, out)
	copyArgs, copyEnv := []string{"--data", out}, map[string]string(nil)
	if restored != "" {
		copyArgs, copyEnv = append(copyArgs, "--db", restored), map[string]string{"PROBITY_DB": restored}
	}
	copyURL := startServer(t, copyArgs...)
	var score map[string]any
	if code := post(t, copyURL+"/v1/domains/acme.lending/scores", token, "application/json", `{"subject":"person:b00","purpose":"account_review"}`, &score); code != http.StatusOK || score["status"] == nil {
		t.Fatalf("score read from the restored copy: %d %v", code, score)
	}
	if got, _, err := run(t, copyEnv, "", "audit", "verify", "--data", out); err != nil {
		t.Fatalf("audit verify of the restored copy while it serves: %v\n%s", err, got)
	}
}

// checkBackupModes: the backup directory is 0700 and each file in it 0600.
func checkBackupModes(t *testing.T, out string) {
	t.Helper()
	if info, err := os.Stat(out); err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("backup directory %s: %v, want mode 0700", out, err)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", e.Name(), got)
		}
	}
	if len(entries) < 3 {
		t.Errorf("the backup holds %d files, want both keys and the store", len(entries))
	}
}

// checkPrefix: each log of the copy, as reported, is the live log's first
// leaves: the live store's checkpoint of the same size has the same root;
// the live lending log has grown since.
func checkPrefix(t *testing.T, live location, logs []backupLog) {
	t.Helper()
	in, err := openStore(context.Background(), live)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	err = in.db.View(context.Background(), func(tx probity.ReadTx) error {
		for _, l := range logs {
			// the live tree at the copy's size (a checkpoint of that size
			// may have been superseded since: Batch.thin)
			tree, err := audit.NewLog(in.signer).Tree(tx, l.Name)
			if err != nil {
				return err
			}
			root, err := tree.Root(l.Size)
			if err != nil {
				return fmt.Errorf("log %s: the live tree at the copy's size %d: %w", l.Name, l.Size, err)
			}
			if got := base64.StdEncoding.EncodeToString(root); got != l.Root {
				return fmt.Errorf("log %s at size %d: the live root is %s, the copy's %s", l.Name, l.Size, got, l.Root)
			}
			if latest, err := tx.LatestCheckpoint(l.Name); err != nil {
				return err
			} else if l.Name != probity.InstallationLog && latest.Size <= l.Size {
				return fmt.Errorf("log %s: the live log has %d leaves, the copy %d: the server wrote nothing after the copy was taken", l.Name, latest.Size, l.Size)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBackupRefusesOutput: --out that holds anything is refused, naming
// it, and left as it was; --out is required.
func TestBackupRefusesOutput(t *testing.T) {
	data, _, _ := backupInstallation(t)
	out := t.TempDir()
	writeFile(t, out, "earlier.txt", "an earlier backup's notes")
	_, _, err := run(t, nil, "", "backup", "--data", data, "--out", out)
	if err == nil || !strings.Contains(err.Error(), out) || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("backup into a non-empty %s: %v, want a refusal naming it", out, err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 1 {
		t.Fatalf("the refused --out now holds %d files, want only the one that was there", len(entries))
	}
	if _, _, err := run(t, nil, "", "backup", "--data", data); err == nil || !strings.Contains(err.Error(), "--out") {
		t.Fatalf("backup without --out: %v, want a refusal naming --out", err)
	}
}

// TestBackupCorruptCopyFails: a copy that does not verify (changed
// between the copy and its verification, through a test hook) is not
// reported as a backup: the command fails saying why, and what it wrote is
// removed (a directory it made, or the contents of an empty one it was
// given).
func TestBackupCorruptCopyFails(t *testing.T) {
	data, _, _ := backupInstallation(t)
	backupCopied = func(copy location) {
		driver, dsn := "sqlite", filepath.Join(copy.Dir(), sqlite.FileName)
		if *copy.db != "" {
			driver, dsn = "pgx", *copy.db
		}
		db, err := sql.Open(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`UPDATE principals SET grants = '[{"role":"operator"}]' WHERE name = 'desk'`); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { backupCopied = nil })
	for _, tc := range []struct {
		name  string
		empty bool // --out exists, empty
	}{{"NewDir", false}, {"EmptyDir", true}} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "backup")
			if tc.empty {
				os.Mkdir(out, 0o755)
			}
			stdout, _, err := run(t, nil, "", "backup", "--data", data, "--out", out)
			if err == nil || !strings.Contains(err.Error(), "verifying the copy found") || !strings.Contains(err.Error(), "removed") {
				t.Fatalf("backup of a copy that does not verify: %v (printed %q), want a failure saying so", err, stdout)
			}
			if strings.Contains(stdout, "verified") {
				t.Fatalf("a failed backup printed %q", stdout)
			}
			entries, err := os.ReadDir(out)
			switch {
			case !tc.empty && !os.IsNotExist(err):
				t.Fatalf("the failed backup's directory is still there (%v, %d files)", err, len(entries))
			case tc.empty && (err != nil || len(entries) > 0):
				t.Fatalf("the empty --out given holds %d files after a failed backup (%v), want none", len(entries), err)
			}
		})
	}
	// Without the tampering, the same installation backs up.
	backupCopied = nil
	if got := mustRun(t, "backup", "--data", data, "--out", filepath.Join(t.TempDir(), "backup")); !strings.Contains(got, "every leaf, checkpoint and row verifies") {
		t.Fatalf("backup printed %q", got)
	}
}

// TestRestoreSeenAsRollback: what README.md, Backup and restore, tells
// auditors. One who kept a checkpoint newer than the backup is told the
// restored log was rolled back, and once it has grown past that checkpoint,
// that it was rewritten (a fork): the restored history is not an extension
// of what they saw.
func TestRestoreSeenAsRollback(t *testing.T) {
	data, token, dsn := backupInstallation(t)
	serveArgs := []string{"--data", data}
	if dsn != "" {
		serveArgs = append(serveArgs, "--db", dsn)
	}
	live := startServer(t, serveArgs...)
	ingest := func(url, prefix string, n int) {
		t.Helper()
		var body strings.Builder
		for i := range n {
			fmt.Fprintf(&body, `{"key":"%s-%d","type":"loan_repaid","subject":"person:r%02d","occurred_at":"2025-03-10","fields":{"amount":%d}}`+"\n", prefix, i, i%10, 100+i)
		}
		var sum probity.IngestSummary
		if code := post(t, url+"/v1/domains/acme.lending/events", token, "application/x-ndjson", body.String(), &sum); code != http.StatusOK || sum.Accepted != n {
			t.Fatalf("ingest %s: %d %+v", prefix, code, sum)
		}
	}
	ingest(live, "before", 5)
	out := filepath.Join(t.TempDir(), "backup")
	mustRun(t, "backup", "--data", data, "--out", out)
	ingest(live, "after", 5)
	state := t.TempDir()
	verify := func(url string) (string, error) {
		got, _, err := run(t, nil, "", "audit", "verify", "--url", url, "--log", "acme.lending", "--state", state)
		return got, err
	}
	if got, err := verify(live); err != nil {
		t.Fatalf("audit verify --url of the live server: %v\n%s", err, got)
	}

	restored := restoreBackup(t, out)
	copyArgs := []string{"--data", out}
	if restored != "" {
		copyArgs = append(copyArgs, "--db", restored)
	}
	copyURL := startServer(t, copyArgs...)
	if got, err := verify(copyURL); err == nil || !strings.Contains(err.Error()+got, "it was rolled back") {
		t.Fatalf("audit verify --url of the restored server, holding a newer checkpoint: %v\n%s; want a rollback", err, got)
	}
	ingest(copyURL, "restored", 10)
	if got, err := verify(copyURL); err == nil || !strings.Contains(err.Error()+got, "the log was rewritten (a fork)") {
		t.Fatalf("audit verify --url of the restored server grown past the kept checkpoint: %v\n%s; want a fork", err, got)
	}
}

// TestBackupWithoutPgDump: on PostgreSQL without pg_dump, backup says what
// is missing, which step failed and that it removed the partial copy (the
// keys it had copied).
func TestBackupWithoutPgDump(t *testing.T) {
	data := t.TempDir()
	mustRun(t, "domain", "apply", "--data", data, lendingSpec)
	t.Setenv("PATH", t.TempDir())
	out := filepath.Join(t.TempDir(), "backup")
	env := map[string]string{"PROBITY_DB": "postgres://probity@127.0.0.1:1/probity"}
	_, _, err := run(t, env, "", "backup", "--data", data, "--out", out)
	if err == nil {
		t.Fatal("backup without pg_dump succeeded")
	}
	// What the command prints: oneLine(err).
	for _, want := range []string{"dumping the database", "pg_dump is not installed", "the partial copy in " + out + " was removed"} {
		if got := oneLine(err); !strings.Contains(got, want) {
			t.Fatalf("backup without pg_dump printed %q, want it to say %q", got, want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("the failed backup left %s: %v", out, err)
	}
}
