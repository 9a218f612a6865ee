package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/postgres"
	"golang.org/x/term"
)

// DefaultDataDir is where the embedded store and the keys live by default.
const DefaultDataDir = "./probity-data"

// newFlagSet returns a flag set that prints usage to w and reports errors
// instead of exiting.
func newFlagSet(name, usage string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprint(w, strings.TrimLeft(usage, "\n"))
		fmt.Fprintln(w, "\nFlags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parseArgs parses flags that may come before or after positional
// arguments, as users type them (`probity ingest events.ndjson --domain x`).
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, flag.ErrHelp // the flag package has printed the usage
			}
			return nil, fmt.Errorf("%s: %v (see probity %s -h)", fs.Name(), err, fs.Name())
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// location is where an installation lives: its data directory (the keys,
// and the embedded database unless --db names a shared one) and the
// database flags.
type location struct {
	dir       *string
	db        *string
	maxConns  *int
	maxIdle   *int
	noMigrate *bool
	// logOrigin is the logs' origin prefix asked for; nil or "" keeps the
	// installation's (or, on a new one, the default).
	logOrigin *string
}

// Dir is the data directory.
func (l location) Dir() string { return *l.dir }

// String names the store for messages: the directory, or the database
// without its password.
func (l location) String() string {
	if *l.db != "" {
		return postgres.Redact(*l.db) + " (keys in " + *l.dir + ")"
	}
	return *l.dir
}

// dataFlag registers --data (default PROBITY_DATA) and the database flags
// (--db, default PROBITY_DB) of every command that opens the store.
func (m *Main) dataFlag(fs *flag.FlagSet) *location {
	def := DefaultDataDir
	if v := m.Getenv("PROBITY_DATA"); v != "" {
		def = v
	}
	return &location{
		dir:       fs.String("data", def, "data directory: the keys, and the embedded database unless --db is given (env PROBITY_DATA)"),
		db:        fs.String("db", m.Getenv("PROBITY_DB"), "shared database instead of the embedded one: postgres://user@host:port/name (env PROBITY_DB)"),
		maxConns:  fs.Int("db-max-conns", 16, "with --db: most connections this process opens"),
		maxIdle:   fs.Int("db-max-idle", 0, "with --db: most idle connections kept (default: --db-max-conns)"),
		noMigrate: fs.Bool("no-migrate", false, "with --db: refuse to start if migrations are pending instead of applying them (probity migrate applies them)"),
		logOrigin: fs.String("log-origin", m.Getenv("PROBITY_LOG_ORIGIN"), "the logs' origin prefix, a schema-less URL such as example.org/probity, fixed when the installation's log begins; each log's origin is prefix/log (default localhost/<key name>; env PROBITY_LOG_ORIGIN)"),
	}
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// oneLine flattens an error to the single line the CLI prints; multi-line
// details (every spec error) follow on their own lines, indented.
func oneLine(err error) string {
	msg := err.Error()
	if probity.ErrorCode(err) != probity.EINTERNAL {
		msg = probity.ErrorMessage(err)
	}
	return strings.ReplaceAll(msg, "\n", "\n  ")
}

// subcommands runs the subcommand named by args[0], or prints usage: with no
// arguments (exit 2) or for -h (exit 0).
func (m *Main) subcommands(ctx context.Context, group, usage string, args []string, cmds map[string]func(context.Context, []string) error) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(m.Stdout, usage)
		if len(args) == 0 {
			return errUsage
		}
		return flag.ErrHelp
	}
	run, ok := cmds[args[0]]
	if !ok {
		return fmt.Errorf("%s: unknown subcommand %q; run probity %s -h", group, args[0], group)
	}
	return run(ctx, args[1:])
}

// bytesReader reads a byte slice.
func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
