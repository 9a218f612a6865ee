package audit_test

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/probity-dev/probity"
	_ "modernc.org/sqlite"
)

var tamperTrials = flag.Int("tamper.trials", 0, "random trials of TestTamper (0: 400, or one per kind under -race)")

// TestTamper edits, deletes, reorders or inserts one row behind Probity's
// back, with plain SQL, in each of hundreds of copies of a store with
// thousands of events, and requires that every single one is detected.
func TestTamper(t *testing.T) {
	start := time.Now()
	p := newPristine(t, 300)
	for i := range 2 {
		r := verify(t, p.dir)
		if !r.OK() {
			t.Fatalf("untouched store, verification %d: %d problems: %q", i+1, r.Count, r.Problems)
		}
		if r.Events < 2000 {
			t.Fatalf("Events=%d, want thousands", r.Events)
		}
		if i == 0 {
			t.Logf("untouched store verifies: %d events, %d leaves, %d checkpoints, %d specs", r.Events, r.Leaves, r.Checkpoints, r.Specs)
		}
	}

	kinds := tampers()
	n := trialCount(len(kinds))
	deck := rand.New(rand.NewPCG(1, 2))
	plan := make([]tamper, 0, n)
	for len(plan) < n { // every kind equally often, in random order
		round := slices.Clone(kinds)
		deck.Shuffle(len(round), func(i, j int) { round[i], round[j] = round[j], round[i] })
		plan = append(plan, round[:min(len(round), n-len(plan))]...)
	}
	results := p.run(t, plan)

	stats := map[string]*kindStats{}
	var total kindStats
	for i, res := range results {
		if res.err != nil {
			t.Fatalf("trial %d (%s): %v", i, plan[i].kind, res.err)
		}
		s := stats[plan[i].kind]
		if s == nil {
			s = &kindStats{}
			stats[plan[i].kind] = s
		}
		s.add(res)
		total.add(res)
	}
	t.Logf("%d trials on %d workers in %v\n%s", n, p.workers(), time.Since(start).Round(time.Millisecond), countsTable(kinds, stats, total))
	for i, res := range results {
		if !res.detected {
			t.Errorf("undetected: trial %d %s: %s; verify said: %s", i, plan[i].kind, res.change.what, res.said)
		}
	}
}

// trialCount is 400, or, under the race detector, where SQLite and CEL run
// about ten times slower and a trial costs over a second, one per kind
// (-tamper.trials=400 runs them all there too, in about five minutes).
func trialCount(kinds int) int {
	if *tamperTrials > 0 {
		return *tamperTrials
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "-race" && s.Value == "true" {
				return kinds
			}
		}
	}
	return 400
}

type kindStats struct{ trials, detected, named, byError int }

func (s *kindStats) add(r trialResult) {
	s.trials++
	if r.detected {
		s.detected++
	}
	if r.named {
		s.named++
	}
	if r.byError {
		s.byError++
	}
}

// countsTable is "Report the counts": per kind, how many trials, how many
// detected, and how many reports named the tampered row among their
// problems.
func countsTable(kinds []tamper, stats map[string]*kindStats, total kindStats) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "kind\ttrials\tdetected\tnamed\tby error\t")
	for _, k := range kinds {
		if s := stats[k.kind]; s != nil {
			fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t\n", k.kind, s.trials, s.detected, s.named, s.byError)
		}
	}
	fmt.Fprintf(w, "total\t%d\t%d\t%d\t%d\t\n", total.trials, total.detected, total.named, total.byError)
	w.Flush()
	return b.String()
}

