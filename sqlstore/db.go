// Package sqlstore is the probity.Store over database/sql that the sqlite
// and postgres backends share: one schema, one set of queries, one reading
// of every contract on the store's interfaces. A backend brings its pools,
// its Dialect and its migrations; everything else lives here, so that the
// two cannot drift apart.
package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/probity-dev/probity"
)

// Dialect is what differs between the engines.
type Dialect struct {
	// Name names the engine in errors.
	Name string
	// Numbered makes placeholders $1, $2, ... instead of ?, and drops
	// SQLite's INDEXED BY hints.
	Numbered bool
	// Prepare prepares the hot statements once per pool at open time;
	// without it each query goes to the driver as text (pgx caches the
	// prepared statement per connection itself).
	Prepare bool
	// LockLog, where set, locks a log's head row (its one parameter is
	// the log's name) so that writers of one log in several processes take
	// turns and each log stays one sequence, while writers of other logs go
	// on; empty where the engine has one writer.
	LockLog string
	// ViewIsolation is the isolation level of read transactions.
	ViewIsolation sql.IsolationLevel
	// CopyEvents, where set, stores many events through the engine's bulk
	// path within the transaction's connection. rows are the values of
	// EventInsertColumns; it returns the keys that were stored (a key the
	// domain holds already is skipped).
	CopyEvents func(ctx context.Context, conn *sql.Conn, rows [][]any) ([]string, error)
	// CopyPoints, where set, appends points under a new version to many
	// events through the bulk path (EncodePoint makes each stored pair). It
	// returns how many events it found.
	CopyPoints func(ctx context.Context, conn *sql.Conn, domain string, version int, points []probity.EventPoints) (int, error)
	// CopyLeaves, where set, appends many leaves through the bulk path;
	// rows are the values of LeafInsertColumns.
	CopyLeaves func(ctx context.Context, conn *sql.Conn, rows [][]any) error
	// CopyAtLeast is the smallest batch the bulk paths are used for.
	CopyAtLeast int
	// Unavailable, where set, sorts the engine's errors that mean the
	// storage cannot take a transaction now: it returns StorageFull,
	// StorageUnreachable or StorageBusy, or 0 for any other error. Update
	// and View then return the error as a StorageError.
	Unavailable func(err error) int
	// Migrations are the engine's embedded migrations (the files of
	// migrations/), for PendingMigrations.
	Migrations fs.FS
}

// EventInsertColumns are the columns InsertEvents writes, in order.
var EventInsertColumns = []string{"domain", "pseudonym", "key", "type", "kind", "occurred_at", "recorded_at", "fields", "cures", "points", "salt", "batch", "slot"}

// LeafInsertColumns are the columns AppendLeaves writes, in order.
var LeafInsertColumns = []string{"log", "idx", "domain", "pseudonym", "action", "data", "hash", "salt", "record"}

// DB is a store over a write pool and a read pool (which may be the same).
type DB struct {
	write, read *sql.DB
	dialect     Dialect

	mu sync.Mutex
	// stmts holds statements prepared once per pool; transactions bind them
	// to their connection, where database/sql keeps them prepared.
	stmts map[*sql.DB]map[string]*sql.Stmt
	// specs caches parsed spec versions: they never change once stored.
	specs map[specKey]*probity.Spec
	// rebound caches queries rewritten for a numbered dialect.
	rebound map[string]string
	// Observer, when set, is told of the leaves each committed
	// transaction appended; set it before the store is used.
	Observer probity.Observer
	// Now returns the time a transaction begins with; tests replace it.
	Now func() time.Time

	onClose []func() error
}

// Clock returns the time now as the store's transactions would take it
// (Now).
func (db *DB) Clock() time.Time { return db.Now().UTC() }

// OnClose registers fn to run when the store closes, before its pools do:
// a backend's own background work.
func (db *DB) OnClose(fn func() error) { db.onClose = append(db.onClose, fn) }

var _ probity.Store = (*DB)(nil)

// New returns a store over the pools; it prepares the hot statements if the
// dialect asks for it. Migrations must have been applied.
func New(ctx context.Context, write, read *sql.DB, d Dialect) (*DB, error) {
	db := &DB{write: write, read: read, dialect: d, Now: time.Now,
		stmts: map[*sql.DB]map[string]*sql.Stmt{write: {}, read: {}}, specs: map[specKey]*probity.Spec{}, rebound: map[string]string{}}
	if d.Prepare {
		if err := db.prepare(ctx); err != nil {
			db.closeStmts()
			return nil, fmt.Errorf("prepare: %w", err)
		}
	}
	return db, nil
}

// Close closes the statements and the pools.
func (db *DB) Close() error {
	var err error
	for _, fn := range db.onClose {
		if cerr := fn(); err == nil {
			err = cerr
		}
	}
	db.onClose = nil
	db.closeStmts()
	if rerr := db.read.Close(); err == nil {
		err = rerr
	}
	if db.write != db.read {
		if werr := db.write.Close(); err == nil {
			err = werr
		}
	}
	return err
}

func (db *DB) closeStmts() {
	db.mu.Lock()
	defer db.mu.Unlock()
	for _, stmts := range db.stmts {
		for _, s := range stmts {
			s.Close()
		}
	}
}

// Update runs fn in one write transaction, on a connection of its own so
// that a dialect's bulk path can reach it. A failure of the storage (a full
// disk, a lost database) is returned as a StorageError.
func (db *DB) Update(ctx context.Context, fn func(tx probity.Tx) error) error {
	return db.unavailable(ctx, db.update(ctx, fn))
}

