package audit_test

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probity-dev/probity/audit"
	_ "modernc.org/sqlite"
)

// tampered applies one tamper to a copy of the store and verifies it,
// returning the report, the words it must contain and Verify's error.
func (p *pristine) tampered(tb testing.TB, tamper func(testing.TB, *rawDB) []string) (*audit.Report, []string, error) {
	tb.Helper()
	dir, db, err := p.copyStore()
	defer func() {
		if err := p.discard(dir); err != nil {
			tb.Error(err)
		}
	}()
	if err != nil {
		tb.Fatal(err)
	}
	want := tamper(tb, db)
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
	r, verifyErr, err := p.verifyDir(tb, dir)
	if err != nil {
		tb.Fatal(err)
	}
	return r, want, verifyErr
}

// trialResult is what one random trial did and what Verify said.
type trialResult struct {
	change   change
	detected bool
	named    bool // a listed problem names the row
	byError  bool // Verify returned an error rather than a report
	said     string
	err      error // the trial itself failed (copy, SQL)
}

// run runs the trials on p.workers() workers; trial i draws from its own
// seeded source, so the outcome does not depend on scheduling.
func (p *pristine) run(tb testing.TB, plan []tamper) []trialResult {
	results := make([]trialResult, len(plan))
	next := make(chan int)
	var wg sync.WaitGroup
	for range p.workers() {
		wg.Go(func() {
			for i := range next {
				results[i] = p.trial(tb, plan[i], rand.New(rand.NewPCG(2026, uint64(i))))
			}
		})
	}
	for i := range plan {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// errNoop says a randomly chosen edit would not change the row: pick again.
var errNoop = errors.New("no change")

func (p *pristine) trial(tb testing.TB, k tamper, r *rand.Rand) (res trialResult) {
	dir, db, err := p.copyStore()
	defer func() {
		if err := p.discard(dir); err != nil && res.err == nil {
			res = trialResult{err: err}
		}
	}()
	if err != nil {
		return trialResult{err: err}
	}
	for attempt := 0; ; attempt++ {
		res.change, err = k.apply(r, db)
		if !errors.Is(err, errNoop) || attempt == 100 {
			break
		}
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return trialResult{err: err}
	}
	report, verr, err := p.verifyDir(tb, dir)
	if err != nil {
		return trialResult{err: err}
	}
	switch {
	case verr != nil:
		// An error is a detection only if it says which row is wrong.
		res.byError, res.said = true, "error: "+verr.Error()
		res.detected = strings.Contains(verr.Error(), res.change.names)
		res.named = res.detected
	default:
		res.detected, res.named = !report.OK(), mentions(report.Problems, res.change.names)
		res.said = fmt.Sprintf("%d problems %q", report.Count, report.Problems[:min(2, len(report.Problems))])
	}
	return res
}

// change says what a tamper did.
type change struct {
	what  string // what was changed, for the failure message
	names string // what a report that names the row contains
}

// tamper is one kind of edit behind Probity's back. apply makes exactly one
// change that alters the database, or returns errNoop to be drawn again.
type tamper struct {
	kind  string
	apply func(r *rand.Rand, db *rawDB) (change, error)
}

func tampers() []tamper {
	return slices.Concat(eventTampers(), batchTampers(), leafTampers(), checkpointTampers(), specTampers(), tileTampers())
}

// exec1 runs a statement that must change exactly one row.
func exec1(db *rawDB, query string, args ...any) error {
	res, err := db.Exec(query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", query, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return fmt.Errorf("%s: %d rows changed, want 1", query, n)
	}
	return nil
}

func mustExec1(tb testing.TB, db *rawDB, query string, args ...any) {
	tb.Helper()
	if err := exec1(db, query, args...); err != nil {
		tb.Fatal(err)
	}
}

func count(db *rawDB, table string) (int, error) {
	var n int
	err := db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n)
	return n, err
}

func pick[T any](r *rand.Rand, options ...T) T { return options[r.IntN(len(options))] }

// flipByte returns b with one byte changed.
func flipByte(r *rand.Rand, b []byte) []byte {
	c := slices.Clone(b)
	c[r.IntN(len(c))] ^= byte(1 + r.IntN(255))
	return c
}

// shift returns unix nanoseconds moved by at least a second, up to a month.
func shift(r *rand.Rand, nanos int64) int64 {
	d := (1 + r.Int64N(30*86400)) * int64(time.Second)
	return nanos + pick(r, d, -d)
}

// replaceChar replaces the byte at a random position of s in [lo, hi) with
// another from alphabet.
func replaceChar(r *rand.Rand, s string, lo, hi int, alphabet string) (string, error) {
	i := lo + r.IntN(hi-lo)
	c := alphabet[r.IntN(len(alphabet))]
	if c == s[i] {
		return "", errNoop
	}
	return s[:i] + string(c) + s[i+1:], nil
}

// show renders a column value for a failure message.
func show(v any) string {
	switch v := v.(type) {
	case []byte:
		return fmt.Sprintf("%x", v)
	case string:
		return strconv.Quote(v)
	}
	return fmt.Sprint(v)
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// mutateJSON changes one scalar, chosen at random, of a JSON document, the
// way an operator would edit a value: a number, a digit in a string (a
// points expression, a duration, a code), a boolean.
func mutateJSON(r *rand.Rand, doc string) (string, string, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", "", err
	}
	var paths [][]any
	var walk func(v any, path []any)
	walk = func(v any, path []any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				walk(c, append(slices.Clone(path), k))
			}
		case []any:
			for i, c := range v {
				walk(c, append(slices.Clone(path), i))
			}
		default:
			paths = append(paths, path)
		}
	}
	walk(v, nil)
	if len(paths) == 0 || len(paths[0]) == 0 {
		return "", "", errNoop // {} or a bare scalar
	}
	slices.SortFunc(paths, func(a, b []any) int { return strings.Compare(fmt.Sprintf("%#v", a), fmt.Sprintf("%#v", b)) })
	path := pick(r, paths...)
	parent := v
	for _, p := range path[:len(path)-1] {
		parent = step(parent, p)
	}
	last := path[len(path)-1]
	old := step(parent, last)
	nv := mutateScalar(r, old)
	switch p := parent.(type) {
	case map[string]any:
		p[last.(string)] = nv
	case []any:
		p[last.(int)] = nv
	}
	out, err := json.Marshal(v)
	if err != nil || string(out) == doc {
		return "", "", cmp.Or(err, errNoop)
	}
	return string(out), fmt.Sprintf("%v: %v → %v", path, old, nv), nil
}

func step(v, p any) any {
	if k, ok := p.(string); ok {
		return v.(map[string]any)[k]
	}
	return v.([]any)[p.(int)]
}

func mutateScalar(r *rand.Rand, v any) any {
	switch v := v.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return json.Number(strconv.FormatInt(n+1+r.Int64N(9), 10))
		}
		f, _ := v.Float64()
		return json.Number(strconv.FormatFloat(f+float64(1+r.IntN(9)), 'f', -1, 64))
	case string:
		var digits []int
		for i, c := range v {
			if c >= '0' && c <= '9' {
				digits = append(digits, i)
			}
		}
		if len(digits) == 0 {
			return v + string(alnum[r.IntN(26)+26])
		}
		i := pick(r, digits...)
		return v[:i] + string(byte('0'+(int(v[i]-'0')+1+r.IntN(9))%10)) + v[i+1:]
	case bool:
		return !v
	default:
		return json.Number("1")
	}
}
