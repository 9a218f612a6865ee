// Command probity runs the Probity credit and trust rating system: the API
// server, the demo, and the commands that apply specs, ingest events and read
// scores. This package only wires the other packages together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// errUsage reports that help was printed; the exit status is still 2 when
// the usage was wrong and 0 for -h.
var errUsage = errors.New("usage")

// defaultGCPercent is the garbage collector's target unless GOGC says
// otherwise. Probity's live heap is small (a few tens of MB) and a score
// allocates freely, so Go's default of 100 collects every few milliseconds
// under load; 400 trades a few MB for about 30% more scores a second and a
// shorter tail (measured with probity bench, BENCHMARKS.md).
const defaultGCPercent = 400

// defaultMemoryLimit bounds what the larger GC target costs on big jobs
// (verifying or rescoring a large store): near it the collector runs as
// often as it must, whatever GOGC says. GOMEMLIMIT overrides it.
const defaultMemoryLimit = 2 << 30

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := NewMain()
	if err := m.Run(ctx, os.Args[1:]); err == flag.ErrHelp {
		os.Exit(0)
	} else if err == errUsage {
		os.Exit(2)
	} else if err != nil {
		fmt.Fprintln(m.Stderr, "probity:", oneLine(err))
		os.Exit(1)
	}
}

// Main is the program with its standard streams, so tests can run commands
// in-process.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads the environment (PROBITY_DATA).
	Getenv func(string) string
	// Terminal reports whether progress bars may be drawn.
	Terminal bool
	// logJSON makes the server's log JSON (serve --log-format json).
	logJSON bool
}

// NewMain returns a Main on the process's streams.
func NewMain() *Main {
	return &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Terminal: isTerminal(os.Stderr)}
}

// Run dispatches to a subcommand.
func (m *Main) Run(ctx context.Context, args []string) error {
	cmd, rest := "", []string(nil)
	if len(args) > 0 {
		cmd, rest = args[0], args[1:]
	}
	switch cmd {
	case "audit":
		return (&AuditCommand{m: m}).Run(ctx, rest)
	case "backup":
		return (&BackupCommand{m: m}).Run(ctx, rest)
	case "bench":
		return (&BenchCommand{m: m}).Run(ctx, rest)
	case "consent":
		return (&ConsentCommand{m: m}).Run(ctx, rest)
	case "demo":
		return (&DemoCommand{m: m}).Run(ctx, rest)
	case "dispute":
		return (&DisputeCommand{m: m}).Run(ctx, rest)
	case "domain":
		return (&DomainCommand{m: m}).Run(ctx, rest)
	case "erase":
		return (&EraseCommand{m: m}).Run(ctx, rest)
	case "ingest":
		return (&IngestCommand{m: m}).Run(ctx, rest)
	case "migrate":
		return (&MigrateCommand{m: m}).Run(ctx, rest)
	case "official":
		return (&OfficialCommand{m: m}).Run(ctx, rest)
	case "order":
		return (&OrderCommand{m: m}).Run(ctx, rest)
	case "correct":
		return (&CorrectCommand{m: m}).Run(ctx, rest)
	case "opt-out":
		return (&OptOutCommand{m: m}).Run(ctx, rest)
	case "report":
		return (&ReportCommand{m: m}).Run(ctx, rest)
	case "retract":
		return (&RetractCommand{m: m}).Run(ctx, rest)
	case "score":
		return (&ScoreCommand{m: m}).Run(ctx, rest)
	case "serve":
		return (&ServeCommand{m: m}).Run(ctx, rest)
	case "statement":
		return (&StatementCommand{m: m}).Run(ctx, rest)
	case "token":
		return (&TokenCommand{m: m}).Run(ctx, rest)
	case "version":
		return (&VersionCommand{m: m}).Run(ctx, rest)
	case "", "help", "-h", "-help", "--help":
		fmt.Fprint(m.Stdout, usage)
		if cmd == "" {
			return errUsage
		}
		return flag.ErrHelp
	default:
		fmt.Fprint(m.Stderr, usage)
		return fmt.Errorf("unknown command %q; run probity -h", cmd)
	}
}

const usage = `Probity: credit and trust ratings with checks and balances.

Usage:

	probity <command> [arguments]

Commands:

	audit     verify, show and watch the tamper-evident log
	backup    copy the installation while it serves, and verify the copy
	bench     measure Probity against plain-database baselines on one population
	consent   grant or revoke a subject's consent to another domain's readers
	demo      set up example domains and a synthetic population, then serve the API
	dispute   file, list and resolve disputes of entries
	domain    apply a domain spec (probity domain apply SPEC.yaml)
	erase     erase a subject's record in a consent-based domain
	ingest    ingest events from an NDJSON or CSV file
	migrate   apply pending schema migrations (servers also apply them at start)
	official  record officials' terms of office, list the roster
	order     issue and lift court orders; check a restriction
	correct   rectify an entry with a correcting one
	opt-out   opt a subject out of a domain that allows it, or back in
	report    show everything every domain holds about a subject
	retract   withdraw an entry reported in error
	score     show a subject's score with its explanation
	serve     serve the JSON API
	statement get, present, revoke and verify a signed statement of a subject's standing
	token     create, list and revoke principals' tokens; issue subject tokens
	version   print the version, the commit and the Go toolchain

Every command takes --data DIR (default ./probity-data, or $PROBITY_DATA):
the keys, and the embedded database. With --db postgres://... (or
$PROBITY_DB) the store is a shared PostgreSQL database instead, and the keys
stay in --data; copy them to every server of one installation.
Run probity <command> -h for a command's flags.
`
