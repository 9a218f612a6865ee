// Package bench is Probity's benchmark: it generates a deterministic
// population, stores it, and measures each scenario of DESIGN.md's
// performance targets against a baseline measured in the same run on the
// same data, printing each target beside its baseline, met or not: ingest
// against a raw insert of the event rows alone into the same engine, and
// the log's storage against the events'; scores with their explanation
// against a hand-written SQL query in-process, and served over HTTP against
// a bare net/http server running that query on the same store (both must
// answer the same scores, or the run fails), with server CPU per request
// and the bytes each logged read adds; the score's latency at several store
// sizes and during a large ingest; rescoring after a spec change against
// the same rules in plain Go; and audit verification against a bare
// streaming scan that rehashes the same leaves. It prints one table; the
// command is `probity bench`.
//
// Timings are figures to compare, never asserted: the tests run it small.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/probity-dev/probity/spec"
)

// Defaults of Options.
const (
	DefaultSubjects         = 10000
	DefaultEventsPerSubject = 20
	DefaultConcurrency      = 8
	DefaultDuration         = 3 * time.Second
	DefaultSeed             = 1
)

// Options shape a run of the bench.
type Options struct {
	Subjects         int
	EventsPerSubject int
	// Domains is how many copies of the bench domain the population is
	// reported in, each subject having EventsPerSubject events in each.
	Domains int
	// Concurrency is how many callers the score scenarios run at once.
	Concurrency int
	// Duration is how long each timed loop of the score scenarios runs.
	Duration time.Duration
	// Timeout, if set, bounds the whole run.
	Timeout time.Duration
	// LoadEvents is about how many events the score-under-load scenario
	// ingests into the bench domain while it reads (0: as many as the
	// population has, at most 1,000,000).
	LoadEvents int
	// Sizes are the subject counts of the latency against size scenario;
	// none skips it.
	Sizes []int
	Seed  uint64
	// Anchor is when the population's six-year histories end (default
	// the start of the current UTC day); it must not be in the future.
	Anchor time.Time
	// DB names a PostgreSQL server to run on (postgres://...): the bench
	// creates scratch databases there and drops them at the end. Empty:
	// SQLite.
	DB string
	// Data is a directory to work in and keep (new or empty); empty: a
	// temporary directory, removed at the end.
	Data string
	// JSON, if set, is a file the result is written to.
	JSON string
	// Command is the command line shown above the table.
	Command string
	// Stdout receives the table; Log, if set, progress lines.
	Stdout io.Writer
	Log    io.Writer
}

