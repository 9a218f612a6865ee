package main

import (
	"context"
	"fmt"
	"os"
	"os/user"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/bureau"
	"github.com/probity-dev/probity/identity"
	"github.com/probity-dev/probity/postgres"
	"github.com/probity-dev/probity/sqlite"
	"github.com/probity-dev/probity/sqlstore"
)

// installation is an opened data directory: its store and its services.
type installation struct {
	db     *sqlstore.DB
	signer *audit.Signer
	bureau *bureau.Bureau
}

// open opens the data directory, creating it, its keys and its database on
// first use, and records the keys in a new log.
func open(ctx context.Context, loc location) (*installation, error) {
	in, err := openStore(ctx, loc)
	if err != nil {
		return nil, err
	}
	if err := in.bureau.Init(cliContext(ctx)); err != nil {
		in.Close()
		return nil, err
	}
	return in, nil
}

// openStore opens the data directory without writing to the log, for the
// commands that only read it.
func openStore(ctx context.Context, loc location) (*installation, error) {
	dir := loc.Dir()
	master, err := identity.LoadOrCreateMasterKey(dir)
	if err != nil {
		return nil, err
	}
	signer, _, err := audit.LoadOrCreateSigner(dir)
	if err != nil {
		return nil, err
	}
	db, err := openDB(ctx, loc)
	if err != nil {
		return nil, err
	}
	in := &installation{db: db, signer: signer, bureau: bureau.New(db, identity.NewKeyRing(master), audit.NewLog(signer))}
	if loc.logOrigin != nil && *loc.logOrigin != "" {
		if err := in.bureau.SetOriginPrefix(*loc.logOrigin); err != nil {
			in.Close()
			return nil, err
		}
	}
	if err := in.bureau.LoadOrigin(ctx); err != nil {
		in.Close()
		return nil, err
	}
	return in, nil
}

// sqliteOptions are the embedded store's: a command waits
// sqlite.DefaultBusyTimeout for the write lock another process holds (a
// server, an ingest), then says so. Tests shorten the wait.
var sqliteOptions sqlite.Options

// openDB opens the shared database --db names, or the embedded one in the
// data directory.
func openDB(ctx context.Context, loc location) (*sqlstore.DB, error) {
	if *loc.db == "" {
		db, err := sqlite.OpenWith(ctx, loc.Dir(), sqliteOptions)
		if err != nil {
			return nil, err
		}
		return db.DB, nil
	}
	if *loc.maxConns < 1 {
		return nil, fmt.Errorf("--db-max-conns %d: want at least 1", *loc.maxConns)
	}
	if *loc.maxIdle < 0 {
		return nil, fmt.Errorf("--db-max-idle %d: want 0 (as many as --db-max-conns) or more", *loc.maxIdle)
	}
	db, err := postgres.Open(ctx, *loc.db, postgres.Options{MaxConns: *loc.maxConns, MaxIdle: *loc.maxIdle, NoMigrate: *loc.noMigrate})
	if err != nil {
		return nil, err
	}
	return db.DB, nil
}

func (in *installation) Close() error { return in.db.Close() }

// cliContext attaches the operator at the terminal as the actor.
func cliContext(ctx context.Context) context.Context {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	} else if h, err := os.Hostname(); err == nil {
		name = "@" + h
	}
	return probity.NewContextWithActor(ctx, probity.Actor{ID: fmt.Sprintf("cli:%s", name), Local: true})
}
