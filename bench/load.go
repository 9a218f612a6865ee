package bench

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// load is the outcome of one timed loop: the latency of every call and the
// wall time of the whole loop.
type load struct {
	latencies []time.Duration // sorted
	wall      time.Duration
}

// hammer calls call from workers goroutines at once, each in a loop, until
// d has passed (each makes at least one call), and records every call's
// latency. The first error stops every worker and is returned. Each worker
// draws its choices from its own generator, seeded from seed.
func hammer(ctx context.Context, workers int, d time.Duration, seed uint64, call func(ctx context.Context, r *rand.Rand) error) (*load, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	per := make([][]time.Duration, workers)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(seed, uint64(w)))
			for ctx.Err() == nil {
				t0 := time.Now()
				if err := call(ctx, r); err != nil {
					cancel(err)
					return
				}
				now := time.Now()
				per[w] = append(per[w], now.Sub(t0))
				if now.After(deadline) {
					return
				}
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	l := &load{latencies: slices.Concat(per...), wall: wall}
	slices.Sort(l.latencies)
	return l, nil
}

// percentile returns the latency that a fraction p (0.5, 0.99) of calls
// did not exceed (nearest rank).
func (l *load) percentile(p float64) time.Duration {
	if len(l.latencies) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(l.latencies)))) - 1
	return l.latencies[max(0, min(i, len(l.latencies)-1))]
}

// rate returns calls per second of wall time.
func (l *load) rate() float64 { return float64(len(l.latencies)) / l.wall.Seconds() }

// ms returns a duration in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// latencyRows returns the rows of a scenario measured as latencies: p50,
// p95 and p99 in milliseconds and queries per second, against the same
// figures of the baseline.
func latencyRows(scenario string, got, base *load, ph, bh *heapPeak, is string) []Row {
	var rows []Row
	for _, p := range []struct {
		name string
		q    float64
	}{{"p50", 0.50}, {"p95", 0.95}, {"p99", 0.99}} {
		rows = append(rows, newRow(scenario+" "+p.name, "ms", ms(got.percentile(p.q)), ms(base.percentile(p.q)), ph, bh, is))
	}
	return append(rows, newRow(scenario, "queries/s", got.rate(), base.rate(), ph, bh, is))
}
