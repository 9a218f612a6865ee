package web

import (
	"slices"
	"testing"

	"github.com/probity-dev/probity"
)

func TestSpecChanges(t *testing.T) {
	a := &probity.Spec{Score: probity.ScoreRange{Base: 600, Min: 300, Max: 900, MinEvents: 1}, Notice: 30,
		Events: []probity.EventRule{
			{Type: "loan_repaid", Basis: "repayment", Points: "10.0", Expires: 3650},
			{Type: "payment_late", Basis: "repayment", Points: "-40.0", Grace: 30, Expires: 2555, Cap: 200, CuredBy: []string{"payment_settled"}},
		}}
	b := &probity.Spec{Score: probity.ScoreRange{Base: 620, Min: 300, Max: 900, MinEvents: 1}, Notice: 30,
		Events: []probity.EventRule{
			{Type: "loan_repaid", Basis: "repayment", Points: "12.0", Expires: 3650},
			{Type: "bill_paid", Basis: "utility", Points: "2.0"},
		}}
	got := specChanges(a, b)
	for _, want := range []string{
		"loan repaid: points 12.0, was 10.0.",
		"New entry type bill paid (basis utility): points 2.0.",
		"Entry type payment late is dropped: entries of it already reported get no points.",
		"Base score: 620, was 600.",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("specChanges lacks %q; got %q", want, got)
		}
	}
	if got := specChanges(a, a); len(got) != 0 {
		t.Errorf("specChanges(a, a) = %q, want none", got)
	}
}
