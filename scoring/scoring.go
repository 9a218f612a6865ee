// Package scoring computes a subject's score in one domain: the scoring model
// v1 of DESIGN.md, step by step, with the explanation a subject is shown (P3).
//
// It is pure: no I/O, no clock and no CEL. Raw points arrive precomputed with
// the events, and the evaluation time is part of the input, so the same input
// always gives the same score whatever the order of its events.
//
// Entries that do not count (pending, suspended or cured) are listed with
// their points but carry a weight and a contribution of 0: they do not move
// the score today.
package scoring

import (
	"context"
	"math"
	"time"

	"github.com/probity-dev/probity"
)

// Input is everything one score depends on.
type Input struct {
	Domain string
	// Version is the number of the spec version in effect at AsOf, copied to
	// Score.SpecVersion.
	Version int
	// Spec is the spec version in effect at AsOf. It must not be nil.
	Spec *probity.Spec
	// Kind is the kind of the subject: persons take no adverse points in an
	// organizations_only domain.
	Kind probity.SubjectKind
	// Events are all stored, non-retracted events of the subject in the
	// domain, with Raw the points under Spec. Events not yet known or not yet
	// occurred at AsOf may be included: they are ignored.
	Events []probity.PointedEvent
	// Suspended holds the keys of events with an open dispute.
	Suspended map[string]bool
	// Terms are the subject's official terms.
	Terms []probity.OfficialTerm
	// OptedOut is set when the subject opted out of the domain: the record is
	// still explained, but the subject is not rated.
	OptedOut bool
	// AsOf is the evaluation time t.
	AsOf time.Time
	// Later are the spec versions that take effect after AsOf, in order,
	// each with the events' raw points under it. The projection scores the
	// record known at AsOf under the version in effect at each horizon (P9:
	// a subject sees announced rules before they apply).
	Later []Later
	// PerPage, when more than 0, shows only page Page (from 1; 0 means 1)
	// of PerPage entries of the explanation, the lists Contributions,
	// Pending, Suspended and Cured taken together in that order, and sets
	// Score.Page. The score, its reasons and its totals are computed over
	// every entry either way.
	PerPage int
	Page    int
}

// Later is a spec version announced to take effect after the evaluation time.
type Later struct {
	Version int
	From    time.Time
	Spec    *probity.Spec
	// Raw holds the raw points under Spec by event key.
	Raw map[string]float64
}

// horizons are how far ahead a score is projected, in days (step 11).
var horizons = [...]probity.Duration{30, 90, 365, 730, 1825}

// Compute returns the score of the subject of in at in.AsOf with its full
// explanation and its projection. Every list of the result is non-nil.
// Compute does not modify in and is safe for concurrent use.
func Compute(in Input) *probity.Score {
	s, _ := ComputeContext(context.Background(), in)
	return s
}

// ComputeContext is Compute for a caller who may leave: it looks at ctx
// between events (every checkEvery of them, in every pass over the record)
// and returns ctx.Err() as soon as it is done, so that a read whose client
// has gone stops costing the server.
func ComputeContext(ctx context.Context, in Input) (*probity.Score, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	st := &stopper{ctx: ctx}
	r := newRecord(in, st)
	total, counted := r.tally(in.AsOf)
	rt := r.rate(total, counted)
	s := &probity.Score{
		Domain:        in.Domain,
		SpecVersion:   in.Version,
		AsOf:          in.AsOf.UTC(),
		Status:        rt.status,
		Base:          in.Spec.Score.Base,
		EventsCounted: counted,
		MinEvents:     in.Spec.Score.MinEvents,
	}
	s.Score, s.Grade = rt.pointers()
	r.explain(s, in.Page, in.PerPage)
	s.Types = r.typeTotals()
	s.Reasons = reasons(in.Spec, r.adverse)
	s.Projection = project(in, r)
	if st.err != nil {
		return nil, st.err
	}
	return s, nil
}

// checkEvery is how many candidates a pass over a record handles between
// two looks at the context: often enough to stop within microseconds, seldom
// enough to cost nothing.
const checkEvery = 256

// stopper tells the passes over a record when their context is done. Once
// it is, every pass returns at once, and ComputeContext returns its error.
type stopper struct {
	ctx context.Context
	n   int
	err error
}

// stop reports whether the computation should stop, asking the context
// every checkEvery calls.
func (s *stopper) stop() bool {
	if s.err != nil {
		return true
	}
	if s.n++; s.n%checkEvery == 0 {
		s.err = s.ctx.Err()
	}
	return s.err != nil
}

// rating is a status with the score and grade that go with it.
type rating struct {
	status probity.Status
	score  int
	grade  string // "" below every band
}

// rate turns the sum of the per-type totals and the number of counted entries
// into a rating (steps 8 and 9).
func (r *record) rate(total float64, counted int) rating {
	switch {
	case r.optedOut:
		return rating{status: probity.StatusOptedOut}
	case counted < r.spec.Score.MinEvents:
		return rating{status: probity.StatusUnrated}
	}
	sc := r.spec.Score
	score := int(math.Round(clamp(float64(sc.Base)+total, float64(sc.Min), float64(sc.Max))))
	return rating{status: probity.StatusRated, score: score, grade: r.spec.GradeFor(score)}
}

// pointers returns the Score and Grade fields of a result: nil unless rated,
// and a nil grade for a score below every band.
func (rt rating) pointers() (*int, *string) {
	if rt.status != probity.StatusRated {
		return nil, nil
	}
	if rt.grade == "" {
		return &rt.score, nil
	}
	return &rt.score, &rt.grade
}

// project returns the score at each horizon after t if no new events arrive:
// the record known at t, evaluated later under the version then in effect
// (step 11).
func project(in Input, current *record) []probity.Projection {
	t := in.AsOf
	ps := make([]probity.Projection, len(horizons))
	records := map[int]*record{}
	for i, h := range horizons {
		if current.stop.err != nil {
			return ps
		}
		at := t.Add(h.Std())
		r := current
		if l := laterAt(in.Later, at); l != nil {
			if records[l.Version] == nil {
				records[l.Version] = newRecord(in.under(l), current.stop)
			}
			r = records[l.Version]
		}
		rt := r.rate(r.tally(at))
		ps[i] = probity.Projection{At: at.UTC(), Status: rt.status}
		ps[i].Score, ps[i].Grade = rt.pointers()
	}
	return ps
}

// laterAt returns the last of the later versions in effect at t, or nil.
func laterAt(later []Later, t time.Time) *Later {
	var in *Later
	for i := range later {
		if !later[i].From.After(t) {
			in = &later[i]
		}
	}
	return in
}

// under returns the input with a later version's spec and points.
func (in Input) under(l *Later) Input {
	events := make([]probity.PointedEvent, len(in.Events))
	for i, e := range in.Events {
		events[i] = e
		events[i].Raw = l.Raw[e.Key]
	}
	in.Spec, in.Version, in.Events, in.Later = l.Spec, l.Version, events, nil
	return in
}

// clamp limits x to [lo, hi].
func clamp(x, lo, hi float64) float64 { return max(lo, min(x, hi)) }

// round rounds x half away from zero to the given number of decimals for
// display, never returning a negative zero.
func round(x float64, decimals int) float64 {
	p := math.Pow10(decimals)
	r := math.Round(x*p) / p
	if r == 0 {
		return 0
	}
	return r
}
