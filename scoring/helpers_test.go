package scoring_test

import (
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/scoring"
)

// asOf is the evaluation time of every test unless a case says otherwise.
var asOf = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// days returns n days as a time.Duration.
func days(n float64) time.Duration { return time.Duration(n * float64(24*time.Hour)) }

// ago returns the time n days before asOf.
func ago(n float64) time.Time { return asOf.Add(-days(n)) }

// Rules used across tests. Each isolates the steps a test is about.
var (
	// plain has no half-life, expiry, grace or cap.
	plain = probity.EventRule{Type: "plain", Basis: "contract", Points: "0.0", Code: "X01", Reason: "Plain entries"}
	// late waits out a 30-day grace period and is cured by settled.
	late = probity.EventRule{Type: "payment_late", Basis: "repayment", Points: "-40.0",
		Grace: 30, CuredBy: []string{"payment_settled"}, Code: "L01", Reason: "Late payments"}
	settled  = probity.EventRule{Type: "payment_settled", Basis: "repayment", Points: "0.0", Code: "S01", Reason: "Settled arrears"}
	reversed = probity.EventRule{Type: "payment_reversed", Basis: "repayment", Points: "0.0", Code: "V01", Reason: "Reversed payments"}
)

// newSpec returns a spec with the example score range and grades, penalties
// for all, and the given rules.
func newSpec(rules ...probity.EventRule) *probity.Spec {
	return &probity.Spec{
		ID:        "test.lending",
		Name:      "Test lending",
		Category:  "finance",
		Subjects:  []probity.SubjectKind{probity.KindPerson, probity.KindOrganization},
		Penalties: probity.PenaltiesAll,
		OptOut:    probity.OptOutAllowed,
		Score:     probity.ScoreRange{Base: 600, Min: 300, Max: 900, MinEvents: 1},
		Grades: []probity.GradeBand{
			{Grade: "A", Min: 750}, {Grade: "B", Min: 650}, {Grade: "C", Min: 500}, {Grade: "D", Min: 300},
		},
		Events: rules,
	}
}

// rule returns a copy of r with change applied.
func rule(r probity.EventRule, change func(*probity.EventRule)) probity.EventRule {
	r.CuredBy = append([]string(nil), r.CuredBy...)
	change(&r)
	return r
}

// event returns an event of typ that occurred and was recorded at occurred.
func event(key, typ string, occurred time.Time, raw float64) probity.PointedEvent {
	return probity.PointedEvent{
		Event: probity.Event{Domain: "test.lending", Key: key, Type: typ, Kind: probity.KindPerson,
			OccurredAt: occurred, RecordedAt: occurred},
		Raw: raw,
	}
}

// cure returns an event of typ that cures the event with key cures.
func cure(key, typ string, occurred time.Time, cures string) probity.PointedEvent {
	e := event(key, typ, occurred, 0)
	e.Cures = cures
	return e
}

// recorded returns e recorded at t.
func recorded(e probity.PointedEvent, t time.Time) probity.PointedEvent {
	e.RecordedAt = t
	return e
}

// input returns the input of a person's score at asOf.
func input(spec *probity.Spec, events ...probity.PointedEvent) scoring.Input {
	return scoring.Input{
		Domain:  spec.ID,
		Version: 1,
		Spec:    spec,
		Kind:    probity.KindPerson,
		Events:  events,
		AsOf:    asOf,
	}
}

// find returns the list of s that shows the entry with key ("contributions",
// "pending", "suspended" or "cured") and the entry, or "" if none shows it.
func find(tb testing.TB, s *probity.Score, key string) (string, probity.Entry) {
	tb.Helper()
	lists := []struct {
		name    string
		entries []probity.Entry
	}{
		{"contributions", s.Contributions}, {"pending", s.Pending},
		{"suspended", s.Suspended}, {"cured", s.Cured},
	}
	found, list, entry := 0, "", probity.Entry{}
	for _, l := range lists {
		for _, e := range l.entries {
			if e.Key == key {
				found, list, entry = found+1, l.name, e
			}
		}
	}
	if found > 1 {
		tb.Fatalf("entry %q is shown %d times", key, found)
	}
	return list, entry
}

// scoreOf returns the score of a rated result, or -1 if it is not rated.
func scoreOf(tb testing.TB, s *probity.Score) int {
	tb.Helper()
	if (s.Score == nil) != (s.Status != probity.StatusRated) {
		tb.Fatalf("Status=%s with Score=%v: a score is set exactly when rated", s.Status, s.Score)
	}
	if s.Score == nil {
		return -1
	}
	return *s.Score
}

// timeOf returns *t, or the zero time for nil.
func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
