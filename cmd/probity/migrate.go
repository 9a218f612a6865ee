package main

import (
	"context"
	"fmt"

	"github.com/probity-dev/probity/postgres"
	"github.com/probity-dev/probity/sqlite"
)

// MigrateCommand applies the store's pending migrations. Servers apply them
// when they start unless told not to (--no-migrate); an operator who rolls
// out a new version to several servers runs this once first.
type MigrateCommand struct{ m *Main }

const migrateUsage = `Usage: probity migrate [--db URL | --data DIR]

Apply the schema migrations the store lacks and list them. With --db (or
PROBITY_DB) the shared PostgreSQL database; otherwise the embedded database
in the data directory. Safe to run while servers are running and from
several places at once: each migration is applied once, under a lock.
`

// Run applies the migrations.
func (c *MigrateCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("migrate", migrateUsage, c.m.Stdout)
	loc := c.m.dataFlag(fs)
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	} else if len(args) > 0 {
		return fmt.Errorf("migrate: unexpected argument %q (see probity migrate -h)", args[0])
	}
	if *loc.db == "" {
		db, err := sqlite.Open(ctx, loc.Dir())
		if err != nil {
			return err
		}
		fmt.Fprintf(c.m.Stdout, "%s: schema up to date\n", loc)
		return db.Close()
	}
	applied, err := postgres.Migrate(ctx, *loc.db)
	if err != nil {
		return err
	}
	for _, name := range applied {
		fmt.Fprintf(c.m.Stdout, "applied %s\n", name)
	}
	fmt.Fprintf(c.m.Stdout, "%s: schema up to date (%d migrations applied now)\n", postgres.Redact(*loc.db), len(applied))
	return nil
}
