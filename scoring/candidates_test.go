package scoring_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/scoring"
)

// Step 1: only events occurred and recorded by as_of are candidates.
func TestComputeCandidates(t *testing.T) {
	for _, tt := range []struct {
		name      string
		event     probity.PointedEvent
		wantList  string
		wantScore int
	}{
		{"OK", event("e1", "plain", ago(1), 10), "contributions", 610},
		{"OccurredAtAsOf", event("e1", "plain", asOf, 10), "contributions", 610},
		{"RecordedAtAsOf", recorded(event("e1", "plain", ago(5), 10), asOf), "contributions", 610},
		{"FutureOccurredAt", recorded(event("e1", "plain", asOf.Add(time.Second), 10), ago(1)), "", -1},
		{"FutureRecordedAt", recorded(event("e1", "plain", ago(5), 10), asOf.Add(time.Second)), "", -1},
		{"UnknownType", event("e1", "parking_fine", ago(1), -10), "", -1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := scoring.Compute(input(newSpec(plain), tt.event))
			if got, _ := find(t, s, "e1"); got != tt.wantList {
				t.Fatalf("entry shown in %q, want %q", got, tt.wantList)
			}
			if got, want := scoreOf(t, s), tt.wantScore; got != want {
				t.Fatalf("Score=%d, want %d", got, want)
			}
		})
	}
}

// Step 3: an entry stops counting, and is no longer shown, at its expiry.
func TestComputeExpiry(t *testing.T) {
	judgment := rule(plain, func(r *probity.EventRule) { r.Type, r.Expires = "judgment", 365 })
	for _, tt := range []struct {
		name      string
		rule      probity.EventRule
		age       time.Duration
		wantList  string
		wantUntil time.Time
	}{
		{"BeforeExpiry", judgment, days(365) - time.Second, "contributions", asOf.Add(time.Second)},
		{"AtExpiry", judgment, days(365), "", time.Time{}},
		{"AfterExpiry", judgment, days(400), "", time.Time{}},
		{"NoExpiry", rule(judgment, func(r *probity.EventRule) { r.Expires = 0 }), days(36500), "contributions", time.Time{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := scoring.Compute(input(newSpec(tt.rule), event("e1", "judgment", asOf.Add(-tt.age), -50)))
			got, e := find(t, s, "e1")
			if got != tt.wantList {
				t.Fatalf("entry shown in %q, want %q", got, tt.wantList)
			}
			if got == "" {
				return
			}
			if got, want := timeOf(e.CountsUntil), tt.wantUntil; !got.Equal(want) {
				t.Fatalf("CountsUntil=%v, want %v", got, want)
			}
			if got, want := scoreOf(t, s), 550; got != want {
				t.Fatalf("Score=%d, want %d", got, want)
			}
		})
	}
}

// Step 4: an adverse entry waits out its grace period before it counts.
func TestComputeGrace(t *testing.T) {
	for _, tt := range []struct {
		name     string
		rule     probity.EventRule
		age      time.Duration
		raw      float64
		wantList string
	}{
		{"NewAdverse", late, 0, -40, "pending"},
		{"EndOfGraceNear", late, days(30) - time.Second, -40, "pending"},
		{"EndOfGrace", late, days(30), -40, "contributions"},
		{"AfterGrace", late, days(31), -40, "contributions"},
		{"Positive", late, 0, 40, "contributions"},
		{"NoGrace", rule(late, func(r *probity.EventRule) { r.Grace = 0 }), 0, -40, "contributions"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			occurred := asOf.Add(-tt.age)
			s := scoring.Compute(input(newSpec(tt.rule, settled), event("e1", "payment_late", occurred, tt.raw)))
			got, e := find(t, s, "e1")
			if got != tt.wantList {
				t.Fatalf("entry shown in %q, want %q", got, tt.wantList)
			}
			if got != "pending" {
				if got, want := scoreOf(t, s), 600+int(tt.raw); got != want {
					t.Fatalf("Score=%d, want %d", got, want)
				}
				return
			}
			if got, want := timeOf(e.CountsFrom), occurred.Add(days(30)); !got.Equal(want) {
				t.Fatalf("CountsFrom=%v, want %v", got, want)
			}
			if got, want := e.CureWith, []string{"payment_settled"}; !slices.Equal(got, want) {
				t.Fatalf("CureWith=%q, want %q", got, want)
			}
			if got, want := s.Status, probity.StatusUnrated; got != want {
				t.Fatalf("Status=%s, want %s: a pending entry is not counted", got, want)
			}
		})
	}
}

