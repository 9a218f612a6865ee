package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity/spec"
	"github.com/probity-dev/probity/storetest"
)

// TestMain lets the bench start this test binary as its load generator.
func TestMain(m *testing.M) {
	LoadGenMain()
	os.Exit(m.Run())
}

// anchor is the end of the test populations' histories.
var anchor = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// tiny returns the options of a bench small enough for a test.
func tiny(t *testing.T) Options {
	t.Helper()
	return Options{Subjects: 200, EventsPerSubject: 5, Domains: 2, Concurrency: 2, Duration: 200 * time.Millisecond,
		Anchor: anchor, Command: "probity bench (test)"}
}

// httpScenarios are the rows of the score over HTTP at each client count.
func httpScenarios() []string {
	var out []string
	for _, c := range []string{"1 client", "4 clients", "16 clients"} {
		name := "score over HTTP, " + c
		out = append(out, name+" p50 (ms)", name+" p95 (ms)", name+" p99 (ms)", name+" (queries/s)", name+" server CPU per request (µs)")
	}
	return out
}

// scenarios are the rows every run prints, sizes aside.
var scenarios = slices.Concat([]string{
	"ingest (events/s)",
	"log and checkpoints against the events' storage (MB)",
	"store size per event (bytes)",
	"score in-process p50 (ms)", "score in-process p95 (ms)", "score in-process p99 (ms)", "score in-process (queries/s)",
}, httpScenarios(), []string{
	"storage per logged read (bytes)",
	"rescoring after a spec change (events/s)",
	"audit verification (records/s)",
	"audit verification peak heap (MB)",
	"score during a large ingest p50 (ms)", "score during a large ingest p99 (ms)",
})

// designTargets are DESIGN.md's performance targets, as the rows that
// check them print them, sizes aside.
var designTargets = map[string]string{
	"ingest (events/s)": "<= 1.5x",
	"log and checkpoints against the events' storage (MB)":    "<= 0.5x",
	"score over HTTP, 1 client p99 (ms)":                      "<= 2x",
	"score over HTTP, 4 clients p99 (ms)":                     "<= 2x",
	"score over HTTP, 16 clients p99 (ms)":                    "<= 2x",
	"score over HTTP, 1 client server CPU per request (µs)":   "<= 2x",
	"score over HTTP, 4 clients server CPU per request (µs)":  "<= 2x",
	"score over HTTP, 16 clients server CPU per request (µs)": "<= 2x",
	"storage per logged read (bytes)":                         "<= 256 bytes",
	"rescoring after a spec change (events/s)":                "<= 2x",
	"audit verification (records/s)":                          "<= 2x",
	"audit verification peak heap (MB)":                       "<= 256 MB",
	"score during a large ingest p99 (ms)":                    "<= 3x",
}

// checkRows checks that a result has a row for every scenario, with both
// figures measured, in the printed table too, and that every DESIGN.md
// target has its row, with its target and whether it was met, printed on
// that row.
func checkRows(t *testing.T, res *Result, out string, sizes ...string) {
	t.Helper()
	want := slices.Insert(slices.Clone(scenarios), len(scenarios)-5, sizes...)
	targets := maps.Clone(designTargets)
	if len(sizes) > 1 {
		targets[sizes[len(sizes)-1]] = "<= 1.5x"
	}
	var got []string
	for _, r := range res.Rows {
		got = append(got, r.Scenario)
		measured := r.Probity > 0 && r.Baseline > 0 && r.Ratio > 0
		switch r.BaselineIs {
		case baselineNone: // the bare server logs nothing
			measured = r.Probity > 0 && r.Baseline == 0
		}
		weighs := r.BaselineIs == baselineNone || r.BaselineIs == baselineEvents || strings.HasPrefix(r.Scenario, "store size")
		if !measured || (!weighs && !(r.ProbityHeapMB > 0)) {
			t.Errorf("row %q: probity %v, baseline %v, ratio %v, heap %v MB: want all measured", r.Scenario, r.Probity, r.Baseline, r.Ratio, r.ProbityHeapMB)
		}
		line := tableLine(out, r.Scenario)
		if line == "" {
			t.Errorf("the printed table lacks %q:\n%s", r.Scenario, out)
		}
		target, ok := targets[r.Scenario]
		delete(targets, r.Scenario)
		switch {
		case !ok && r.Met != nil:
			t.Errorf("row %q has a target %q, but DESIGN.md gives it none", r.Scenario, r.Target)
		case !ok:
		case r.Met == nil || r.Target != target:
			t.Errorf("row %q: target %q, met %v; want DESIGN.md's %q, met or not", r.Scenario, r.Target, r.Met, target)
		case !strings.Contains(line, " "+target+" ") || !(strings.Contains(line, " met ") || strings.Contains(line, " NOT MET ")):
			t.Errorf("row %q is printed without its target %q and whether it was met:\n%s", r.Scenario, target, line)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("scenarios:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for name, target := range targets {
		t.Errorf("no row checks DESIGN.md's target %s for %q", target, name)
	}
}

// tableLine returns the printed table's line of a scenario, or "".
func tableLine(out, scenario string) string {
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, scenario+" ") {
			return line
		}
	}
	return ""
}

