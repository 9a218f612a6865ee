package bureau_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
)

func TestTransparency(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	var events strings.Builder
	for i := range 6 {
		fmt.Fprintf(&events, `{"key":"a-%d","type":"loan_repaid","subject":"person:p-%04d","occurred_at":"2026-01-10","fields":{"amount":100}}`+"\n", i, i)
		if i < 5 { // the sixth has one entry: a thin file, unrated
			fmt.Fprintf(&events, `{"key":"b-%d","type":"loan_repaid","subject":"person:p-%04d","occurred_at":"2026-02-10","fields":{"amount":100}}`+"\n", i, i)
		}
	}
	f.mustIngest(t, "acme.lending", events.String())
	for purpose, n := range map[string]int{"credit_application": 7, "account_review": 6, "collection": 2} {
		for i := range n {
			if _, err := f.Score(local(), probity.ScoreRequest{Domain: "acme.lending", Subject: fmt.Sprintf("person:p-%04d", i%6), Purpose: purpose}); err != nil {
				t.Fatal(err)
			}
		}
	}
	figures, err := f.Transparency(context.Background()) // anyone: no actor
	if err != nil {
		t.Fatal(err)
	}
	if len(figures) != 1 {
		t.Fatalf("figures of %d domains, want 1", len(figures))
	}
	d := figures[0]
	small, withheld := probity.Figure{Suppressed: true}, probity.Figure{Withheld: true}
	if got, want := d.Subjects, (probity.Figure{N: 6}); got != want {
		t.Errorf("subjects = %v, want %v", got, want)
	}
	// one unrated subject is too few to show, and 6 - 0 - rated would give
	// it away: rated is withheld too
	want := map[string]probity.Figure{"rated": withheld, "unrated": small, "opted_out": {}}
	checkFigures(t, "statuses", d.Statuses, want)
	checkFigures(t, "grades", d.Grades, map[string]probity.Figure{"A": {}, "B": {}, "C": {N: 5}, "D": {}})
	checkFigures(t, "inquiries", d.Inquiries, map[string]probity.Figure{"credit_application": {N: 7}, "account_review": withheld, "collection": small})
	checkFigures(t, "disputes", d.Disputes, map[string]probity.Figure{"filed": {}, "open": {}, "upheld": {}, "rejected": {}, "expired": {}})
}

func checkFigures(t *testing.T, group string, got []probity.NamedFigure, want map[string]probity.Figure) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %v, want %v", group, got, want)
	}
	for _, g := range got {
		if w, ok := want[g.Name]; !ok || g.Count != w {
			t.Errorf("%s %s = %v, want %v", group, g.Name, g.Count, w)
		}
	}
}

func TestVerifyLog(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	as := func(grants ...probity.Grant) context.Context {
		tok, err := f.CreatePrincipal(local(), probity.PrincipalRequest{Name: "p", Grants: grants})
		if err != nil {
			t.Fatal(err)
		}
		a, err := f.Authenticate(context.Background(), tok.Token)
		if err != nil {
			t.Fatal(err)
		}
		return probity.NewContextWithActor(context.Background(), a)
	}
	report, err := f.VerifyLog(as(probity.Grant{Role: probity.RoleAuditor}))
	if err != nil || !report.OK() || report.Leaves == 0 {
		t.Fatalf("auditor: %+v, %v; want a clean report", report, err)
	}
	if _, err := f.VerifyLog(as(probity.Grant{Role: probity.RoleReader, Domain: "acme.lending"})); probity.ErrorCode(err) != probity.EFORBIDDEN {
		t.Fatalf("reader: %v, want forbidden", err)
	}
	anon := probity.NewContextWithActor(context.Background(), probity.Actor{ID: "anonymous"})
	if _, err := f.VerifyLog(anon); probity.ErrorCode(err) != probity.EUNAUTHORIZED {
		t.Fatalf("anonymous: %v, want unauthorized", err)
	}
}
