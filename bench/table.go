package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Row is one line of the bench's table: a scenario measured on Probity and
// on its baseline, in the same run on the same data.
type Row struct {
	// Scenario names what is measured, with its unit.
	Scenario string  `json:"scenario"`
	Unit     string  `json:"unit"`
	Probity  float64 `json:"probity"`
	Baseline float64 `json:"baseline"`
	// Ratio is Probity's cost relative to the baseline: baseline/probity
	// for a rate, probity/baseline for a time, so that 2 means twice as
	// slow whatever the unit; 0 when it cannot be computed.
	Ratio          float64 `json:"ratio"`
	ProbityHeapMB  float64 `json:"probity_peak_heap_mb"`
	BaselineHeapMB float64 `json:"baseline_peak_heap_mb"`
	// BaselineIs names the baseline; Baselines says what each includes.
	BaselineIs string `json:"baseline_is"`
	// Target is the DESIGN.md performance target the row is checked
	// against ("<= 2x" of the baseline, "<= 256 bytes"), and Met whether
	// this run reached it; both empty on a row that only informs.
	Target string `json:"target,omitempty"`
	Met    *bool  `json:"met,omitempty"`
}

// newRow builds a row; a unit ending in "/s" is a rate (higher is better),
// any other a time (lower is better).
func newRow(scenario, unit string, probity, baseline float64, ph, bh *heapPeak, is string) Row {
	r := Row{Scenario: fmt.Sprintf("%s (%s)", scenario, unit), Unit: unit, Probity: probity, Baseline: baseline,
		ProbityHeapMB: ph.MB(), BaselineHeapMB: bh.MB(), BaselineIs: is}
	if strings.HasSuffix(unit, "/s") {
		r.Ratio = ratio(baseline, probity)
	} else {
		r.Ratio = ratio(probity, baseline)
	}
	return r
}

// ratio returns a/b, or 0 if it cannot be computed.
func ratio(a, b float64) float64 {
	q := a / b
	if math.IsNaN(q) || math.IsInf(q, 0) {
		return 0
	}
	return q
}

// against checks the row against a target: at most max times the
// baseline (Ratio), or, if absolute, at most max in the row's unit. A ratio
// that could not be computed does not meet its target.
func (r Row) against(max float64, absolute bool) Row {
	var met bool
	if absolute {
		r.Target = "<= " + strconv.FormatFloat(max, 'f', -1, 64) + " " + r.Unit
		met = r.Probity <= max
	} else {
		r.Target = "<= " + strconv.FormatFloat(max, 'f', -1, 64) + "x"
		met = r.Ratio > 0 && r.Ratio <= max
	}
	r.Met = &met
	return r
}

// Baselines says what each baseline includes, by the name rows give it.
var Baselines = map[string]string{
	baselineInsert: "the same event rows alone, pseudonymised, pointed and encoded beforehand, stored in one transaction per chunk into a fresh store of the same engine " +
		"(SQLite: one prepared INSERT per row on a connection with Probity's pragmas; PostgreSQL: COPY through pgx): no validation, no log",
	baselineSQL:  "one hand-written SQL query per score on the same events table (points from the fields by CASE, decay, expiry, cap, clamp, rounding), by pseudonym, N clients; no explanation, no audit leaf, no authentication",
	baselineGo:   "the same version 2 rules written in plain Go over every row's fields JSON, rows loaded in memory beforehand; nothing written",
	baselineRest: "the same score, the same callers, with no ingest running",
	baselineHash: "bare RFC 6962 hashing of the same leaves into a compact range (transparency-dev/merkle), leaves loaded in memory beforehand; no row checks, no checkpoints",
}

// Names of the baselines.
const (
	baselineInsert = "raw insert"
	baselineSQL    = "SQL query"
	baselineGo     = "plain Go"
	baselineHash   = "bare hashing"
	baselineRest   = "at rest"
)