// Step 4: a cure within grace means the entry never counts; a later one
// halves it from the cure on; cures of other types or keys change nothing.
func TestComputeCure(t *testing.T) {
	spec := newSpec(late, settled, reversed)
	for _, tt := range []struct {
		name        string
		late        time.Time
		cures       []probity.PointedEvent
		wantList    string
		wantPoints  float64
		wantCuredBy string
	}{
		{"NoCure", ago(100), nil, "contributions", -40, ""},
		{"WithinGrace", ago(100), []probity.PointedEvent{cure("c1", "payment_settled", ago(90), "e1")}, "cured", -40, "c1"},
		{"AtEndOfGrace", ago(100), []probity.PointedEvent{cure("c1", "payment_settled", ago(70), "e1")}, "cured", -40, "c1"},
		{"WithinGraceWhilePending", ago(10), []probity.PointedEvent{cure("c1", "payment_settled", ago(5), "e1")}, "cured", -40, "c1"},
		{"AfterGrace", ago(100), []probity.PointedEvent{cure("c1", "payment_settled", ago(70).Add(time.Second), "e1")}, "contributions", -20, "c1"},
		{"Late", ago(100), []probity.PointedEvent{cure("c1", "payment_settled", ago(40), "e1")}, "contributions", -20, "c1"},
		{"LateBeforeCureTime", ago(100), []probity.PointedEvent{cure("c1", "payment_settled", asOf.Add(time.Hour), "e1")}, "contributions", -40, ""},
		{"LateCureNotYetRecorded", ago(100), []probity.PointedEvent{recorded(cure("c1", "payment_settled", ago(40), "e1"), asOf.Add(time.Hour))}, "contributions", -40, ""},
		{"EarliestLateCure", ago(100), []probity.PointedEvent{
			cure("c2", "payment_settled", ago(20), "e1"), cure("c1", "payment_settled", ago(40), "e1"),
		}, "contributions", -20, "c1"},
		{"WrongType", ago(100), []probity.PointedEvent{cure("c1", "payment_reversed", ago(90), "e1")}, "contributions", -40, ""},
		{"WrongKey", ago(100), []probity.PointedEvent{cure("c1", "payment_settled", ago(90), "e0")}, "contributions", -40, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			events := append([]probity.PointedEvent{event("e1", "payment_late", tt.late, -40)}, tt.cures...)
			s := scoring.Compute(input(spec, events...))
			got, e := find(t, s, "e1")
			if got != tt.wantList {
				t.Fatalf("entry shown in %q, want %q", got, tt.wantList)
			}
			if got, want := e.Points, tt.wantPoints; got != want {
				t.Fatalf("Points=%v, want %v", got, want)
			}
			if got, want := e.CuredBy, tt.wantCuredBy; got != want {
				t.Fatalf("CuredBy=%q, want %q", got, want)
			}
			wantScore := 600
			if got == "contributions" {
				wantScore += int(tt.wantPoints)
			}
			if got, want := scoreOf(t, s), wantScore; got != want {
				t.Fatalf("Score=%d, want %d", got, want)
			}
			if tt.wantCuredBy != "" && e.CuredAt == nil {
				t.Fatalf("CuredAt=nil, want the time of %s", tt.wantCuredBy)
			}
			if got == "contributions" && tt.wantCuredBy != "" && !strings.Contains(e.Note, "half weight") {
				t.Fatalf("Note=%q, want it to say the entry counts at half weight", e.Note)
			}
		})
	}
}

// Step 4: a domain with penalties for organizations only gives persons no
// adverse points, at once and without grace, but still counts the entry.
func TestComputeOrganizationsOnly(t *testing.T) {
	for _, tt := range []struct {
		name       string
		penalties  string
		kind       probity.SubjectKind
		age        float64
		raw        float64
		wantList   string
		wantPoints float64
		wantNote   string
	}{
		{"Person", probity.PenaltiesOrganizationsOnly, probity.KindPerson, 40, -40, "contributions", 0, "no penalty for persons in this domain"},
		{"PersonInGrace", probity.PenaltiesOrganizationsOnly, probity.KindPerson, 0, -40, "contributions", 0, "no penalty for persons in this domain"},
		{"PersonPositive", probity.PenaltiesOrganizationsOnly, probity.KindPerson, 40, 40, "contributions", 40, ""},
		{"Organization", probity.PenaltiesOrganizationsOnly, probity.KindOrganization, 40, -40, "contributions", -40, ""},
		{"OrganizationInGrace", probity.PenaltiesOrganizationsOnly, probity.KindOrganization, 0, -40, "pending", -40, ""},
		{"PublicBody", probity.PenaltiesOrganizationsOnly, probity.KindPublicBody, 40, -40, "contributions", -40, ""},
		{"PersonPenaltiesAll", probity.PenaltiesAll, probity.KindPerson, 40, -40, "contributions", -40, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			spec := newSpec(late, settled)
			spec.Penalties = tt.penalties
			in := input(spec, event("e1", "payment_late", ago(tt.age), tt.raw))
			in.Kind = tt.kind
			s := scoring.Compute(in)
			got, e := find(t, s, "e1")
			if got != tt.wantList {
				t.Fatalf("entry shown in %q, want %q", got, tt.wantList)
			}
			if got, want := e.Raw, tt.raw; got != want {
				t.Fatalf("Raw=%v, want %v", got, want)
			}
			if got, want := e.Points, tt.wantPoints; got != want {
				t.Fatalf("Points=%v, want %v", got, want)
			}
			if got := e.Note; !strings.HasPrefix(got, tt.wantNote) {
				t.Fatalf("Note=%q, want %q", got, tt.wantNote)
			}
			if got == "contributions" {
				if got, want := scoreOf(t, s), 600+int(tt.wantPoints); got != want {
					t.Fatalf("Score=%d, want %d", got, want)
				}
			}
		})
	}
}

