// Package postgres is the shared Store of Probity: PostgreSQL through pgx,
// for several Probity servers in front of one database. The tables and
// queries are sqlstore's, as for the embedded store; this package brings
// the schema in PostgreSQL's types, the write lock that keeps the audit log
// one sequence across servers, and bulk ingest through COPY.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// writeLock makes migrations take turns across every server on the
// database. (Writers of the logs lock only the log they append to: see
// LockLog.) The key is arbitrary and fixed ("probity" in ASCII).
const writeLock = `SELECT pg_advisory_xact_lock(31654937311621497)`

// Options tunes the connection pool.
type Options struct {
	// MaxConns caps open connections (0: 16). Each server holds at most
	// this many; the database's max_connections bounds the sum.
	MaxConns int
	// MaxIdle caps idle connections kept for reuse (0: MaxConns).
	MaxIdle int
	// ConnLifetime closes connections older than this (0: 30 minutes), so
	// that a fail-over or a pooler in front of the database is followed.
	ConnLifetime time.Duration
	// NoMigrate refuses to open a database with migrations pending instead
	// of applying them (probity migrate applies them).
	NoMigrate bool
}

// DB is the shared store.
type DB struct {
	*sqlstore.DB
}

var _ probity.Store = (*DB)(nil)

// IsDSN reports whether s names a PostgreSQL database (a postgres:// or
// postgresql:// URL).
func IsDSN(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Redact returns the DSN without its password, for messages.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://..."
	}
	return u.Redacted()
}

func openPool(dsn string, opt Options) (*sql.DB, error) {
	if !IsDSN(dsn) {
		return nil, probity.Errorf(probity.EINVALID, "--db: %q is not a PostgreSQL URL; want postgres://user@host:port/database", Redact(dsn))
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, probity.Errorf(probity.EINVALID, "--db %s: %v", Redact(dsn), err)
	}
	pool := stdlib.OpenDB(*cfg)
	if opt.MaxConns <= 0 {
		opt.MaxConns = 16
	}
	if opt.MaxIdle <= 0 || opt.MaxIdle > opt.MaxConns {
		opt.MaxIdle = opt.MaxConns
	}
	if opt.ConnLifetime <= 0 {
		opt.ConnLifetime = 30 * time.Minute
	}
	pool.SetMaxOpenConns(opt.MaxConns)
	pool.SetMaxIdleConns(opt.MaxIdle)
	pool.SetConnMaxLifetime(opt.ConnLifetime)
	return pool, nil
}

// Open connects to the database and applies pending migrations (unless
// opt.NoMigrate).
func Open(ctx context.Context, dsn string, opt Options) (*DB, error) {
	pool, err := openPool(dsn, opt)
	if err != nil {
		return nil, err
	}
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, probity.Errorf(probity.EUNAVAILABLE, "connect to %s: %v", Redact(dsn), err)
	}
	if opt.NoMigrate {
		pending, err := sqlstore.Pending(ctx, pool, migrations, "migrations")
		if err != nil {
			pool.Close()
			return nil, err
		}
		if len(pending) > 0 {
			pool.Close()
			return nil, probity.Errorf(probity.EUNAVAILABLE, "%s has %d migrations pending (%s): run probity migrate", Redact(dsn), len(pending), strings.Join(pending, ", "))
		}
	} else if err := sqlstore.Migrate(ctx, pool, migrations, "migrations", writeLock); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrate %s: %w", Redact(dsn), err)
	}
	db, err := sqlstore.New(ctx, pool, pool, sqlstore.Dialect{
		Name:          "postgres",
		Numbered:      true,
		LockLog:       `SELECT log FROM log_heads WHERE log = ? FOR UPDATE`,
		ViewIsolation: sql.LevelRepeatableRead,
		CopyEvents:    copyEvents,
		CopyPoints:    copyPoints,
		CopyLeaves:    copyLeaves,
		CopyAtLeast:   64,
		Unavailable:   unavailable,
		Migrations:    migrations,
	})
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &DB{db}, nil
}

