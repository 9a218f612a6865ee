package bench

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// underLoad measures the score's latency while one large file is ingested
// into the same domain, beside the same figure at rest (DESIGN.md: a
// score's p99 during a 1,000,000-event ingest stays within 3x of its p99 at
// rest). The file is new subjects' events, sent as one input: one
// transaction, as a reporter's nightly file would be.
func (r *runner) underLoad(ctx context.Context) ([]Row, error) {
	s := r.main
	pool, err := s.targets(targetPool)
	if err != nil {
		return nil, err
	}
	p := s.pop
	extra := max(1, min(p.Subjects, r.opts.LoadEvents/p.EventsPerSubject))
	inputs := p.Chunk(0, p.Subjects, p.Subjects+extra)
	r.logf("score under load: %d callers at rest for %s, then while %d events are ingested into %s", r.opts.Concurrency, r.opts.Duration, len(inputs), s.domains[0])
	var rh, lh heapPeak
	rest, err := r.timed(ctx, &rh, s.inProcess(pool))
	if err != nil {
		return nil, err
	}
	collect()
	var during *load
	var ingestTime time.Duration
	err = lh.measure(func() error {
		done := make(chan error, 1)
		started := time.Now()
		go func() {
			_, err := s.ingest(0, inputs)
			ingestTime = time.Since(started)
			done <- err
		}()
		var err error
		during, err = hammerWhile(ctx, r.opts.Concurrency, done, r.opts.Seed, s.inProcess(pool))
		return err
	})
	if err != nil {
		return nil, err
	}
	r.logf("score under load: the ingest of %d events took %s; %d scores read meanwhile", len(inputs), ingestTime.Round(time.Millisecond), len(during.latencies))
	name := "score during a large ingest" // the log above says how large
	var rows []Row
	for _, q := range []struct {
		name string
		q    float64
	}{{"p50", 0.50}, {"p99", 0.99}} {
		rows = append(rows, newRow(name+" "+q.name, "ms", ms(during.percentile(q.q)), ms(rest.percentile(q.q)), &lh, &rh, baselineRest))
	}
	rows[1] = rows[1].against(3, false) // DESIGN.md: p99 within 3x of at rest
	return rows, nil
}

// hammerWhile is hammer until done yields the result of the load it runs
// beside: every call's latency while the load lasts. An error of the load
// or of a call stops it.
func hammerWhile(ctx context.Context, workers int, done <-chan error, seed uint64, call func(context.Context, *rand.Rand) error) (*load, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	per := make([][]time.Duration, workers)
	stop := make(chan struct{})
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(seed, uint64(w)))
			for {
				select {
				case <-stop:
					return
				default:
				}
				t0 := time.Now()
				if err := call(ctx, r); err != nil {
					cancel(err)
					return
				}
				per[w] = append(per[w], time.Since(t0))
			}
		})
	}
	var loadErr error
	select {
	case loadErr = <-done:
	case <-ctx.Done():
	}
	close(stop)
	wg.Wait()
	if loadErr != nil {
		return nil, loadErr
	}
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	l := &load{latencies: slices.Concat(per...), wall: time.Since(start)}
	slices.Sort(l.latencies)
	return l, nil
}
