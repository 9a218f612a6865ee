package scoring_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/scoring"
)

// propertyRuns is how many random subjects each property is checked on.
const propertyRuns = 3000

// randomInput returns a random subject under a random variant of the
// example spec: any mix of event types (some unknown), raw points of either
// sign, cures, disputes, official terms, and events occurred or recorded
// after as_of.
func randomInput(rng *rand.Rand) scoring.Input {
	spec := exampleSpec()
	spec.Score.MinEvents = rng.IntN(4)
	if rng.IntN(3) == 0 {
		spec.Penalties = probity.PenaltiesOrganizationsOnly
	}
	if rng.IntN(2) == 0 {
		spec.Officials = nil
	}
	types := []string{"loan_repaid", "payment_late", "payment_late", "payment_settled", "parking_fine"}
	in := scoring.Input{
		Domain: spec.ID, Version: 1, Spec: spec, AsOf: goldenAsOf,
		Kind:      probity.SubjectKinds[rng.IntN(len(probity.SubjectKinds))],
		OptedOut:  rng.IntN(10) == 0,
		Suspended: map[string]bool{},
	}
	for i := range rng.IntN(30) {
		occurred := goldenAsOf.Add(-randomAge(rng, 4000))
		e := event(fmt.Sprintf("e%02d", i), types[rng.IntN(len(types))], occurred, float64(rng.IntN(401)-200)/2)
		e.RecordedAt = occurred.Add(randomAge(rng, 20))
		if i > 0 && rng.IntN(4) == 0 {
			e.Type, e.Raw = "payment_settled", 0
			e.Cures = fmt.Sprintf("e%02d", rng.IntN(i))
		}
		if rng.IntN(10) == 0 {
			in.Suspended[e.Key] = true
		}
		in.Events = append(in.Events, e)
	}
	if rng.IntN(3) == 0 {
		from := goldenAsOf.Add(-randomAge(rng, 3000))
		in.Terms = []probity.OfficialTerm{{Office: "Councillor", From: from, To: from.Add(randomAge(rng, 1500))}}
	}
	return in
}

// randomAge returns a random duration of up to n days, to the second.
func randomAge(rng *rand.Rand, n int) time.Duration {
	return time.Duration(rng.Int64N(int64(n)*86400)) * time.Second
}

// forRandomInputs calls check with propertyRuns random inputs from a fixed seed.
func forRandomInputs(t *testing.T, check func(t *testing.T, rng *rand.Rand, in scoring.Input)) {
	t.Helper()
	rng := rand.New(rand.NewPCG(20250601, 1))
	for range propertyRuns {
		check(t, rng, randomInput(rng))
	}
}

// scores returns the score at as_of and at each projection time, -1 where
// the subject is not rated.
func scores(s *probity.Score) []int {
	out := []int{-1}
	if s.Score != nil {
		out[0] = *s.Score
	}
	for _, p := range s.Projection {
		v := -1
		if p.Score != nil {
			v = *p.Score
		}
		out = append(out, v)
	}
	return out
}

func TestPropertyScoreWithinRange(t *testing.T) {
	forRandomInputs(t, func(t *testing.T, _ *rand.Rand, in scoring.Input) {
		s := scoring.Compute(in)
		for i, v := range scores(s) {
			if v != -1 && (v < in.Spec.Score.Min || v > in.Spec.Score.Max) {
				t.Fatalf("score %d (at horizon %d) outside [%d, %d] for %+v", v, i, in.Spec.Score.Min, in.Spec.Score.Max, in)
			}
		}
	})
}

func TestPropertyPositiveEventNeverLowers(t *testing.T) {
	forRandomInputs(t, func(t *testing.T, rng *rand.Rand, in scoring.Input) {
		before := scores(scoring.Compute(in))
		typ := []string{"loan_repaid", "payment_late", "payment_settled"}[rng.IntN(3)]
		extra := event("extra", typ, goldenAsOf.Add(-randomAge(rng, 4000)), float64(rng.IntN(200)+1)/2)
		in.Events = append(in.Events, extra)
		after := scores(scoring.Compute(in))
		for i := range before {
			if before[i] != -1 && after[i] != -1 && after[i] < before[i] {
				t.Fatalf("adding %+v lowered the score at horizon %d from %d to %d", extra, i, before[i], after[i])
			}
		}
	})
}

func TestPropertyExpiredEventsChangeNothing(t *testing.T) {
	forRandomInputs(t, func(t *testing.T, rng *rand.Rand, in scoring.Input) {
		want := scoring.Compute(in)
		for i := range rng.IntN(5) + 1 {
			typ := []string{"loan_repaid", "payment_late"}[rng.IntN(2)]
			expires := in.Spec.Rule(typ).Expires.Std()
			e := event(fmt.Sprintf("expired%d", i), typ, goldenAsOf.Add(-expires-randomAge(rng, 1000)), float64(rng.IntN(401)-200)/2)
			in.Events = append(in.Events, e)
			in.Suspended[e.Key] = rng.IntN(2) == 0
		}
		if got := scoring.Compute(in); !reflect.DeepEqual(got, want) {
			t.Fatalf("expired events changed the score:\ngot  %s\nwant %s", mustJSON(t, got), mustJSON(t, want))
		}
	})
}

func TestPropertyEventOrderChangesNothing(t *testing.T) {
	forRandomInputs(t, func(t *testing.T, rng *rand.Rand, in scoring.Input) {
		want := scoring.Compute(in)
		in.Events = append([]probity.PointedEvent(nil), in.Events...)
		rng.Shuffle(len(in.Events), func(i, j int) { in.Events[i], in.Events[j] = in.Events[j], in.Events[i] })
		if got := scoring.Compute(in); !reflect.DeepEqual(got, want) {
			t.Fatalf("reordering events changed the score:\ngot  %s\nwant %s", mustJSON(t, got), mustJSON(t, want))
		}
	})
}

// With every event known at as_of, the projection at a horizon is the score
// computed at that time.
func TestPropertyProjectionIsLaterScore(t *testing.T) {
	forRandomInputs(t, func(t *testing.T, _ *rand.Rand, in scoring.Input) {
		known := in.Events[:0:0]
		for _, e := range in.Events {
			if !e.OccurredAt.After(in.AsOf) && !e.RecordedAt.After(in.AsOf) {
				known = append(known, e)
			}
		}
		in.Events = known
		s := scoring.Compute(in)
		for _, p := range s.Projection {
			later := in
			later.AsOf = p.At
			l := scoring.Compute(later)
			if got, want := mustJSON(t, p), mustJSON(t, probity.Projection{At: p.At, Status: l.Status, Score: l.Score, Grade: l.Grade}); got != want {
				t.Fatalf("projection %s, want the score at that time %s", got, want)
			}
		}
	})
}
