package scoring_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/scoring"
)

// Step 6: an entry's weight halves every half-life.
func TestComputeWeight(t *testing.T) {
	decaying := rule(plain, func(r *probity.EventRule) { r.HalfLife = 100 })
	for _, tt := range []struct {
		name             string
		rule             probity.EventRule
		age              time.Duration
		wantWeight       float64
		wantContribution float64
		wantScore        int
	}{
		{"New", decaying, 0, 1, 40, 640},
		{"HalfLife", decaying, days(100), 0.5, 20, 620},
		{"TwoHalfLives", decaying, days(200), 0.25, 10, 610},
		{"HalfAHalfLife", decaying, days(50), 0.707107, 28.2843, 628},
		{"FractionalDays", decaying, days(100) + 12*time.Hour, 0.49827, 19.9308, 620},
		{"NoHalfLife", plain, days(1000), 1, 40, 640},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := scoring.Compute(input(newSpec(tt.rule), event("e1", "plain", asOf.Add(-tt.age), 40)))
			_, e := find(t, s, "e1")
			if got, want := e.Weight, tt.wantWeight; got != want {
				t.Fatalf("Weight=%v, want %v", got, want)
			}
			if got, want := e.Contribution, tt.wantContribution; got != want {
				t.Fatalf("Contribution=%v, want %v", got, want)
			}
			if got, want := scoreOf(t, s), tt.wantScore; got != want {
				t.Fatalf("Score=%d, want %d", got, want)
			}
		})
	}
}

// Step 7: a type's contributions are clamped to its cap in both directions.
func TestComputeCap(t *testing.T) {
	capped := rule(plain, func(r *probity.EventRule) { r.Cap = 100 })
	for _, tt := range []struct {
		name       string
		rule       probity.EventRule
		raws       []float64
		wantTotal  probity.TypeTotal
		wantScore  int
		wantReason float64
	}{
		{"Adverse", capped, []float64{-40, -40, -40}, probity.TypeTotal{Type: "plain", Sum: -120, Total: -100, Capped: true}, 500, -120},
		{"Positive", capped, []float64{40, 40, 40}, probity.TypeTotal{Type: "plain", Sum: 120, Total: 100, Capped: true}, 700, 0},
		{"AtCap", capped, []float64{-60, -40}, probity.TypeTotal{Type: "plain", Sum: -100, Total: -100}, 500, -100},
		{"WithinCap", capped, []float64{-40, -40, 40}, probity.TypeTotal{Type: "plain", Sum: -40, Total: -40}, 560, -80},
		{"NoCap", plain, []float64{-40, -40, -40}, probity.TypeTotal{Type: "plain", Sum: -120, Total: -120}, 480, -120},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var events []probity.PointedEvent
			for i, raw := range tt.raws {
				events = append(events, event(string(rune('a'+i)), "plain", ago(float64(i+1)), raw))
			}
			s := scoring.Compute(input(newSpec(tt.rule), events...))
			if got, want := s.Types, []probity.TypeTotal{tt.wantTotal}; !slices.Equal(got, want) {
				t.Fatalf("Types=%+v, want %+v", got, want)
			}
			if got, want := scoreOf(t, s), tt.wantScore; got != want {
				t.Fatalf("Score=%d, want %d", got, want)
			}
			var impact float64
			for _, r := range s.Reasons {
				impact += r.Impact
			}
			if got, want := impact, tt.wantReason; got != want {
				t.Fatalf("reason impact %v, want %v: reasons sum the contributions before the cap", got, want)
			}
		})
	}
}

