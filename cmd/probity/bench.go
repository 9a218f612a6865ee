package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/probity-dev/probity/bench"
	"github.com/probity-dev/probity/postgres"
)

// The bench drives its servers from a child process, this program started
// again as a load generator, so that the CPU it measures is the servers'
// alone; in that child LoadGenMain runs the load and exits.
func init() { bench.LoadGenMain() }

// BenchCommand runs the benchmark: Probity against plain-database
// baselines, measured in the same run on the same data.
type BenchCommand struct{ m *Main }

const benchUsage = `Usage: probity bench [--subjects N] [--events-per-subject N] [--domains N]
                     [--concurrency N] [--duration D] [--sizes N,N,...] [--load-events N]
                     [--db postgres://SERVER] [--data DIR] [--json FILE] [--cpuprofile FILE]

Generate a deterministic population, store it, then measure each scenario
against a baseline on the same data in the same run, and print one table
with each of DESIGN.md's performance targets beside its baseline, met or
not: ingest against a raw insert of the event rows alone into the same
engine, and the log's storage against the events'; scores with their
explanation in-process (--concurrency callers) against a hand-written SQL
query, whose scores must agree with Probity's or the run fails; the score
over HTTP, probity serve's handler against a bare net/http server running
the same query on the same store (the same answers, or the run fails), each
driven alone by the same load generator at 1, 4 and 16 clients: p50, p95,
p99, requests/s, server CPU per request, and the bytes each logged read
adds to the store; the score's p99 at each of --sizes subjects; rescoring
after a spec change against the same rules in plain Go; audit verification
against a bare streaming scan that rehashes the same leaves; the score's
latency while one file of --load-events events is ingested into the same
domain, against the same at rest; and the peak heap of each.

It works in a temporary directory unless --data names a new or empty one to
keep. With --db it runs on that PostgreSQL server, in scratch databases it
creates (CREATE DATABASE probity_bench_...) and drops at the end.
`

// Run runs the bench.
func (c *BenchCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("bench", benchUsage, c.m.Stdout)
	opts := bench.Options{Stdout: c.m.Stdout, Log: c.m.Stderr, Command: benchCommandLine(args)}
	fs.IntVar(&opts.Subjects, "subjects", bench.DefaultSubjects, "subjects of the population")
	fs.IntVar(&opts.EventsPerSubject, "events-per-subject", bench.DefaultEventsPerSubject, "events of each subject in each domain")
	fs.IntVar(&opts.Domains, "domains", 1, "domains the population is reported in (copies of the bench domain)")
	fs.IntVar(&opts.Concurrency, "concurrency", bench.DefaultConcurrency, "concurrent callers of the score scenarios")
	fs.DurationVar(&opts.Duration, "duration", bench.DefaultDuration, "how long each timed loop of the score scenarios runs")
	fs.DurationVar(&opts.Timeout, "timeout", 0, "stop the whole run after this long (default: no limit)")
	fs.Uint64Var(&opts.Seed, "seed", bench.DefaultSeed, "seed of the population")
	fs.IntVar(&opts.LoadEvents, "load-events", 0, "events of the file ingested while scores are read (default: as many as the population, at most 1000000)")
	sizes := fs.String("sizes", "", "subject counts of the latency-against-size scenario, e.g. 10k,100k,1M (default: skip it)")
	fs.StringVar(&opts.DB, "db", "", "PostgreSQL server to run on, postgres://user@host:port/db (default: embedded SQLite)")
	fs.StringVar(&opts.Data, "data", "", "directory to work in and keep, new or empty (default: a temporary one)")
	fs.StringVar(&opts.JSON, "json", "", "also write the result as JSON to this file")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof reads it)")
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return fmt.Errorf("bench: unexpected argument %q (see probity bench -h)", args[0])
	}
	if opts.Sizes, err = bench.ParseSizes(*sizes); err != nil {
		return err
	}
	// Zero is a value a user typed, not "the default": refuse it.
	for name, v := range map[string]int{"subjects": opts.Subjects, "events-per-subject": opts.EventsPerSubject, "domains": opts.Domains, "concurrency": opts.Concurrency} {
		if v < 1 {
			return fmt.Errorf("bench: --%s %d: want 1 or more (see probity bench -h)", name, v)
		}
	}
	if opts.Seed == 0 {
		return fmt.Errorf("bench: --seed 0: want 1 or more")
	}
	if opts.Duration <= 0 {
		return fmt.Errorf("bench: --duration %s: want more than 0, e.g. 3s", opts.Duration)
	}
	if opts.Data != "" {
		if info, err := os.Stat(opts.Data); err == nil && !info.IsDir() {
			return fmt.Errorf("bench: --data %s is a file; want a new or empty directory", opts.Data)
		}
	}
	if opts.JSON != "" {
		// Fail now, not after a run of minutes.
		f, err := os.OpenFile(opts.JSON, os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("bench: --json: %v", err)
		}
		f.Close()
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %v", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %v", err)
		}
		defer pprof.StopCPUProfile()
	}
	_, err = bench.Run(ctx, opts)
	return err
}

// benchCommandLine is the command line printed above the table, with the
// password of a --db URL hidden.
func benchCommandLine(args []string) string {
	out := []string{"probity bench"}
	for i, a := range args {
		switch {
		case strings.HasPrefix(a, "--db=") || strings.HasPrefix(a, "-db="):
			name, value, _ := strings.Cut(a, "=")
			a = name + "=" + postgres.Redact(value)
		case i > 0 && (args[i-1] == "--db" || args[i-1] == "-db"):
			a = postgres.Redact(a)
		}
		out = append(out, a)
	}
	return strings.Join(out, " ")
}