func TestRun(t *testing.T) {
	var out bytes.Buffer
	opts := tiny(t)
	opts.Stdout, opts.Sizes, opts.Data = &out, []int{100, 300}, filepath.Join(t.TempDir(), "kept")
	opts.JSON = filepath.Join(t.TempDir(), "bench.json")
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, res, out.String(), "score p99 at 100 subjects (ms)", "score p99 at 300 subjects (ms)", "score p99 at 300 against 100 subjects (ms)")
	for _, want := range []string{"probity bench (test)", "engine: sqlite", "200 subjects x 5 events x 2 domains = 2000 events", "SCENARIO"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	buf, err := os.ReadFile(opts.JSON)
	if err != nil {
		t.Fatal(err)
	}
	var saved Result
	if err := json.Unmarshal(buf, &saved); err != nil {
		t.Fatal(err)
	}
	if got, want := len(saved.Rows), len(res.Rows); got != want {
		t.Fatalf("JSON rows=%d, want %d", got, want)
	}
	if _, err := os.Stat(filepath.Join(opts.Data, "main")); err != nil {
		t.Errorf("--data was not kept: %v", err)
	}
}

func TestRunPostgres(t *testing.T) {
	dsn := storetest.NewPostgres(t)
	var out bytes.Buffer
	opts := tiny(t)
	opts.Stdout, opts.DB, opts.Sizes = &out, dsn, []int{150}
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, res, out.String(), "score p99 at 150 subjects (ms)")
	if !strings.Contains(out.String(), "engine: postgres") {
		t.Errorf("output does not name the engine:\n%s", out.String())
	}
}

// A baseline that does not compute Probity's score fails the run, naming a
// subject and both scores.
func TestRunFailsWhenScoresDisagree(t *testing.T) {
	defer func(base float64) { baselineBase = base }(baselineBase)
	baselineBase = 601
	_, err := Run(context.Background(), tiny(t))
	if err == nil {
		t.Fatal("Run succeeded with a SQL baseline one point off")
	}
	for _, want := range []string{"scores disagree for person:b", "Probity rated ", "SQL baseline rated "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestRunRefusesNonEmptyData(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	opts := tiny(t)
	opts.Data = dir
	if _, err := Run(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("err=%v, want a refusal of a non-empty --data", err)
	}
}

func TestPopulation(t *testing.T) {
	p := Population{Subjects: 1000, EventsPerSubject: 20, Domains: 1, Seed: 3, Anchor: anchor}
	chunk := p.Chunk(0, 0, p.Subjects)
	if got, want := len(chunk), 20000; got != want {
		t.Fatalf("events=%d, want %d", got, want)
	}
	again := p.Chunk(0, 0, p.Subjects)
	keys, late := map[string]bool{}, 0
	for i, e := range chunk {
		if e.Key != again[i].Key || e.OccurredAt != again[i].OccurredAt || e.Type != again[i].Type {
			t.Fatalf("event %d differs between two generations: %+v, %+v", i, e, again[i])
		}
		if keys[e.Key] {
			t.Fatalf("key %s twice", e.Key)
		}
		keys[e.Key] = true
		at, err := time.Parse(time.RFC3339, e.OccurredAt)
		if err != nil || at.After(anchor) || at.Before(anchor.AddDate(-6, 0, -2)) {
			t.Fatalf("event %s occurred at %s, want within six years before %s", e.Key, e.OccurredAt, anchor)
		}
		if e.Type == "payment_late" {
			late++
		}
	}
	if share := float64(late) / float64(len(chunk)); share < 0.13 || share > 0.17 {
		t.Errorf("adverse share %.3f, want about 0.15", share)
	}
}

// The plain-Go rules of the rescoring baseline are the CEL rules of
// version 2, and version 1 differs from it only in repayments' points.
func TestSpecVersions(t *testing.T) {
	v1, err := spec.Parse(specSource("bench.lending-2", 1))
	if err != nil {
		t.Fatal(err)
	}
	v2, err := spec.Parse(specSource("bench.lending-2", 2))
	if err != nil {
		t.Fatal(err)
	}
	if v1.ID != "bench.lending-2" || v2.ID != v1.ID {
		t.Fatalf("ids %q, %q, want bench.lending-2", v1.ID, v2.ID)
	}
	c, err := spec.Compile(v2)
	if err != nil {
		t.Fatal(err)
	}
	p := Population{Subjects: 100, EventsPerSubject: 20, Domains: 1, Seed: 5, Anchor: anchor}
	for _, e := range p.Chunk(0, 0, p.Subjects) {
		typed, err := spec.Fields(v2.Rule(e.Type), e.Fields, false)
		if err != nil {
			t.Fatal(err)
		}
		want, err := c.Points(e.Type, typed)
		if err != nil {
			t.Fatal(err)
		}
		stored, _ := json.Marshal(typed)
		var fields map[string]any
		if err := json.Unmarshal(stored, &fields); err != nil {
			t.Fatal(err)
		}
		if got, err := plainV2.points(e.Type, fields); err != nil || got != want {
			t.Fatalf("%s %s: plain Go %v (%v), CEL %v", e.Type, stored, got, err, want)
		}
	}
}

func TestParseSizes(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []int
		ok   bool
	}{
		{"", nil, true},
		{"10000,100000", []int{10000, 100000}, true},
		{"10k, 100k,1M", []int{10000, 100000, 1000000}, true},
		{"ten", nil, false},
		{"0", nil, false},
	} {
		got, err := ParseSizes(tt.in)
		if (err == nil) != tt.ok || !slices.Equal(got, tt.want) {
			t.Errorf("ParseSizes(%q) = %v, %v; want %v (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