// Step 8: the score is base plus the totals, clamped to [min, max] and
// rounded half away from zero.
func TestComputeClampAndRound(t *testing.T) {
	signed := newSpec(plain)
	signed.Score = probity.ScoreRange{Base: 0, Min: -100, Max: 100, MinEvents: 1}
	for _, tt := range []struct {
		name string
		spec *probity.Spec
		raws []float64
		want int
	}{
		{"AboveMax", newSpec(plain), []float64{400}, 900},
		{"AtMax", newSpec(plain), []float64{300}, 900},
		{"BelowMin", newSpec(plain), []float64{-400}, 300},
		{"AtMin", newSpec(plain), []float64{-300}, 300},
		{"HalfUp", newSpec(plain), []float64{0.5}, 601},
		{"HalfUpFromOdd", newSpec(plain), []float64{-1.5}, 599},
		{"HalfUpFromEven", newSpec(plain), []float64{-0.5}, 600},
		{"BelowHalf", newSpec(plain), []float64{0.4999}, 600},
		{"HalfFromSums", newSpec(plain), []float64{0.25, 0.25}, 601},
		{"NegativeHalf", signed, []float64{-0.5}, -1},
		{"NegativeOneAndHalf", signed, []float64{-2.5}, -3},
		{"PositiveHalf", signed, []float64{0.5}, 1},
		{"NegativeBelowHalf", signed, []float64{-0.4999}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var events []probity.PointedEvent
			for i, raw := range tt.raws {
				events = append(events, event(string(rune('a'+i)), "plain", ago(1), raw))
			}
			s := scoring.Compute(input(tt.spec, events...))
			if got, want := scoreOf(t, s), tt.want; got != want {
				t.Fatalf("Score=%d, want %d", got, want)
			}
		})
	}
}

// Step 8: the grade is the first band whose min the score reaches.
func TestComputeGrade(t *testing.T) {
	above := newSpec(plain)
	above.Grades = []probity.GradeBand{{Grade: "A", Min: 750}, {Grade: "B", Min: 400}}
	for _, tt := range []struct {
		name string
		spec *probity.Spec
		raw  float64
		want string
	}{
		{"Top", newSpec(plain), 300, "A"},
		{"BandMin", newSpec(plain), 150, "A"},
		{"BelowBandMin", newSpec(plain), 149, "B"},
		{"RoundedUpToBand", newSpec(plain), 149.5, "A"},
		{"Middle", newSpec(plain), 0, "C"},
		{"Bottom", newSpec(plain), -300, "D"},
		{"BelowEveryBand", above, -300, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := scoring.Compute(input(tt.spec, event("e1", "plain", ago(1), tt.raw)))
			got := ""
			if s.Grade != nil {
				got = *s.Grade
			}
			if got != tt.want {
				t.Fatalf("Grade=%q, want %q (score %d)", got, tt.want, scoreOf(t, s))
			}
		})
	}
}

// Step 9: fewer counted entries than min_events is unrated, never low; an
// opted-out subject is opted_out whatever its record.
func TestComputeStatus(t *testing.T) {
	for _, tt := range []struct {
		name        string
		minEvents   int
		optedOut    bool
		events      []probity.PointedEvent
		wantStatus  probity.Status
		wantCounted int
	}{
		{"Rated", 2, false, []probity.PointedEvent{event("a", "plain", ago(2), -50), event("b", "plain", ago(1), -50)}, probity.StatusRated, 2},
		{"ThinFile", 2, false, []probity.PointedEvent{event("a", "plain", ago(1), -50)}, probity.StatusUnrated, 1},
		{"ZeroContributions", 2, false, []probity.PointedEvent{event("a", "plain", ago(2), 0), event("b", "payment_settled", ago(1), 0)}, probity.StatusRated, 2},
		{"PendingNotCounted", 2, false, []probity.PointedEvent{event("a", "plain", ago(2), -50), event("b", "payment_late", ago(1), -40)}, probity.StatusUnrated, 1},
		{"NoEventsNeeded", 0, false, nil, probity.StatusRated, 0},
		{"NoEvents", 1, false, nil, probity.StatusUnrated, 0},
		{"OptedOut", 1, true, []probity.PointedEvent{event("a", "plain", ago(2), -50), event("b", "plain", ago(1), -50)}, probity.StatusOptedOut, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			spec := newSpec(plain, late, settled)
			spec.Score.MinEvents = tt.minEvents
			in := input(spec, tt.events...)
			in.OptedOut = tt.optedOut
			s := scoring.Compute(in)
			if got, want := s.Status, tt.wantStatus; got != want {
				t.Fatalf("Status=%s, want %s", got, want)
			}
			if got, want := s.EventsCounted, tt.wantCounted; got != want {
				t.Fatalf("EventsCounted=%d, want %d", got, want)
			}
			if got, want := len(s.Contributions), tt.wantCounted; got != want {
				t.Fatalf("len(Contributions)=%d, want %d", got, want)
			}
			if got, want := s.Grade == nil, tt.wantStatus != probity.StatusRated; got != want {
				t.Fatalf("Grade=%v with Status=%s", s.Grade, s.Status)
			}
			scoreOf(t, s)
			if got, want := [2]int{s.MinEvents, s.Base}, [2]int{tt.minEvents, 600}; got != want {
				t.Fatalf("MinEvents, Base=%v, want %v", got, want)
			}
			if tt.wantCounted > 0 && tt.events[0].Raw < 0 && len(s.Reasons) == 0 {
				t.Fatalf("Reasons=[], want the adverse reasons whatever the status")
			}
		})
	}
}

