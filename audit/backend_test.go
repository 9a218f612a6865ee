package audit_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/sqlite"
	"github.com/probity-dev/probity/sqlstore"
	"github.com/probity-dev/probity/storetest"
	"golang.org/x/mod/sumdb/note"
	_ "modernc.org/sqlite"
)

// rawDB is a store opened with plain database/sql, behind Probity's back.
// Tampers write their statements in SQLite's dialect; on PostgreSQL, Exec,
// Query and QueryRow translate each one first (postgresSQL), so that a
// tamper means the same on both backends.
type rawDB struct {
	db       *sql.DB
	postgres bool
}

// openRaw opens the store of the installation in dir with plain
// database/sql: its SQLite file, or the database its DSN file names.
func openRaw(dir string) (*rawDB, error) {
	if storetest.Backend() == "postgres" {
		dsn, err := os.ReadFile(filepath.Join(dir, storetest.DSNFile))
		if err != nil {
			return nil, err
		}
		db, err := sql.Open("pgx", string(dsn))
		if err != nil {
			return nil, err
		}
		return &rawDB{db: db, postgres: true}, nil
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return &rawDB{db: db}, nil
}

func mustOpenRaw(tb testing.TB, dir string) *rawDB {
	tb.Helper()
	db, err := openRaw(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

func (db *rawDB) dialect(query string) string {
	if db.postgres {
		return postgresSQL(query)
	}
	return query
}

// Exec runs a statement written for SQLite.
func (db *rawDB) Exec(query string, args ...any) (sql.Result, error) {
	return db.db.Exec(db.dialect(query), args...)
}

// Query runs a query written for SQLite.
func (db *rawDB) Query(query string, args ...any) (*sql.Rows, error) {
	return db.db.Query(db.dialect(query), args...)
}

// QueryRow runs a query written for SQLite that returns at most one row.
func (db *rawDB) QueryRow(query string, args ...any) *sql.Row {
	return db.db.QueryRow(db.dialect(query), args...)
}

// Close closes the connections.
func (db *rawDB) Close() error { return db.db.Close() }

var (
	blobLiteral = regexp.MustCompile(`\b[xX]'([0-9a-fA-F]*)'`)
	zeroBlob    = regexp.MustCompile(`\bzeroblob\((\d+)\)`)
	inStr       = regexp.MustCompile(`\binstr\(([^(),]+),\s*([^(),]+)\)`)
)

// postgresSQL translates a statement written for SQLite into PostgreSQL's
// dialect: ? placeholders become $1, $2, ...; x'…' blob literals bytea
// literals; zeroblob(n) n zero bytes; instr(s, t) position(t in s), which,
// unlike strpos, searches bytea as well as text. The arguments of instr may
// hold no comma or parenthesis. What it leaves, PostgreSQL rejects.
func postgresSQL(query string) string {
	q := sqlstore.Rebind(query) // first, so that swapping instr's arguments keeps the numbering
	q = blobLiteral.ReplaceAllString(q, `'\x$1'::bytea`)
	q = zeroBlob.ReplaceAllString(q, `decode(repeat('00', $1), 'hex')`)
	return inStr.ReplaceAllString(q, `position($2 in $1)`)
}

// TestPostgresSQL checks the translation of the tampers' SQLite statements.
func TestPostgresSQL(t *testing.T) {
	for query, want := range map[string]string{
		`UPDATE events SET fields = ? WHERE domain = ? AND key = ?`:            `UPDATE events SET fields = $1 WHERE domain = $2 AND key = $3`,
		`UPDATE principals SET secret_hash = x'00ff' WHERE name = 'desk'`:      `UPDATE principals SET secret_hash = '\x00ff'::bytea WHERE name = 'desk'`,
		`UPDATE log_leaves SET pseudonym = x'' WHERE idx = 0`:                  `UPDATE log_leaves SET pseudonym = '\x'::bytea WHERE idx = 0`,
		`UPDATE log_checkpoints SET root = zeroblob(32) WHERE size = ?`:        `UPDATE log_checkpoints SET root = decode(repeat('00', 32), 'hex') WHERE size = $1`,
		`SELECT idx FROM log_leaves WHERE action = ? AND instr(data, ?) > 0`:   `SELECT idx FROM log_leaves WHERE action = $1 AND position($2 in data) > 0`,
		`UPDATE spec_versions SET spec = 'x' WHERE instr(spec, '"base":') > 0`: `UPDATE spec_versions SET spec = 'x' WHERE position('"base":' in spec) > 0`,
	} {
		if got := postgresSQL(query); got != want {
			t.Errorf("postgresSQL(%q)\n = %q\nwant %q", query, got, want)
		}
	}
}

// pristine is a closed data directory that trials copy.
type pristine struct {
	dir   string
	files []string // the files a copy gets: the keys, and the SQLite database
	notes note.Verifiers
	root  string // where trial directories go

	// On postgres, a copy is a database cloned from the pristine one.
	template string   // the pristine database's name
	dsn      *url.URL // its DSN
	admin    *sql.DB  // the server, for CREATE and DROP DATABASE
	mu       sync.Mutex
	clones   map[string]string // trial directory → its database, not dropped yet
}

func newPristine(tb testing.TB, subjects int) *pristine {
	tb.Helper()
	p := &pristine{dir: populated(tb, subjects), root: tb.TempDir()}
	signer, _, err := audit.LoadOrCreateSigner(p.dir)
	if err != nil {
		tb.Fatal(err)
	}
	p.notes = signer.Verifier()
	entries, err := os.ReadDir(p.dir)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() && e.Name() != storetest.DSNFile {
			p.files = append(p.files, e.Name())
		}
	}
	if storetest.Backend() == "postgres" {
		p.dsn, err = url.Parse(storetest.DirDSN(tb, p.dir))
		if err != nil {
			tb.Fatal(err)
		}
		p.template = strings.TrimPrefix(p.dsn.Path, "/")
		if p.admin, err = sql.Open("pgx", os.Getenv(storetest.PostgresEnv)); err != nil {
			tb.Fatal(err)
		}
		p.clones = map[string]string{}
		tb.Cleanup(func() {
			for dir, name := range p.clones { // left by a trial that failed
				if err := p.drop(dir, name); err != nil {
					tb.Error(err)
				}
			}
			p.admin.Close()
		})
	}
	return p
}

// copyStore copies the store into a fresh directory, with the keys, and
// opens it with plain database/sql, behind Probity's back. On postgres the
// copy is a clone of the pristine database (which no connection may be
// using), named in the directory's DSN file.
func (p *pristine) copyStore() (string, *rawDB, error) {
	dir, err := os.MkdirTemp(p.root, "trial")
	if err != nil {
		return "", nil, err
	}
	for _, name := range p.files {
		buf, err := os.ReadFile(filepath.Join(p.dir, name))
		if err != nil {
			return dir, nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf, 0o600); err != nil {
			return dir, nil, err
		}
	}
	if p.admin != nil {
		dsn, err := p.clone(dir)
		if err != nil {
			return dir, nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, storetest.DSNFile), []byte(dsn), 0o600); err != nil {
			return dir, nil, err
		}
	}
	db, err := openRaw(dir)
	return dir, db, err
}

// discard removes a copy: its directory and, on postgres, its database.
func (p *pristine) discard(dir string) error {
	err := os.RemoveAll(dir)
	if p.admin == nil {
		return err
	}
	p.mu.Lock()
	name, ok := p.clones[dir]
	p.mu.Unlock()
	if ok {
		err = errors.Join(err, p.drop(dir, name))
	}
	return err
}

// clone creates the database of the copy in dir and returns its DSN.
func (p *pristine) clone(dir string) (string, error) {
	suffix := make([]byte, 6)
	rand.Read(suffix)
	name := "probity_test_" + hex.EncodeToString(suffix)
	p.mu.Lock()
	p.clones[dir] = name
	p.mu.Unlock()
	if _, err := p.admin.Exec(`CREATE DATABASE ` + name + ` TEMPLATE ` + p.template); err != nil {
		return "", err
	}
	u := *p.dsn
	u.Path = "/" + name
	return u.String(), nil
}

func (p *pristine) drop(dir, name string) error {
	if _, err := p.admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
		return fmt.Errorf("drop %s: %w", name, err)
	}
	p.mu.Lock()
	delete(p.clones, dir)
	p.mu.Unlock()
	return nil
}

// verifyDir runs Verify through the real store on a tampered directory;
// err is a failure to open the store, verifyErr Verify's own.
func (p *pristine) verifyDir(tb testing.TB, dir string) (r *audit.Report, verifyErr, err error) {
	ctx := context.Background()
	store, err := storetest.OpenDir(tb, ctx, dir)
	if err != nil {
		return nil, nil, err
	}
	defer store.Close()
	r, verifyErr = audit.Verify(ctx, store, p.notes, nil) // the keys are the pristine store's: not under test here
	return r, verifyErr, nil
}

// workers is how many trials run at once: one per CPU, where a trial is
// work on this machine (SQLite); on PostgreSQL, where a trial mostly waits
// for the server to clone and drop its database, four per CPU, but no
// more than 8, so that with their pools they stay well within the
// server's default 100 connections.
func (p *pristine) workers() int {
	if p.admin != nil {
		return min(8, 4*runtime.GOMAXPROCS(0))
	}
	return runtime.GOMAXPROCS(0)
}