// Migrate applies the pending migrations and returns their names.
func Migrate(ctx context.Context, dsn string) ([]string, error) {
	pool, err := openPool(dsn, Options{MaxConns: 2})
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	if err := pool.PingContext(ctx); err != nil {
		return nil, probity.Errorf(probity.EUNAVAILABLE, "connect to %s: %v", Redact(dsn), err)
	}
	pending, err := sqlstore.Pending(ctx, pool, migrations, "migrations")
	if err != nil {
		return nil, err
	}
	if err := sqlstore.Migrate(ctx, pool, migrations, "migrations", writeLock); err != nil {
		return nil, fmt.Errorf("migrate %s: %w", Redact(dsn), err)
	}
	return pending, nil
}

// copyEvents stores events with COPY into a session-local staging table,
// then one INSERT ... ON CONFLICT DO NOTHING from it, which COPY alone
// cannot do: a key the domain holds already must be skipped, not fail the
// whole batch.
func copyEvents(ctx context.Context, conn *sql.Conn, rows [][]any) ([]string, error) {
	var keys []string
	err := conn.Raw(func(driverConn any) error {
		sc, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return errors.New("postgres: the connection is not a pgx connection")
		}
		c := sc.Conn()
		if _, err := c.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS events_incoming (LIKE events INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`); err != nil {
			return err
		}
		if _, err := c.CopyFrom(ctx, pgx.Identifier{"events_incoming"}, sqlstore.EventInsertColumns, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		cols := strings.Join(sqlstore.EventInsertColumns, ", ")
		r, err := c.Query(ctx, `INSERT INTO events (`+cols+`) SELECT `+cols+` FROM events_incoming ON CONFLICT DO NOTHING RETURNING key`)
		if err != nil {
			return err
		}
		keys, err = pgx.CollectRows(r, pgx.RowTo[string])
		if err != nil {
			return err
		}
		_, err = c.Exec(ctx, `DELETE FROM events_incoming`)
		return err
	})
	return keys, err
}

// copyPoints appends points under a new version to many events: COPY into a
// session-local staging table, then one UPDATE joined with it.
func copyPoints(ctx context.Context, conn *sql.Conn, domain string, version int, points []probity.EventPoints) (int, error) {
	var n int
	err := conn.Raw(func(driverConn any) error {
		sc, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return errors.New("postgres: the connection is not a pgx connection")
		}
		c := sc.Conn()
		if _, err := c.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS points_incoming (pseudonym BYTEA, key TEXT COLLATE "C", pair BYTEA) ON COMMIT DELETE ROWS`); err != nil {
			return err
		}
		rows := make([][]any, len(points))
		for i, p := range points {
			rows[i] = []any{p.Subject[:], p.Key, sqlstore.EncodePoint(version, p.Raw)}
		}
		if _, err := c.CopyFrom(ctx, pgx.Identifier{"points_incoming"}, []string{"pseudonym", "key", "pair"}, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		tag, err := c.Exec(ctx, `UPDATE events e SET points = e.points || i.pair FROM points_incoming i WHERE e.domain = $1 AND e.pseudonym = i.pseudonym AND e.key = i.key`, domain)
		if err != nil {
			return err
		}
		n = int(tag.RowsAffected())
		_, err = c.Exec(ctx, `DELETE FROM points_incoming`)
		return err
	})
	return n, err
}

// copyLeaves appends leaves with COPY: their indexes follow the log's size
// under the write lock, so none can collide.
func copyLeaves(ctx context.Context, conn *sql.Conn, rows [][]any) error {
	return conn.Raw(func(driverConn any) error {
		sc, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return errors.New("postgres: the connection is not a pgx connection")
		}
		_, err := sc.Conn().CopyFrom(ctx, pgx.Identifier{"log_leaves"}, sqlstore.LeafInsertColumns, pgx.CopyFromRows(rows))
		return err
	})
}