// TestVerifyNamesTheRow checks that the report names exactly the row, leaf
// or checkpoint that was changed, as `probity audit verify` must.
func TestVerifyNamesTheRow(t *testing.T) {
	runNamed(t, newPristine(t, 30), []namedTamper{
		{"EventFields", func(tb testing.TB, db *rawDB) []string {
			e := nthEvent(tb, db, 17)
			mustExec1(tb, db, `UPDATE events SET fields = ? WHERE domain = ? AND key = ?`, `{"amount":1234567}`, e.domain, e.key)
			return []string{e.name() + ":"}
		}},
		{"EventDeleted", func(tb testing.TB, db *rawDB) []string {
			e := nthEvent(tb, db, 5)
			name, err := eventLeafName(db, e)
			if err != nil {
				tb.Fatal(err)
			}
			mustExec1(tb, db, `DELETE FROM events WHERE domain = ? AND key = ?`, e.domain, e.key)
			return []string{name}
		}},
		{"LeafDeleted", func(tb testing.TB, db *rawDB) []string {
			mustExec1(tb, db, `DELETE FROM log_leaves WHERE log = 'acme.lending' AND idx = 7`)
			return []string{leafName(7)}
		}},
		{"CheckpointRoot", func(tb testing.TB, db *rawDB) []string {
			sizes := checkpointSizes(tb, db)
			size := sizes[len(sizes)/2]
			mustExec1(tb, db, `UPDATE log_checkpoints SET root = zeroblob(32) WHERE log = 'acme.lending' AND size = ?`, size)
			return []string{checkpointName(size)}
		}},
		{"SpecDeleted", func(tb testing.TB, db *rawDB) []string {
			leaf := leafOf(tb, db, probity.ActionSpecApplied, "1")
			mustExec1(tb, db, `DELETE FROM spec_versions WHERE domain = 'acme.lending' AND version = 1`)
			return []string{leafName(leaf), "acme.lending"}
		}},
	})
}

// TestTamperEdgeCases are single-row tampers that Probity itself reads as
// if nothing had changed, or never reads: each must still be reported,
// naming the row, because the stored row is no longer what Probity wrote.
func TestTamperEdgeCases(t *testing.T) {
	runNamed(t, newPristine(t, 30), []namedTamper{
		{"LeafBeforeTheLog", func(tb testing.TB, db *rawDB) []string {
			// A forged read of a subject's record, outside [0, size): the
			// reads-by-subject index (who looked at my record) covers it.
			mustExec1(tb, db, `INSERT INTO log_leaves (log, idx, domain, pseudonym, action, data, hash, salt, record)
				SELECT log, -1, domain, pseudonym, action, data, hash, salt, record FROM log_leaves WHERE action = 'score.read' ORDER BY idx LIMIT 1`)
			return []string{"log acme.lending", "-1"}
		}},
		{"EventFieldsNotJSON", func(tb testing.TB, db *rawDB) []string {
			e := nthEvent(tb, db, 3)
			mustExec1(tb, db, `UPDATE events SET fields = ? WHERE domain = ? AND key = ?`, `{"amount":`, e.domain, e.key)
			return []string{e.name() + ":"}
		}},
		{"EventFieldsSpaced", func(tb testing.TB, db *rawDB) []string {
			e := nthEvent(tb, db, 0)
			mustExec1(tb, db, `UPDATE events SET fields = replace(fields, ':', ': ') WHERE domain = ? AND key = ? AND instr(fields, ':') > 0`, e.domain, e.key)
			return []string{e.name() + ":"}
		}},
		{"EventPointsNegativeZero", func(tb testing.TB, db *rawDB) []string {
			var domain, key string
			if err := db.QueryRow(`SELECT domain, key FROM events WHERE type = 'payment_settled' ORDER BY key LIMIT 1`).Scan(&domain, &key); err != nil {
				tb.Fatal(err)
			}
			mustExec1(tb, db, `UPDATE events SET points = ? WHERE domain = ? AND key = ?`, encodePoints([]probity.Points{{Version: 1, Raw: math.Copysign(0, -1)}}), domain, key)
			return []string{"event " + domain + "/" + key + ":"}
		}},
		{"SpecKeyCase", func(tb testing.TB, db *rawDB) []string {
			mustExec1(tb, db, `UPDATE spec_versions SET spec = replace(spec, '"base":', '"Base":') WHERE version = 1 AND instr(spec, '"base":') > 0`)
			return []string{specName("acme.lending", 1)}
		}},
		{"SpecUnknownKey", func(tb testing.TB, db *rawDB) []string {
			mustExec1(tb, db, `UPDATE spec_versions SET spec = '{"override":"grade A for all",' || substr(spec, 2) WHERE version = 1`)
			return []string{specName("acme.lending", 1)}
		}},
		{"CheckpointSignatureTrailingBits", func(tb testing.TB, db *rawDB) []string {
			size := checkpointSizes(tb, db)[1]
			forged, ok := flipTrailingBits(readCheckpoint(tb, db, size).note)
			if !ok {
				tb.Fatalf("checkpoint %d: its signature has no padding bits", size)
			}
			mustExec1(tb, db, `UPDATE log_checkpoints SET note = ? WHERE log = 'acme.lending' AND size = ?`, forged, size)
			return []string{checkpointName(size)}
		}},
		{"LeafEmptyPseudonym", func(tb testing.TB, db *rawDB) []string {
			mustExec1(tb, db, `UPDATE log_leaves SET pseudonym = x'' WHERE log = 'acme.lending' AND idx = 0 AND pseudonym IS NULL`)
			return []string{leafName(0)}
		}},
	})
}