func (db *DB) update(ctx context.Context, fn func(tx probity.Tx) error) error {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer sqlTx.Rollback()
	tx := &Tx{db: db, pool: db.write, conn: conn, ctx: ctx, tx: sqlTx, now: db.Now().UTC()}
	defer tx.close()
	if err := fn(tx); err != nil {
		return err
	}
	tx.close()
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if o := db.Observer; o != nil {
		for log, n := range tx.leaves {
			o.LeavesAppended(log, n)
		}
	}
	return nil
}

// View runs fn in a read-only transaction with a consistent snapshot. A
// failure of the storage is returned as a StorageError.
func (db *DB) View(ctx context.Context, fn func(tx probity.ReadTx) error) error {
	return db.unavailable(ctx, db.view(ctx, fn))
}

func (db *DB) view(ctx context.Context, fn func(tx probity.ReadTx) error) error {
	sqlTx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: db.dialect.ViewIsolation})
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
// be held by a transaction waiting for that very statement (SQLite's write
// pool has only one).
func (db *DB) prepare(ctx context.Context) error {
	reads := []string{querySpecVersions, querySubjectEvents, queryScoredEvents, querySubjectStanding, queryEventByKey, queryLogSize, queryLatestCheckpoint,
		querySubjectDisputes, querySubjectTerms, queryOptedOut, queryLastSeal, queryLogHead}
	writes := append(reads, queryInsertCheckpoint, queryDropRange, queryDeleteCheckpoint, insertLeavesQuery(insertBatch),
		insertQuery(1), insertQuery(insertBatch), queryInsertBatchLeaf)
	// a group commit appends as many read leaves as it gathered: the
	// usual counts are prepared too, not once a transaction
	for n := 1; n <= groupLeaves; n++ {
		writes = append(writes, insertLeavesQuery(n))
	}
	for pool, queries := range map[*sql.DB][]string{db.read: reads, db.write: writes} {
		for _, q := range queries {
			s, err := pool.PrepareContext(ctx, db.rebind(q))
			if err != nil {
				return err
			}
			db.stmts[pool][q] = s
		}
	}
	return nil
}

// groupLeaves is up to how many leaves an append's statement is prepared
// at open time.
const groupLeaves = 16

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

var indexHint = regexp.MustCompile(`\s+INDEXED BY \w+`)

// rebind writes a query in the dialect: the queries here are written for
// SQLite, with ? placeholders and no ? anywhere else.
func (db *DB) rebind(query string) string {
	if !db.dialect.Numbered {
		return query
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if q, ok := db.rebound[query]; ok {
		return q
	}
	q := Rebind(query)
	db.rebound[query] = q
	return q
}

// Rebind rewrites a query written for SQLite (? placeholders, INDEXED BY
// hints) for an engine with numbered placeholders.
func Rebind(query string) string {
	query = indexHint.ReplaceAllString(query, "")
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Migrate applies the migrations in dir of fsys that are not applied yet,
// in name order, each in its own transaction that first runs lock (if any),
// so that several processes opening one database at once apply each
// migration once. With none pending it writes nothing, so that a command
// that only reads opens a store whose write lock another process holds (a
// long upload) without waiting for it.
func Migrate(ctx context.Context, db *sql.DB, fsys fs.FS, dir, lock string) error {
	if pending, err := Pending(ctx, db, fsys, dir); err == nil && len(pending) == 0 {
		return nil
	}
	names, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range append([]string{""}, names...) {
		if err := migrateFile(ctx, db, fsys, name, lock); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// migrateFile applies one migration; the empty name creates the table of
// applied migrations.
func migrateFile(ctx context.Context, db *sql.DB, fsys fs.FS, name, lock string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if lock != "" {
		if _, err := tx.ExecContext(ctx, lock); err != nil {
			return err
		}
	}
	if name == "" {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
			return err
		}
		return tx.Commit()
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = '`+strings.ReplaceAll(name, "'", "''")+`'`).Scan(&n); err != nil {
		return err
	} else if n > 0 {
		return nil
	}
	buf, err := fs.ReadFile(fsys, name)
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
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ('`+strings.ReplaceAll(name, "'", "''")+`', `+strconv.FormatInt(time.Now().UnixNano(), 10)+`)`); err != nil {
		return err
	}
	return tx.Commit()
}

// PoolStats returns the connection pools' use: the write pool's and the
// read pool's (the same pool where the engine has one).
func (db *DB) PoolStats() (write, read sql.DBStats) {
	return db.write.Stats(), db.read.Stats()
}

// PendingMigrations returns the engine's migrations not applied to the
// database: none on a store this binary opened, unless the database was
// changed or restored under it since.
func (db *DB) PendingMigrations(ctx context.Context) ([]string, error) {
	if db.dialect.Migrations == nil {
		return nil, nil
	}
	return Pending(ctx, db.write, db.dialect.Migrations, "migrations")
}

// Pending returns the names of the migrations in dir of fsys not yet
// applied to db.
func Pending(ctx context.Context, db *sql.DB, fsys fs.FS, dir string) ([]string, error) {
	names, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	applied := map[string]bool{}
	rows, err := db.QueryContext(ctx, `SELECT name FROM schema_migrations`)
	if err == nil {
		defer rows.Close()
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return nil, err
			}
			applied[n] = true
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var out []string
	for _, n := range names {
		if !applied[n] {
			out = append(out, n)
		}
	}
	return out, nil
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
