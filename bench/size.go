package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/probity-dev/probity"
)

// sizes measures the score's p99 in-process, and the SQL baseline's, on a
// store of each size in --sizes: one domain, the bench's events per
// subject, built afresh for each size and dropped after it. The latency
// should not grow with the store.
func (r *runner) sizes(ctx context.Context) ([]Row, error) {
	var rows []Row
	smallest, largest := -1, -1
	for i, n := range r.opts.Sizes {
		row, err := r.size(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("store of %d subjects: %w", n, err)
		}
		rows = append(rows, row)
		if smallest < 0 || n < r.opts.Sizes[smallest] {
			smallest = i
		}
		if largest < 0 || n > r.opts.Sizes[largest] {
			largest = i
		}
	}
	if len(rows) < 2 {
		return rows, nil
	}
	// DESIGN.md: the p99 at 1,000,000 subjects within 1.5x of the p99 at
	// 10,000; here the largest size against the smallest.
	lo, hi := rows[smallest], rows[largest]
	name := fmt.Sprintf("score p99 at %s against %s subjects", figure("/s", float64(r.opts.Sizes[largest])), figure("/s", float64(r.opts.Sizes[smallest])))
	row := Row{Scenario: name + " (ms)", Unit: "ms", Probity: hi.Probity, Baseline: lo.Probity, Ratio: ratio(hi.Probity, lo.Probity),
		ProbityHeapMB: hi.ProbityHeapMB, BaselineHeapMB: lo.ProbityHeapMB, BaselineIs: baselineSmall}
	return append(rows, row.against(1.5, false)), nil
}

// baselineSmall is the size scenario's smallest store.
const baselineSmall = "smallest store"

func init() {
	Baselines[baselineSmall] = "the same score in-process, the same callers, on the smallest store of --sizes"
}

func (r *runner) size(ctx context.Context, n int) (Row, error) {
	pop := r.main.pop
	pop.Subjects, pop.Domains = n, 1
	s, err := newSite(ctx, r.be, r.keys, fmt.Sprintf("size-%d", n), pop)
	if err != nil {
		return Row{}, err
	}
	defer s.close(ctx)
	r.logf("size %d: ingesting %d events", n, pop.Total())
	start, done, next := time.Now(), 0, pop.Total()/10
	err = pop.chunks(func(d int, inputs []probity.EventInput) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := s.ingest(d, inputs); err != nil {
			return err
		}
		if done += len(inputs); done >= next && done < pop.Total() {
			r.logf("size %d: %d of %d events stored (%s)", n, done, pop.Total(), time.Since(start).Round(time.Second))
			next += pop.Total() / 10
		}
		return nil
	})
	if err != nil {
		return Row{}, err
	}
	s.settle()
	stmt, err := s.prepareBaseline(ctx)
	if err != nil {
		return Row{}, err
	}
	defer stmt.Close()
	if err := r.check(ctx, s, stmt); err != nil {
		return Row{}, err
	}
	pool, err := s.targets(targetPool)
	if err != nil {
		return Row{}, err
	}
	var ph, bh heapPeak
	got, err := r.timed(ctx, &ph, s.inProcess(pool))
	if err != nil {
		return Row{}, err
	}
	base, err := r.timed(ctx, &bh, bySQL(stmt, pool, s.asOf))
	if err != nil {
		return Row{}, err
	}
	name := fmt.Sprintf("score p99 at %s subjects", figure("/s", float64(n)))
	return newRow(name, "ms", ms(got.percentile(0.99)), ms(base.percentile(0.99)), &ph, &bh, baselineSQL), nil
}
