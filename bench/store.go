package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/probity-dev/probity/postgres"
	"github.com/probity-dev/probity/sqlite"
	"github.com/probity-dev/probity/sqlstore"
)

// backend is where the bench's stores live: SQLite files in directories
// under the data directory, or scratch databases on a PostgreSQL server,
// created for the run and dropped at its end. The data directory holds the
// keys either way.
type backend struct {
	dir     string
	tempDir bool // created by the bench, removed at the end
	server  string
	admin   *sql.DB // the server, to create and drop scratch databases
	prefix  string  // of the scratch databases' names
	conns   int     // connections of each store's pools
}

// newBackend prepares the data directory (a new temporary one unless dir
// is given, which must be empty or missing) and connects to the server.
func newBackend(ctx context.Context, dir, server string, conns int) (*backend, error) {
	b := &backend{dir: dir, server: server, conns: conns}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "probity-bench-")
		if err != nil {
			return nil, err
		}
		b.dir, b.tempDir = tmp, true
	} else if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("--data %s is not empty; the bench needs a new or empty directory (it keeps it afterwards)", dir)
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if server == "" {
		return b, nil
	}
	if !postgres.IsDSN(server) {
		b.close(ctx)
		return nil, fmt.Errorf("--db: %q is not a PostgreSQL URL; want postgres://user@host:port/database (the bench creates scratch databases there)", postgres.Redact(server))
	}
	admin, err := sql.Open("pgx", server)
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		b.close(ctx)
		return nil, fmt.Errorf("connect to %s: %v", postgres.Redact(server), err)
	}
	suffix := make([]byte, 4)
	rand.Read(suffix)
	b.admin, b.prefix = admin, "probity_bench_"+hex.EncodeToString(suffix)
	return b, nil
}

// Engine names the backend's engine.
func (b *backend) Engine() string {
	if b.server != "" {
		return "postgres"
	}
	return "sqlite"
}

// close removes a temporary data directory and disconnects.
func (b *backend) close(ctx context.Context) error {
	var err error
	if b.admin != nil {
		err = b.admin.Close()
	}
	if b.tempDir {
		if rerr := os.RemoveAll(b.dir); err == nil {
			err = rerr
		}
	}
	return err
}

// store is one store of the bench: Probity's, and a plain connection pool
// to the same database for the baselines.
type store struct {
	db      *sqlstore.DB
	plain   *sql.DB
	engine  string
	path    string // SQLite: the database file
	conns   int
	release func(context.Context) error
}

// open creates a new, empty store called name.
func (b *backend) open(ctx context.Context, name string) (*store, error) {
	if b.server == "" {
		return b.openSQLite(ctx, name)
	}
	return b.openPostgres(ctx, name)
}

func (b *backend) openSQLite(ctx context.Context, name string) (*store, error) {
	dir := filepath.Join(b.dir, name)
	db, err := sqlite.Open(ctx, dir)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "query_only(ON)")
	plain, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName)+"?"+q.Encode())
	if err != nil {
		db.Close()
		return nil, err
	}
	plain.SetMaxOpenConns(b.conns)
	plain.SetMaxIdleConns(b.conns)
	release := func(context.Context) error {
		plain.Close()
		err := db.Close()
		if b.tempDir {
			os.RemoveAll(dir)
		}
		return err
	}
	return &store{db: db.DB, plain: plain, engine: "sqlite", path: filepath.Join(dir, sqlite.FileName), conns: b.conns, release: release}, nil
}

func (b *backend) openPostgres(ctx context.Context, name string) (*store, error) {
	dbName := b.prefix + "_" + strings.ReplaceAll(name, "-", "_")
	if _, err := b.admin.ExecContext(ctx, "CREATE DATABASE "+dbName); err != nil {
		return nil, fmt.Errorf("create scratch database %s: %v", dbName, err)
	}
	drop := func(ctx context.Context) error {
		_, err := b.admin.ExecContext(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+dbName+" WITH (FORCE)")
		return err
	}
	u, err := url.Parse(b.server)
	if err != nil {
		drop(ctx)
		return nil, err
	}
	u.Path = "/" + dbName
	dsn := u.String()
	db, err := postgres.Open(ctx, dsn, postgres.Options{MaxConns: b.conns})
	if err != nil {
		drop(ctx)
		return nil, err
	}
	plain, err := sql.Open("pgx", dsn)
	if err != nil {
		db.Close()
		drop(ctx)
		return nil, err
	}
	plain.SetMaxOpenConns(b.conns)
	plain.SetMaxIdleConns(b.conns)
	release := func(ctx context.Context) error {
		plain.Close()
		db.Close()
		return drop(ctx)
	}
	return &store{db: db.DB, plain: plain, engine: "postgres", conns: b.conns, release: release}, nil
}

// writer returns a pool that writes the store's database directly, for the
// baselines that write: on SQLite a connection of its own with the pragmas
// of Probity's writer (WAL, synchronous=NORMAL, the same page cache), so
// that the baseline pays the same durability; on PostgreSQL the plain pool.
// done closes what writer opened.
func (s *store) writer() (w *sql.DB, done func(), err error) {
	if s.engine != "sqlite" {
		return s.plain, func() {}, nil
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "cache_size(-65536)", "temp_store(MEMORY)"} {
		q.Add("_pragma", p)
	}
	w, err = sql.Open("sqlite", "file:"+s.path+"?"+q.Encode()+"&_txlock=immediate")
	if err != nil {
		return nil, nil, err
	}
	w.SetMaxOpenConns(1)
	return w, func() { w.Close() }, nil
}

// close closes the store's pools and drops it unless the data directory is kept.
func (s *store) close(ctx context.Context) error { return s.release(ctx) }
