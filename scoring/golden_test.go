package scoring_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/scoring"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// exampleSpec is the example spec of DESIGN.md. Raw points are given with
// each event: loan_repaid 10 (20 above 10,000), payment_late -15, -40 or -80
// for under 30, 30 to 89 and 90 or more days late, payment_settled 0.
func exampleSpec() *probity.Spec {
	return &probity.Spec{
		ID:          "acme.lending",
		Name:        "ACME Bank consumer lending",
		Owner:       "ACME Bank",
		Category:    "finance",
		LegalBasis:  "Loan agreements (contract)",
		LawfulBasis: "contract",
		Subjects:    []probity.SubjectKind{probity.KindPerson, probity.KindOrganization},
		Penalties:   probity.PenaltiesAll,
		OptOut:      probity.OptOutAllowed,
		Notice:      30,
		DisputeSLA:  30,
		Purposes:    []string{"credit_application", "account_review", "collection"},
		Score:       probity.ScoreRange{Base: 600, Min: 300, Max: 900, MinEvents: 1},
		Grades: []probity.GradeBand{
			{Grade: "A", Min: 750}, {Grade: "B", Min: 650}, {Grade: "C", Min: 500}, {Grade: "D", Min: 300},
		},
		Officials: &probity.Officials{PenaltyFactor: 2.0},
		Events: []probity.EventRule{
			{Type: "loan_repaid", Basis: "repayment", Fields: map[string]string{"amount": "number"},
				Points: "10.0 + (amount > 10000.0 ? 10.0 : 0.0)", HalfLife: 730, Expires: 3650,
				Code: "P01", Reason: "Repayment history"},
			{Type: "payment_late", Basis: "repayment", Fields: map[string]string{"days_late": "int"},
				Points: "days_late >= 90 ? -80.0 : (days_late >= 30 ? -40.0 : -15.0)", HalfLife: 365, Expires: 2555,
				Grace: 30, CuredBy: []string{"payment_settled"}, Cap: 200, Code: "L01", Reason: "Late payments"},
			{Type: "payment_settled", Basis: "repayment", Points: "0.0", Code: "S01", Reason: "Settled arrears"},
		},
		Benefits: map[string]string{"deposit_waived": "grade == 'A' || grade == 'B'"},
	}
}

// goldenAsOf is when the golden subjects are scored.
var goldenAsOf = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// on returns midnight UTC of a date written 2006-01-02.
func on(tb testing.TB, date string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// TestComputeGolden scores realistic subjects under the example spec and
// compares the full explanation to testdata/<name>.golden.
func TestComputeGolden(t *testing.T) {
	for _, tt := range []struct {
		name      string
		kind      probity.SubjectKind
		events    func(tb testing.TB) []probity.PointedEvent
		suspended map[string]bool
		terms     []probity.OfficialTerm
	}{
		{name: "steady_borrower", kind: probity.KindPerson, events: steadyBorrower},
		{name: "arrears", kind: probity.KindPerson, events: arrears, suspended: map[string]bool{"late-2025-03": true}},
		{name: "official", kind: probity.KindPerson, events: official, terms: []probity.OfficialTerm{{
			Office: "Deputy Director, Riverton Housing Office",
			From:   time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC),
		}}},
		{name: "new_organization", kind: probity.KindOrganization, events: newOrganization},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := scoring.Compute(scoring.Input{
				Domain: "acme.lending", Version: 3, Spec: exampleSpec(), Kind: tt.kind,
				Events: tt.events(t), Suspended: tt.suspended, Terms: tt.terms, AsOf: goldenAsOf,
			})
			got, err := json.MarshalIndent(s, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			assertGolden(t, filepath.Join("testdata", tt.name+".golden"), append(got, '\n'))
		})
	}
}

// assertGolden compares got with the golden file at path, or rewrites the
// file with -update.
func assertGolden(tb testing.TB, path string, got []byte) {
	tb.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test ./scoring -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		tb.Fatalf("%s differs from the result (run go test ./scoring -update if the change is intended); got:\n%s", path, got)
	}
}

// steadyBorrower has repaid loans for years; a short delay was settled within
// grace, and older entries have expired.
func steadyBorrower(tb testing.TB) []probity.PointedEvent {
	return []probity.PointedEvent{
		event("repaid-2015-01", "loan_repaid", on(tb, "2015-01-15"), 20),
		event("late-2017-05", "payment_late", on(tb, "2017-05-02"), -40),
		event("repaid-2016-03", "loan_repaid", on(tb, "2016-03-10"), 20),
		event("repaid-2019-07", "loan_repaid", on(tb, "2019-07-01"), 10),
		event("repaid-2021-11", "loan_repaid", on(tb, "2021-11-20"), 20),
		event("repaid-2023-04", "loan_repaid", on(tb, "2023-04-05"), 10),
		event("late-2024-02", "payment_late", on(tb, "2024-02-03"), -15),
		cure("settled-2024-02", "payment_settled", on(tb, "2024-02-20"), "late-2024-02"),
		event("repaid-2024-09", "loan_repaid", on(tb, "2024-09-30"), 20),
	}
}

// arrears has fallen behind repeatedly: the late payments reach the cap, one
// was settled after grace, one is disputed and one is still in grace.
func arrears(tb testing.TB) []probity.PointedEvent {
	return []probity.PointedEvent{
		event("repaid-2022-05", "loan_repaid", on(tb, "2022-05-01"), 10),
		event("late-2023-08", "payment_late", on(tb, "2023-08-15"), -80),
		event("late-2023-12", "payment_late", on(tb, "2023-12-01"), -40),
		cure("settled-2024-02", "payment_settled", on(tb, "2024-02-15"), "late-2023-12"),
		event("late-2024-06", "payment_late", on(tb, "2024-06-10"), -80),
		event("late-2024-11", "payment_late", on(tb, "2024-11-03"), -40),
		event("late-2025-01", "payment_late", on(tb, "2025-01-10"), -80),
		event("late-2025-02", "payment_late", on(tb, "2025-02-12"), -80),
		event("late-2025-03", "payment_late", on(tb, "2025-03-20"), -80),
		event("late-2025-04", "payment_late", on(tb, "2025-04-15"), -40),
		event("late-2025-05", "payment_late", on(tb, "2025-05-20"), -15),
	}
}

// official was late once while in public office, which counts double, and
// once after leaving it.
func official(tb testing.TB) []probity.PointedEvent {
	return []probity.PointedEvent{
		event("repaid-2020-06", "loan_repaid", on(tb, "2020-06-01"), 20),
		event("repaid-2022-03", "loan_repaid", on(tb, "2022-03-01"), 10),
		event("late-2022-09", "payment_late", on(tb, "2022-09-14"), -40),
		event("repaid-2023-10", "loan_repaid", on(tb, "2023-10-10"), 20),
		event("late-2025-02", "payment_late", on(tb, "2025-02-01"), -15),
	}
}

// newOrganization has only a late payment still in grace, and a repayment
// recorded after the score's time: a thin file, unrated, not low.
func newOrganization(tb testing.TB) []probity.PointedEvent {
	return []probity.PointedEvent{
		event("late-2025-05", "payment_late", on(tb, "2025-05-10"), -40),
		recorded(event("repaid-2025-05", "loan_repaid", on(tb, "2025-05-28"), 20), on(tb, "2025-06-02")),
	}
}