// Step 4: officials' adverse entries that occur in office are multiplied by
// the domain's factor.
func TestComputeOfficials(t *testing.T) {
	judgment := rule(plain, func(r *probity.EventRule) { r.Type = "judgment" })
	term := probity.OfficialTerm{Office: "Mayor of Riverton", From: ago(400), To: ago(100)}
	ongoing := probity.OfficialTerm{Office: "Treasurer of Riverton", From: ago(400)}
	for _, tt := range []struct {
		name       string
		officials  *probity.Officials
		term       probity.OfficialTerm
		occurred   time.Time
		raw        float64
		wantPoints float64
	}{
		{"InOffice", &probity.Officials{PenaltyFactor: 2}, term, ago(200), -50, -100},
		{"FirstDayInOffice", &probity.Officials{PenaltyFactor: 2}, term, ago(400), -50, -100},
		{"OngoingTerm", &probity.Officials{PenaltyFactor: 1.5}, ongoing, ago(50), -50, -75},
		{"AfterTerm", &probity.Officials{PenaltyFactor: 2}, term, ago(100), -50, -50},
		{"BeforeTerm", &probity.Officials{PenaltyFactor: 2}, term, ago(401), -50, -50},
		{"Positive", &probity.Officials{PenaltyFactor: 2}, term, ago(200), 50, 50},
		{"NoOfficialsRule", nil, term, ago(200), -50, -50},
	} {
		t.Run(tt.name, func(t *testing.T) {
			spec := newSpec(judgment)
			spec.Officials = tt.officials
			in := input(spec, event("e1", "judgment", tt.occurred, tt.raw))
			in.Terms = []probity.OfficialTerm{tt.term}
			s := scoring.Compute(in)
			_, e := find(t, s, "e1")
			if got, want := e.Points, tt.wantPoints; got != want {
				t.Fatalf("Points=%v, want %v", got, want)
			}
			if got, want := scoreOf(t, s), 600+int(tt.wantPoints); got != want {
				t.Fatalf("Score=%d, want %d", got, want)
			}
			multiplied := tt.wantPoints != tt.raw
			if got := strings.Contains(e.Note, tt.term.Office) && strings.Contains(e.Note, "x"); got != multiplied {
				t.Fatalf("Note=%q: want it to name the office and factor exactly when multiplied", e.Note)
			}
		})
	}
}

// Step 5: an entry with an open dispute is shown as suspended and not counted.
func TestComputeSuspended(t *testing.T) {
	spec := newSpec(plain, late, settled)
	for _, tt := range []struct {
		name      string
		event     probity.PointedEvent
		extra     []probity.PointedEvent
		suspended bool
		wantList  string
		wantScore int
	}{
		{"Adverse", event("e1", "plain", ago(10), -40), nil, true, "suspended", 610},
		{"Positive", event("e1", "plain", ago(10), 40), nil, true, "suspended", 610},
		{"InGrace", event("e1", "payment_late", ago(10), -40), nil, true, "suspended", 610},
		{"Cured", event("e1", "payment_late", ago(10), -40),
			[]probity.PointedEvent{cure("c1", "payment_settled", ago(5), "e1")}, true, "cured", 610},
		{"NotDisputed", event("e1", "plain", ago(10), -40), nil, false, "contributions", 570},
	} {
		t.Run(tt.name, func(t *testing.T) {
			events := append([]probity.PointedEvent{event("anchor", "plain", ago(20), 10), tt.event}, tt.extra...)
			in := input(spec, events...)
			in.Suspended = map[string]bool{"e1": tt.suspended}
			s := scoring.Compute(in)
			if got, _ := find(t, s, "e1"); got != tt.wantList {
				t.Fatalf("entry shown in %q, want %q", got, tt.wantList)
			}
			if got, want := scoreOf(t, s), tt.wantScore; got != want {
				t.Fatalf("Score=%d, want %d", got, want)
			}
		})
	}
}
