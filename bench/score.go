package bench

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"time"

	"github.com/probity-dev/probity"
)

// Sizes of the subject samples of the score scenarios.
const (
	// agreeSample is how many subjects Probity and the SQL baseline must
	// score alike (all of them in a smaller population).
	agreeSample = 200
	// targetPool is how many subjects the timed loops draw from.
	targetPool = 10000
)

// score measures scores with their full explanation in-process, and the
// SQL baseline, each from N concurrent callers, after checking that both
// give a sample of subjects the same score. overHTTP measures them served.
func (r *runner) score(ctx context.Context) ([]Row, error) {
	s := r.main
	stmt, err := s.prepareBaseline(ctx)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	if err := r.check(ctx, s, stmt); err != nil {
		return nil, err
	}
	pool, err := s.targets(targetPool)
	if err != nil {
		return nil, err
	}
	r.logf("score: in-process and by SQL, %d concurrent callers, %s each", r.opts.Concurrency, r.opts.Duration)
	var inh, sqlh heapPeak
	in, err := r.timed(ctx, &inh, s.inProcess(pool))
	if err != nil {
		return nil, err
	}
	base, err := r.timed(ctx, &sqlh, bySQL(stmt, pool, s.asOf))
	if err != nil {
		return nil, err
	}
	return latencyRows("score in-process", in, base, &inh, &sqlh, baselineSQL), nil
}

// check compares Probity's scores with the SQL baseline's on a sample.
func (r *runner) check(ctx context.Context, s *site, stmt *sql.Stmt) error {
	sample, err := s.targets(agreeSample)
	if err != nil {
		return err
	}
	r.logf("score: %d subjects scored by Probity and by the SQL baseline as of %s", len(sample), s.asOf.Format(time.RFC3339Nano))
	return s.agree(ctx, stmt, sample)
}

// timed runs a timed loop of call with the bench's concurrency and
// duration, recording the heap's peak in h.
func (r *runner) timed(ctx context.Context, h *heapPeak, call func(context.Context, *rand.Rand) error) (*load, error) {
	collect()
	var l *load
	err := h.measure(func() error {
		var err error
		l, err = hammer(ctx, r.opts.Concurrency, r.opts.Duration, r.opts.Seed, call)
		return err
	})
	return l, err
}

// inProcess returns a call that scores a random target through the
// services, as the reader principal, with the bench's purpose.
func (s *site) inProcess(pool []target) func(context.Context, *rand.Rand) error {
	return func(_ context.Context, rng *rand.Rand) error {
		t := pool[rng.IntN(len(pool))]
		_, err := s.bureau.Score(s.reader, probity.ScoreRequest{Domain: t.domain, Subject: t.subject, Purpose: Purpose, AsOf: s.asOf})
		return err
	}
}

// bySQL returns a call that runs the SQL baseline for a random target.
func bySQL(stmt *sql.Stmt, pool []target, asOf time.Time) func(context.Context, *rand.Rand) error {
	return func(ctx context.Context, rng *rand.Rand) error {
		_, err := sqlScoreOf(ctx, stmt, pool[rng.IntN(len(pool))], asOf)
		return err
	}
}
