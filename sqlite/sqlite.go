// Package sqlite is the embedded Store of Probity: SQLite in WAL mode in one
// file under the data directory, through the pure-Go modernc.org/sqlite driver.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/probity-dev/probity"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// FileName is the database file's name within the data directory.
const FileName = "probity.db"

// DB is the embedded store. Writes go through one connection (SQLite has one
// writer); reads use a pool of connections that see WAL snapshots.
type DB struct {
	write *sql.DB
	read  *sql.DB

	mu sync.Mutex
	// stmts holds statements prepared once per pool; transactions bind them
	// to their connection, where database/sql keeps them prepared.
	stmts map[*sql.DB]map[string]*sql.Stmt
	// specs caches parsed spec versions: they never change once stored.
	specs map[specKey]*probity.Spec
	// Now returns the time a transaction begins with; tests replace it.
	Now func() time.Time
}

var _ probity.Store = (*DB)(nil)

// Open opens (creating if needed) the store in dir and applies migrations.
func Open(ctx context.Context, dir string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	// WAL with synchronous=NORMAL: a killed process loses nothing that was
	// committed and never leaves half a transaction; a power cut may lose
	// the last transactions (never half of one). Every read of personal
	// data is a write (its leaf), so a sync per commit would cap reads.
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "synchronous(NORMAL)", "foreign_keys(ON)", "cache_size(-65536)", "temp_store(MEMORY)"} {
		q.Add("_pragma", p)
	}
	write, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode()+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	q.Add("_pragma", "query_only(ON)")
	read, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(8)
	db := &DB{write: write, read: read, Now: time.Now,
		stmts: map[*sql.DB]map[string]*sql.Stmt{write: {}, read: {}}, specs: map[specKey]*probity.Spec{}}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	if err := db.prepare(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare %s: %w", path, err)
	}
	return db, nil
}

// Close closes the store.
func (db *DB) Close() error {
	db.mu.Lock()
	for _, stmts := range db.stmts {
		for _, s := range stmts {
			s.Close()
		}
	}
	db.mu.Unlock()
	err := db.read.Close()
	if werr := db.write.Close(); err == nil {
		err = werr
	}
	return err
}

func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return err
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.migrateFile(ctx, name); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

func (db *DB) migrateFile(ctx context.Context, name string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil {
		return err
	} else if n > 0 {
		return nil
	}
	buf, err := fs.ReadFile(migrations, name)
	if err != nil {
		return err
	}
	for _, stmt := range strings.Split(string(buf), ";\n") {
		if strings.TrimSpace(stripComments(stmt)) == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, name, time.Now().UnixNano()); err != nil {
		return err
	}
	return tx.Commit()
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// Update runs fn in one write transaction.
func (db *DB) Update(ctx context.Context, fn func(tx probity.Tx) error) error {
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{db: db, pool: db.write, ctx: ctx, tx: sqlTx, now: db.Now().UTC()}
	defer tx.close()
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return err
	}
	tx.close()
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// View runs fn in a read-only transaction.
func (db *DB) View(ctx context.Context, fn func(tx probity.ReadTx) error) error {
	sqlTx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer sqlTx.Rollback()
	tx := &Tx{db: db, pool: db.read, ctx: ctx, tx: sqlTx, now: db.Now().UTC()}
	defer tx.close()
	return fn(tx)
}

// specKey identifies one stored spec version.
type specKey struct {
	domain  string
	version int
	digest  string
}

// prepare prepares the hot queries once on each pool, at open time:
// preparing lazily would need a free connection, and every connection may
// be held by a transaction waiting for that very statement (the write pool
// has only one).
func (db *DB) prepare(ctx context.Context) error {
	reads := []string{querySpecVersions, querySubjectEvents, queryEventByKey, queryLogSize, queryLatestCheckpoint,
		querySubjectDisputes, querySubjectTerms, queryOptedOut}
	writes := append(reads, queryInsertCheckpoint, insertLeavesQuery(1), insertLeavesQuery(insertBatch),
		insertQuery(1), insertQuery(insertBatch))
	for pool, queries := range map[*sql.DB][]string{db.read: reads, db.write: writes} {
		for _, q := range queries {
			s, err := pool.PrepareContext(ctx, q)
			if err != nil {
				return err
			}
			db.stmts[pool][q] = s
		}
	}
	return nil
}

// prepared returns a statement prepared at open time on a pool, or nil.
func (db *DB) prepared(pool *sql.DB, query string) *sql.Stmt {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.stmts[pool][query]
}

func (db *DB) cachedSpec(k specKey) *probity.Spec {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.specs[k]
}

func (db *DB) cacheSpec(k specKey, s *probity.Spec) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.specs[k] = s
}