// Step 10: adverse contributions are summed per code and the four most
// negative codes are given, ties by code.
func TestComputeReasons(t *testing.T) {
	spec := newSpec(late, settled)
	for _, code := range []string{"R1", "R2", "R3", "R4", "R5"} {
		r := rule(plain, func(r *probity.EventRule) { r.Type, r.Code, r.Reason = strings.ToLower(code), code, "Reason "+code })
		spec.Events = append(spec.Events, r)
	}
	spec.Events = append(spec.Events, rule(plain, func(r *probity.EventRule) { r.Type, r.Code, r.Reason = "r1_other", "R1", "Other R1" }))
	for _, tt := range []struct {
		name      string
		events    []probity.PointedEvent
		suspended string
		want      []probity.Reason
	}{
		{"TopFour", []probity.PointedEvent{
			event("a", "r1", ago(1), -10), event("b", "r2", ago(1), -50), event("c", "r3", ago(1), -30),
			event("d", "r4", ago(1), -30), event("e", "r5", ago(1), -5), event("f", "r1", ago(2), -10),
		}, "", []probity.Reason{
			{Code: "R2", Text: "Reason R2", Impact: -50}, {Code: "R3", Text: "Reason R3", Impact: -30},
			{Code: "R4", Text: "Reason R4", Impact: -30}, {Code: "R1", Text: "Reason R1", Impact: -20},
		}},
		{"SharedCode", []probity.PointedEvent{event("a", "r1_other", ago(1), -10), event("b", "r1", ago(1), -15)},
			"", []probity.Reason{{Code: "R1", Text: "Reason R1", Impact: -25}}},
		{"OnlyAdverse", []probity.PointedEvent{event("a", "r1", ago(1), 10), event("b", "r1", ago(1), -15), event("c", "r2", ago(1), 5)},
			"", []probity.Reason{{Code: "R1", Text: "Reason R1", Impact: -15}}},
		{"OnlyCounted", []probity.PointedEvent{
			event("a", "payment_late", ago(1), -40), event("b", "payment_late", ago(60), -40),
			cure("c", "payment_settled", ago(55), "b"), event("d", "r1", ago(1), -90),
		}, "d", []probity.Reason{}},
		{"RoundedToCents", []probity.PointedEvent{event("a", "r3", ago(1), -33.33333)},
			"", []probity.Reason{{Code: "R3", Text: "Reason R3", Impact: -33.33}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := input(spec, tt.events...)
			in.Suspended = map[string]bool{tt.suspended: true}
			s := scoring.Compute(in)
			if got, want := s.Reasons, tt.want; !slices.Equal(got, want) {
				t.Fatalf("Reasons=%+v, want %+v", got, want)
			}
		})
	}
}