// Machine describes where the bench ran.
type Machine struct {
	CPUs   int    `json:"cpus"`
	OS     string `json:"os"`
	Arch   string `json:"arch"`
	Go     string `json:"go"`
	Engine string `json:"engine"`
}

// Result is a whole run of the bench.
type Result struct {
	Command    string     `json:"command"`
	Machine    Machine    `json:"machine"`
	Population Population `json:"population"`
	Events     int        `json:"events"`
	AsOf       time.Time  `json:"as_of"`
	Rows       []Row      `json:"rows"`
}

// printHeader prints the command line, the machine and the population.
func (res *Result) printHeader(w io.Writer) {
	m, p := res.Machine, res.Population
	fmt.Fprintln(w, res.Command)
	fmt.Fprintf(w, "machine: %d CPUs, %s/%s, %s; engine: %s\n", m.CPUs, m.OS, m.Arch, m.Go, m.Engine)
	fmt.Fprintf(w, "population: %d subjects x %d events x %d domains = %d events (seed %d, history before %s)\n",
		p.Subjects, p.EventsPerSubject, p.Domains, res.Events, p.Seed, p.Anchor.Format(time.DateOnly))
}

// printTable prints the rows as one aligned table, names left and figures
// right, and the baselines' legend.
func (res *Result) printTable(w io.Writer) {
	fmt.Fprintf(w, "scores as of %s (every event known)\n\n", res.AsOf.Format(time.RFC3339Nano))
	cells := [][]string{{"SCENARIO", "TARGET", "PROBITY", "BASELINE", "RATIO", "MET", "PEAK HEAP MB", "BASELINE IS"}}
	targets, met := 0, 0
	for _, r := range res.Rows {
		ratio := "-"
		if r.Ratio > 0 {
			ratio = strconv.FormatFloat(r.Ratio, 'f', 2, 64) + "x"
		}
		target, verdict := "-", "-"
		if r.Met != nil {
			target, verdict = r.Target, "NOT MET"
			targets++
			if *r.Met {
				verdict = "met"
				met++
			}
		}
		heap := "-" // a row that weighs what is stored measures no heap
		if r.ProbityHeapMB > 0 || r.BaselineHeapMB > 0 {
			heap = fmt.Sprintf("%.0f / %.0f", r.ProbityHeapMB, r.BaselineHeapMB)
		}
		cells = append(cells, []string{r.Scenario, target, figure(r.Unit, r.Probity), figure(r.Unit, r.Baseline), ratio, verdict, heap, r.BaselineIs})
	}
	widths := make([]int, len(cells[0]))
	for _, row := range cells {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	for _, row := range cells {
		var b strings.Builder
		for i, c := range row {
			if i == 0 || i == len(row)-1 {
				fmt.Fprintf(&b, "%-*s  ", widths[i], c)
			} else {
				fmt.Fprintf(&b, "%*s  ", widths[i], c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	fmt.Fprintf(w, "\n%d of %d DESIGN.md targets met in this run.\n", met, targets)
	fmt.Fprintln(w, "ratio: Probity's cost relative to the baseline (2.00x: twice as slow); target: DESIGN.md's, on that ratio or on Probity's figure; peak heap: Probity / baseline.")
	seen := map[string]bool{}
	for _, r := range res.Rows {
		if !seen[r.BaselineIs] {
			seen[r.BaselineIs] = true
			fmt.Fprintf(w, "%s: %s.\n", r.BaselineIs, Baselines[r.BaselineIs])
		}
	}
}

// figure formats a value of a unit: rates and byte counts as whole numbers
// with thousands separators, megabytes and microseconds with one decimal,
// milliseconds with three.
func figure(unit string, v float64) string {
	switch {
	case unit == "MB" || unit == "µs":
		return strconv.FormatFloat(v, 'f', 1, 64)
	case !strings.HasSuffix(unit, "/s") && unit != "bytes":
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// writeJSON writes the result to a file.
func (res *Result) writeJSON(path string) error {
	buf, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(buf, '\n'), 0o644)
}
