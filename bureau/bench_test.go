package bureau_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/population"
)

// sliceReader replays prepared inputs, so that benchmarks measure ingest and
// not the generation of the population.
type sliceReader struct {
	inputs []probity.EventInput
	i      int
}

func (r *sliceReader) Next() (probity.EventInput, error) {
	if r.i == len(r.inputs) {
		return probity.EventInput{}, errEOF
	}
	r.i++
	return r.inputs[r.i-1], nil
}

func lendingPopulation(tb testing.TB, f *fixture, subjects int) []probity.EventInput {
	tb.Helper()
	d, err := f.Domain(local(), "acme.lending")
	if err != nil {
		tb.Fatal(err)
	}
	pop, err := population.NewDomain(d.Spec, "L", population.Options{Subjects: subjects, Seed: 7, Now: t0.Add(-24 * time.Hour)})
	if err != nil {
		tb.Fatal(err)
	}
	var inputs []probity.EventInput
	for i := range subjects {
		inputs = append(inputs, pop.SubjectEvents(i)...)
	}
	return inputs
}

// BenchmarkIngest measures ingest with validation, pseudonyms and points into
// the embedded store (DESIGN.md target: >= 150,000 events/s).
func BenchmarkIngest(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		f := newFixture(b)
		f.applyFile(b, lending)
		inputs := lendingPopulation(b, f, 5000)
		b.StartTimer()
		sum, err := f.Ingest(local(), "acme.lending", &sliceReader{inputs: inputs}, probity.IngestOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(sum.Accepted)/sum.Elapsed.Seconds(), "events/s")
	}
}

// BenchmarkScore measures one score with its full explanation on a store of
// 5,000 subjects.
func BenchmarkScore(b *testing.B) {
	f := newFixture(b)
	f.applyFile(b, lending)
	inputs := lendingPopulation(b, f, 5000)
	if _, err := f.Ingest(local(), "acme.lending", &sliceReader{inputs: inputs}, probity.IngestOptions{}); err != nil {
		b.Fatal(err)
	}
	subject := inputs[len(inputs)/2].Subject
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.Score(local(), probity.ScoreRequest{Domain: "acme.lending", Subject: subject}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScoreParallel measures scores from concurrent callers, whose read
// leaves share transactions (DESIGN.md target: >= 10,000 scores/s).
func BenchmarkScoreParallel(b *testing.B) {
	f := newFixture(b)
	f.applyFile(b, lending)
	inputs := lendingPopulation(b, f, 5000)
	if _, err := f.Ingest(local(), "acme.lending", &sliceReader{inputs: inputs}, probity.IngestOptions{}); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i += 7919
			if _, err := f.Score(local(), probity.ScoreRequest{Domain: "acme.lending", Subject: inputs[i%len(inputs)].Subject}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "scores/s")
}

// BenchmarkRescore measures applying a new spec version to a domain of
// 5,000 subjects: every stored event gets its points under the new version
// (DESIGN.md target: >= 1,000,000 events/s).
func BenchmarkRescore(b *testing.B) {
	source, err := os.ReadFile(lending)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		f := newFixture(b)
		f.apply(b, string(source))
		inputs := lendingPopulation(b, f, 5000)
		if _, err := f.Ingest(local(), "acme.lending", &sliceReader{inputs: inputs}, probity.IngestOptions{}); err != nil {
			b.Fatal(err)
		}
		v2 := strings.Replace(string(source), `points: "10.0 + (amount > 10000.0 ? 10.0 : 0.0)"`, `points: "12.0 + (amount > 10000.0 ? 10.0 : 0.0)"`, 1)
		b.StartTimer()
		start := time.Now()
		res := f.apply(b, v2)
		b.ReportMetric(float64(len(inputs))/time.Since(start).Seconds(), "events/s")
		if res.Version != 2 {
			b.Fatalf("applied version %d, want 2", res.Version)
		}
	}
}