// Step 11: the projection evaluates what is known now at later times:
// pending entries start to count, weights decay and entries expire.
func TestComputeProjection(t *testing.T) {
	decaying := rule(late, func(r *probity.EventRule) { r.HalfLife, r.Expires = 365, 730 })
	repaid := rule(plain, func(r *probity.EventRule) { r.Type, r.Expires = "loan_repaid", 365 })
	spec := newSpec(decaying, settled, repaid)
	record := []probity.PointedEvent{
		event("late", "payment_late", ago(10), -40),
		event("repaid", "loan_repaid", ago(300), 20),
		recorded(event("unknown", "loan_repaid", ago(1), 100), asOf.Add(time.Hour)),
	}
	rated := func(score int, grade string) probity.Projection {
		return probity.Projection{Status: probity.StatusRated, Score: &score, Grade: &grade}
	}
	unrated := probity.Projection{Status: probity.StatusUnrated}
	optedOut := probity.Projection{Status: probity.StatusOptedOut}
	for _, tt := range []struct {
		name     string
		optedOut bool
		want     []probity.Projection
	}{
		{"OK", false, []probity.Projection{rated(583, "C"), rated(567, "C"), rated(580, "C"), unrated, unrated}},
		{"OptedOut", true, []probity.Projection{optedOut, optedOut, optedOut, optedOut, optedOut}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := input(spec, record...)
			in.OptedOut = tt.optedOut
			s := scoring.Compute(in)
			if got, want := len(s.Projection), len(tt.want); got != want {
				t.Fatalf("len(Projection)=%d, want %d", got, want)
			}
			for i, offset := range []float64{30, 90, 365, 730, 1825} {
				got, want := s.Projection[i], tt.want[i]
				want.At = asOf.Add(days(offset))
				if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
					t.Fatalf("Projection[%d]=%s, want %s", i, g, w)
				}
			}
		})
	}
}

// The result is complete and stable: every list is present, entries are in
// time then key order, types in spec order, and times in UTC.
func TestComputeOutput(t *testing.T) {
	t.Run("Empty", func(t *testing.T) {
		s := scoring.Compute(input(newSpec(plain)))
		got := mustJSON(t, s)
		for _, list := range []string{"reasons", "contributions", "pending", "suspended", "cured", "types"} {
			if !strings.Contains(got, `"`+list+`":[]`) {
				t.Fatalf("%s: want %q to be an empty list", got, list)
			}
		}
	})
	t.Run("Order", func(t *testing.T) {
		spec := newSpec(late, plain, settled)
		s := scoring.Compute(input(spec,
			event("c", "plain", ago(1), 1), event("b", "payment_late", ago(40), -40), event("a", "plain", ago(1), 1),
		))
		var keys []string
		for _, e := range s.Contributions {
			keys = append(keys, e.Key)
		}
		if got, want := keys, []string{"b", "a", "c"}; !slices.Equal(got, want) {
			t.Fatalf("Contributions keys=%q, want %q", got, want)
		}
		var types []string
		for _, tt := range s.Types {
			types = append(types, tt.Type)
		}
		if got, want := types, []string{"payment_late", "plain"}; !slices.Equal(got, want) {
			t.Fatalf("Types=%q, want %q (spec order)", got, want)
		}
	})
	t.Run("UTC", func(t *testing.T) {
		in := input(newSpec(plain), event("a", "plain", ago(1).In(time.FixedZone("CST", 8*3600)), 1))
		in.AsOf = asOf.In(time.FixedZone("CST", 8*3600))
		s := scoring.Compute(in)
		if got, want := s.AsOf.Location(), time.UTC; got != want {
			t.Fatalf("AsOf in %v, want %v", got, want)
		}
		if got, want := s.Contributions[0].OccurredAt.Location(), time.UTC; got != want {
			t.Fatalf("OccurredAt in %v, want %v", got, want)
		}
	})
	t.Run("Header", func(t *testing.T) {
		in := input(newSpec(plain))
		in.Domain, in.Version = "acme.lending", 7
		s := scoring.Compute(in)
		if got, want := [2]any{s.Domain, s.SpecVersion}, [2]any{"acme.lending", 7}; got != want {
			t.Fatalf("Domain, SpecVersion=%v, want %v", got, want)
		}
	})
}

// mustJSON returns v as compact JSON.
func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
