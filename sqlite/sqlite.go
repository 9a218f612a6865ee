// Package sqlite is the embedded Store of Probity: SQLite in WAL mode in one
// file under the data directory, through the pure-Go modernc.org/sqlite
// driver. The tables and queries are sqlstore's; this package opens the
// file, tunes it and applies its migrations.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/sqlstore"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// FileName is the database file's name within the data directory.
const FileName = "probity.db"

// DB is the embedded store. Writes go through one connection (SQLite has one
// writer); reads use a pool of connections that see WAL snapshots.
type DB struct {
	*sqlstore.DB
	checkpointer *sql.DB
	wal          string
	maxWAL       int64
	stop         chan struct{}
	stopped      chan struct{}
}

// CheckpointEvery is how often the WAL is copied back into the database,
// off the commit path: with SQLite's automatic checkpoints, the commit that
// crosses the threshold copies pages and syncs the file, and every read
// waiting for its leaf waits for that too.
const CheckpointEvery = 500 * time.Millisecond

// Defaults of Options.
const (
	// DefaultBusyTimeout is how long a transaction waits for the write
	// lock another process holds: long enough for another command's
	// transaction, short enough that a command run during a long upload
	// says why it cannot go on instead of hanging.
	DefaultBusyTimeout = 10 * time.Second
	// DefaultMaxWAL bounds the WAL file.
	DefaultMaxWAL = 64 << 20
	// checkpointWait is the longest a truncating checkpoint waits for the
	// writer and for the readers of older snapshots; commits wait for it
	// meanwhile, so it is kept short, and a checkpoint that gives up is
	// tried again after a pause that doubles (see checkpoints).
	checkpointWait = time.Second
)

// Options tunes the embedded store. The zero value is the default.
type Options struct {
	// BusyTimeout is how long a transaction (and opening the store, which
	// applies migrations) waits for the write lock another process (a
	// server, an ingest) holds before it fails with an EUNAVAILABLE error
	// saying so (0: DefaultBusyTimeout).
	BusyTimeout time.Duration
	// MaxWAL bounds the WAL file in bytes (0: DefaultMaxWAL). Under a steady
	// stream of reads and writes the background PASSIVE checkpoints never
	// let the WAL start over, and it would grow without end; past MaxWAL the
	// checkpointer waits briefly for the writer and the readers and empties
	// it (TRUNCATE), and a WAL that starts over is cut back to MaxWAL
	// (journal_size_limit).
	MaxWAL int64
}

var _ probity.Store = (*DB)(nil)

// Open opens (creating if needed) the store in dir and applies migrations,
// with the default Options.
func Open(ctx context.Context, dir string) (*DB, error) {
	return OpenWith(ctx, dir, Options{})
}

