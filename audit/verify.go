package audit

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/probity-dev/probity"
	"golang.org/x/mod/sumdb/note"
)

// MaxProblems bounds how many problems a report lists; the count is exact.
const MaxProblems = 100

// Report is the outcome of a verification.
type Report struct {
	Logs        int    `json:"logs"`
	Leaves      uint64 `json:"leaves"`
	Checkpoints int    `json:"checkpoints"`
	Specs       int    `json:"specs"`
	Events      int    `json:"events"`
	// Members counts the places of batch leaves checked: each commits to
	// one event (or to none, where a key was already taken).
	Members    uint64        `json:"members"`
	Principals int           `json:"principals"`
	Elapsed    time.Duration `json:"elapsed_ns"`
	// LogElapsed is the part spent on the log itself: leaves, tree and
	// checkpoints; the rest checks the rows against it.
	LogElapsed time.Duration `json:"log_elapsed_ns"`
	Count      int           `json:"problem_count"`
	Problems   []string      `json:"problems"`
}

// Progress is told, as Verify goes through the logs, how many leaves it
// has checked of how many there are; the rows are checked after the last
// leaf. It is called from Verify's goroutine and must return quickly.
type Progress func(checked, total uint64)

type progressKey struct{}

// WithProgress returns a context that makes Verify report its progress to p.
func WithProgress(ctx context.Context, p Progress) context.Context {
	return context.WithValue(ctx, progressKey{}, p)
}

// ProgressFrom returns the Progress of WithProgress in ctx, or nil.
func ProgressFrom(ctx context.Context) Progress {
	p, _ := ctx.Value(progressKey{}).(Progress)
	return p
}

// OK reports whether nothing was wrong.
func (r *Report) OK() bool { return r.Count == 0 }

func (r *Report) problem(format string, args ...any) {
	r.Count++
	if len(r.Problems) < MaxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// leafName names a leaf of a log in a problem: "leaf acme.lending/7".
func leafName(log string, index uint64) string { return fmt.Sprintf("leaf %s/%d", log, index) }

// checkpointName names a checkpoint of a log in a problem.
func checkpointName(log string, size uint64) string {
	return fmt.Sprintf("checkpoint %s/%d", log, size)
}

// verifier checks one store. Its memory does not grow with the log: each
// log's tree is a compact range, checked against the checkpoints as it
// grows; what the leaves say about rows is sorted on disk (spools) and
// merged with the rows, read in the same order.
type verifier struct {
	tx probity.ReadTx
	// progress, when set, is told how many leaves were checked, of total.
	progress       Progress
	checked, total uint64
	notes          note.Verifiers
	report         *Report
	// log and origin are those of the log being checked; pass its state.
	log    string
	origin string
	pass   *logPass
	// bindings holds what every leaf that binds a row says of it, for the
	// row checks; retractions the retraction leaves, matched with the
	// event rows beside the event leaves.
	bindings    *spool
	retractions *spool
	// members holds the batch leaves' members and the batched event rows'
	// claims on them (verify_members.go).
	members *spool
	// seals holds the installation log's records of the domain logs'
	// checkpoints; sealed reads them, by log and size, as the domain logs'
	// checkpoints are checked.
	seals  *spool
	sealed *cursor
	specs  map[string][]probity.SpecVersion
	keys   map[string]entry // the first key.created leaf of each key file
	names  map[string]string
}

// Verify recomputes every leaf hash and each log's tree, checks every
// checkpoint's signature and its root against the tree of its size (so
// consecutive checkpoints are consistent), and checks that every row
// matches its leaf, that no leaf's row is missing and that no row lacks a
// leaf. It reads one consistent snapshot, and sorts what it must match in
// temporary files (os.TempDir, about 110 bytes a leaf that binds a row,
// removed when it returns), so its memory stays bounded however large the
// log: under 100 MiB resident at 10,000,000 leaves (BENCHMARKS.md).
//
// keys maps each key file to the digest its key.created leaf must hold (see
// bureau.KeyDigests), so that a store opened with another key shows.
func Verify(ctx context.Context, store probity.Store, notes note.Verifiers, keys map[string]string) (*Report, error) {
	start := time.Now()
	r := &Report{Problems: []string{}}
	err := store.View(ctx, func(tx probity.ReadTx) error {
		v := &verifier{tx: tx, notes: notes, report: r, progress: ProgressFrom(ctx), specs: map[string][]probity.SpecVersion{}, keys: map[string]entry{}, names: map[string]string{},
			bindings: newSpool(cmpBinding, bindingBudget), retractions: newSpool(cmpBinding, smallBudget), seals: newSpool(cmpSeal, smallBudget),
			members: newSpool(cmpMember, bindingBudget)}
		defer v.close()
		defer tx.Scanning()()
		if err := v.logs(); err != nil {
			return err
		}
		r.LogElapsed = time.Since(start)
		v.checkKeys(keys)
		return v.rows()
	})
	r.Elapsed = time.Since(start)
	return r, err
}

func (v *verifier) close() {
	for _, s := range []*spool{v.bindings, v.retractions, v.seals, v.members} {
		s.close()
	}
}

// intern returns one copy of a domain's or a log's name, however many
// leaves name it.
func (v *verifier) intern(s string) string {
	if c, ok := v.names[s]; ok {
		return c
	}
	s = cloneString(s)
	v.names[s] = s
	return s
}

// pipelineBatch is how many rows the reader hands the checker at once.
const pipelineBatch = 512

// pipelined runs scan, the store reading and parsing rows, on this
// goroutine, and check on another, in order: two cores, two halves of the
// work. check must not call the store.
func pipelined[T any](scan func(fn func(T) error) error, check func(T)) error {
	batches := make(chan []T, 4)
	checked := make(chan struct{})
	go func() {
		defer close(checked)
		for batch := range batches {
			for _, row := range batch {
				check(row)
			}
		}
	}()
	batch := make([]T, 0, pipelineBatch)
	err := scan(func(row T) error {
		if batch = append(batch, row); len(batch) == pipelineBatch {
			batches <- batch
			batch = make([]T, 0, pipelineBatch)
		}
		return nil
	})
	batches <- batch
	close(batches)
	<-checked
	return err
}

// checkKeys checks that the keys the store is opened with are the keys its
// log was started with.
func (v *verifier) checkKeys(keys map[string]string) {
	names := make([]string, 0, len(keys))
	for name := range keys {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		b, ok := v.keys[name]
		switch {
		case !ok && v.report.Leaves > 0:
			v.report.problem("key %s: no key.created leaf records it", name)
		case ok && b.digest != keys[name]:
			v.report.problem("key %s: does not match %s, which recorded the key this log was started with", name, b.leaf())
		}
	}
}