// namedTamper is one deliberate tamper; it returns the words that one
// problem of the report must contain, naming the row.
type namedTamper struct {
	name   string
	tamper func(tb testing.TB, db *rawDB) []string
}

func runNamed(t *testing.T, p *pristine, tests []namedTamper) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, want, err := p.tampered(t, tt.tamper)
			switch {
			case err != nil:
				t.Fatalf("Verify stopped with an error instead of a report naming %q: %v", want, err)
			case r.OK():
				t.Fatalf("the tamper was not detected (want a problem naming %q)", want)
			case !mentions(r.Problems, want...):
				t.Errorf("no problem among the %d listed (of %d) names %q; first: %q", len(r.Problems), r.Count, want, r.Problems[:min(3, len(r.Problems))])
			}
		})
	}
}

// mentions reports whether one of the problems contains every word.
func mentions(problems []string, words ...string) bool {
	return slices.ContainsFunc(problems, func(p string) bool {
		return !slices.ContainsFunc(words, func(w string) bool { return !strings.Contains(p, w) })
	})
}

// leafOf returns the index of the leaf that records the row ref.
func leafOf(tb testing.TB, db *rawDB, action, ref string) int64 {
	tb.Helper()
	rows, err := db.Query(`SELECT idx FROM log_leaves WHERE log = 'acme.lending' AND action = ? ORDER BY idx`, action)
	if err != nil {
		tb.Fatalf("leaves of %s: %v", action, err)
	}
	var indexes []int64
	for rows.Next() {
		var idx int64
		if err := rows.Scan(&idx); err != nil {
			tb.Fatal(err)
		}
		indexes = append(indexes, idx)
	}
	rows.Close()
	for _, idx := range indexes {
		l, err := leafAt(db, idx)
		if err != nil {
			tb.Fatalf("leaf %d: %v", idx, err)
		}
		if r, err := probity.ParseRecord(l.record); err == nil && r.Ref == ref {
			return idx
		}
	}
	tb.Fatalf("no %s leaf of %s", action, ref)
	return 0
}

// flipTrailingBits changes the last base64 character of a note's signature
// in its unused low bits only: the text differs, the decoded bytes do not.
func flipTrailingBits(n string) (string, bool) {
	end := strings.TrimRight(strings.TrimSuffix(n, "\n"), "=")
	pad := len(strings.TrimSuffix(n, "\n")) - len(end)
	if pad == 0 {
		return "", false
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	i := len(end) - 1
	v := strings.IndexByte(alphabet, n[i])
	return n[:i] + string(alphabet[v^1]) + n[i+1:], v >= 0
}