// OpenWith opens (creating if needed) the store in dir and applies
// migrations. If another process holds the write lock for longer than
// opt.BusyTimeout, it returns an EUNAVAILABLE error that says so.
func OpenWith(ctx context.Context, dir string, opt Options) (*DB, error) {
	if opt.BusyTimeout <= 0 {
		opt.BusyTimeout = DefaultBusyTimeout
	}
	if opt.MaxWAL <= 0 {
		opt.MaxWAL = DefaultMaxWAL
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	if err := privateFiles(path); err != nil {
		return nil, err
	}
	// WAL with synchronous=NORMAL: a killed process loses nothing that was
	// committed and never leaves half a transaction; a power cut may lose
	// the last transactions (never half of one). Every read of personal
	// data is a write (its leaf), so a sync per commit would cap reads.
	pragmas := []string{"journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(ON)", "cache_size(-65536)", "temp_store(MEMORY)",
		fmt.Sprintf("journal_size_limit(%d)", opt.MaxWAL)}
	dsn := func(busy time.Duration, more ...string) string {
		q := url.Values{}
		for _, p := range append(append([]string{fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds())}, pragmas...), more...) {
			q.Add("_pragma", p)
		}
		return "file:" + path + "?" + q.Encode()
	}
	checkpointer, err := sql.Open("sqlite", dsn(min(checkpointWait, opt.BusyTimeout)))
	if err != nil {
		return nil, err
	}
	checkpointer.SetMaxOpenConns(1)
	write, err := sql.Open("sqlite", dsn(opt.BusyTimeout, "wal_autocheckpoint(0)")+"&_txlock=immediate")
	if err != nil {
		checkpointer.Close()
		return nil, err
	}
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", dsn(opt.BusyTimeout, "query_only(ON)"))
	if err != nil {
		write.Close()
		checkpointer.Close()
		return nil, err
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8) // a connection is costly to open: the pragmas, then every statement prepared again
	if err := sqlstore.Migrate(ctx, write, migrations, "migrations", ""); err != nil {
		write.Close()
		read.Close()
		checkpointer.Close()
		if unavailable(err) == sqlstore.StorageBusy {
			return nil, &sqlstore.StorageError{Cause: err, Err: probity.Errorf(probity.EUNAVAILABLE,
				"%s is busy: another process (a server or an ingest) holds the database's write lock, and it was not released within %s; "+
					"retry when that process is done, or stop it", path, opt.BusyTimeout)}
		}
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	db, err := sqlstore.New(ctx, write, read, sqlstore.Dialect{Name: "sqlite", Prepare: true, Unavailable: unavailable, Migrations: migrations})
	if err != nil {
		write.Close()
		read.Close()
		checkpointer.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	d := &DB{DB: db, checkpointer: checkpointer, wal: path + "-wal", maxWAL: opt.MaxWAL, stop: make(chan struct{}), stopped: make(chan struct{})}
	go d.checkpoints()
	db.OnClose(d.stopCheckpoints)
	return d, nil
}

// privateFiles makes the database file, and its -wal and -shm files where
// they exist, mode 0600 whatever the directory's mode or the umask:
// creating the database file first, private, makes SQLite create the other
// two with its mode (it gives a database's journal files the database
// file's permissions).
func privateFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	f.Close()
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(name, 0o600); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("make %s private: %w", name, err)
		}
	}
	return nil
}

// checkpoints copies the WAL into the database every CheckpointEvery, in
// PASSIVE mode: never waiting for readers or the writer. PASSIVE never
// makes the WAL start over while writes and reads keep coming, so once the
// file is past maxWAL a TRUNCATE checkpoint also runs: it waits up to
// checkpointWait for the writer's transaction and for readers of older
// snapshots (commits wait for it meanwhile), then empties the file. One
// that gives up (a long read, a long ingest) is tried again after a pause
// that doubles up to a minute, so that commits are not held up every tick.
func (db *DB) checkpoints() {
	defer close(db.stopped)
	t := time.NewTicker(CheckpointEvery)
	defer t.Stop()
	pause, skip := 0, 0
	for {
		select {
		case <-db.stop:
			return
		case <-t.C:
			db.checkpointer.Exec(`PRAGMA wal_checkpoint(PASSIVE)`) // a busy database is checkpointed next time
			if skip > 0 {
				skip--
				continue
			}
			if info, err := os.Stat(db.wal); err != nil || info.Size() <= db.maxWAL {
				continue
			}
			if db.truncate() {
				pause = 0
			} else {
				pause = min(max(2*pause, 1), int(time.Minute/CheckpointEvery))
				skip = pause
			}
		}
	}
}

// truncate runs a TRUNCATE checkpoint and reports whether it completed.
func (db *DB) truncate() bool {
	var busy, frames, copied int
	err := db.checkpointer.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &copied)
	return err == nil && busy == 0
}

// stopCheckpoints stops the checkpoints when the store closes.
func (db *DB) stopCheckpoints() error {
	close(db.stop)
	<-db.stopped
	return db.checkpointer.Close()
}