// withDefaults fills in unset options and checks the rest.
func (o Options) withDefaults(now time.Time) (Options, error) {
	o.Subjects = cmpOr(o.Subjects, DefaultSubjects)
	o.EventsPerSubject = cmpOr(o.EventsPerSubject, DefaultEventsPerSubject)
	o.Domains = cmpOr(o.Domains, 1)
	o.Concurrency = cmpOr(o.Concurrency, DefaultConcurrency)
	o.Duration = cmpOr(o.Duration, DefaultDuration)
	o.Seed = cmpOr(o.Seed, DefaultSeed)
	o.LoadEvents = cmpOr(o.LoadEvents, min(o.Subjects*o.EventsPerSubject, 1_000_000))
	if o.Anchor.IsZero() {
		o.Anchor = now.UTC().Truncate(24 * time.Hour)
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(o.Subjects > 0 && o.Subjects <= 100_000_000, "--subjects %d: want 1 to 100000000", o.Subjects)
	check(o.EventsPerSubject > 0 && o.EventsPerSubject <= 1000, "--events-per-subject %d: want 1 to 1000", o.EventsPerSubject)
	check(o.Domains > 0 && o.Domains <= 100, "--domains %d: want 1 to 100", o.Domains)
	check(o.LoadEvents > 0 && o.LoadEvents <= 100_000_000, "--load-events %d: want 1 to 100000000", o.LoadEvents)
	check(o.Concurrency > 0 && o.Concurrency <= 1024, "--concurrency %d: want 1 to 1024", o.Concurrency)
	check(o.Duration > 0, "--duration %s: want more than 0", o.Duration)
	check(o.Timeout >= 0, "--timeout %s: want 0 (none) or more", o.Timeout)
	check(!o.Anchor.After(now), "anchor %s is in the future; events report facts that have happened", o.Anchor.Format(time.RFC3339))
	for _, n := range o.Sizes {
		check(n > 0 && n <= 100_000_000, "--sizes: %d subjects: want 1 to 100000000", n)
	}
	return o, errors.Join(errs...)
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// ParseSizes reads a comma-separated list of subject counts, each a whole
// number with an optional k (thousand) or M (million): "10k,100k,1M".
func ParseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		field := f
		mult := 1
		switch {
		case strings.HasSuffix(f, "k"):
			f, mult = strings.TrimSuffix(f, "k"), 1000
		case strings.HasSuffix(f, "M"):
			f, mult = strings.TrimSuffix(f, "M"), 1_000_000
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 || n > 100_000_000/mult {
			return nil, fmt.Errorf("--sizes: %q is not a number of subjects from 1 to 100M; want e.g. 10000,100k,1M", field)
		}
		if slices.Contains(out, n*mult) {
			return nil, fmt.Errorf("--sizes: %d subjects twice; give each size once", n*mult)
		}
		out = append(out, n*mult)
	}
	return out, nil
}

// runner is one run of the bench.
type runner struct {
	opts     Options
	be       *backend
	keys     *keys
	main     *site
	compiled []*spec.Compiled // version 1 of each main domain
}

func (r *runner) logf(format string, args ...any) {
	if r.opts.Log != nil {
		fmt.Fprintf(r.opts.Log, "bench: "+format+"\n", args...)
	}
}

// Run runs the bench, prints its table to opts.Stdout and writes opts.JSON.
// It fails if a baseline disagrees with Probity (the SQL scores, the
// rescoring count, the log's root) or if verification finds a problem.
func Run(ctx context.Context, opts Options) (*Result, error) {
	opts, err := opts.withDefaults(time.Now())
	if err != nil {
		return nil, err
	}
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	// Each store's pool: enough for the callers, but bounded, since a
	// PostgreSQL server allows 100 connections by default and a run opens
	// two stores at once.
	be, err := newBackend(ctx, opts.Data, opts.DB, min(32, max(16, opts.Concurrency+4)))
	if err != nil {
		return nil, err
	}
	defer be.close(ctx)
	r := &runner{opts: opts, be: be}
	res, err := r.run(ctx)
	if err != nil {
		return nil, err
	}
	res.printTable(opts.Stdout)
	if opts.JSON != "" {
		if err := res.writeJSON(opts.JSON); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// run sets up the main site and runs every scenario in turn.
func (r *runner) run(ctx context.Context) (*Result, error) {
	o := r.opts
	pop := Population{Subjects: o.Subjects, EventsPerSubject: o.EventsPerSubject, Domains: o.Domains, Seed: o.Seed, Anchor: o.Anchor}
	res := &Result{Command: o.Command, Population: pop, Events: pop.Total(), Machine: Machine{
		CPUs: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH, Go: runtime.Version(), Engine: r.be.Engine()}}
	res.printHeader(o.Stdout)
	var err error
	if r.keys, err = loadKeys(r.be.dir); err != nil {
		return nil, err
	}
	if r.main, err = newSite(ctx, r.be, r.keys, "main", pop); err != nil {
		return nil, err
	}
	defer r.main.close(ctx)
	for _, id := range r.main.domains {
		c, err := compiled(id)
		if err != nil {
			return nil, err
		}
		r.compiled = append(r.compiled, c)
	}
	rows, err := r.ingest(ctx)
	if err != nil {
		return nil, err
	}
	res.Rows = append(res.Rows, rows...)
	r.main.settle()
	res.AsOf = r.main.asOf
	// underLoad comes last: it adds the file it ingests to the store.
	scenarios := []func(context.Context) ([]Row, error){r.score, r.overHTTP, r.sizes, one(r.rescore), r.verify, r.underLoad}
	for _, scenario := range scenarios {
		rows, err := scenario(ctx)
		if err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, rows...)
	}
	return res, nil
}

// one makes a scenario of one row a scenario of rows.
func one(f func(context.Context) (Row, error)) func(context.Context) ([]Row, error) {
	return func(ctx context.Context) ([]Row, error) {
		row, err := f(ctx)
		if err != nil {
			return nil, err
		}
		return []Row{row}, nil
	}
}
