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
	stop         chan struct{}
	stopped      chan struct{}
}

// CheckpointEvery is how often the WAL is copied back into the database,
// off the commit path: with SQLite's automatic checkpoints, the commit that
// crosses the threshold copies pages and syncs the file, and every read
// waiting for its leaf waits for that too.
const CheckpointEvery = 500 * time.Millisecond

var _ probity.Store = (*DB)(nil)

// Open opens (creating if needed) the store in dir and applies migrations.
func Open(ctx context.Context, dir string) (*DB, error) {
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
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "synchronous(NORMAL)", "foreign_keys(ON)", "cache_size(-65536)", "temp_store(MEMORY)"} {
		q.Add("_pragma", p)
	}
	checkpointer, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	checkpointer.SetMaxOpenConns(1)
	w := url.Values{"_pragma": append(q["_pragma"][:len(q["_pragma"]):len(q["_pragma"])], "wal_autocheckpoint(0)")}
	write, err := sql.Open("sqlite", "file:"+path+"?"+w.Encode()+"&_txlock=immediate")
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
	read.SetMaxIdleConns(8) // a connection is costly to open: the pragmas, then every statement prepared again
	if err := sqlstore.Migrate(ctx, write, migrations, "migrations", ""); err != nil {
		write.Close()
		read.Close()
		checkpointer.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	db, err := sqlstore.New(ctx, write, read, sqlstore.Dialect{Name: "sqlite", Prepare: true})
	if err != nil {
		write.Close()
		read.Close()
		checkpointer.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	d := &DB{DB: db, checkpointer: checkpointer, stop: make(chan struct{}), stopped: make(chan struct{})}
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
// PASSIVE mode: never waiting for readers or the writer.
func (db *DB) checkpoints() {
	defer close(db.stopped)
	t := time.NewTicker(CheckpointEvery)
	defer t.Stop()
	for {
		select {
		case <-db.stop:
			return
		case <-t.C:
			db.checkpointer.Exec(`PRAGMA wal_checkpoint(PASSIVE)`) // a busy database is checkpointed next time
		}
	}
}

// stopCheckpoints stops the checkpoints when the store closes.
func (db *DB) stopCheckpoints() error {
	close(db.stop)
	<-db.stopped
	return db.checkpointer.Close()
}
