package bureau_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// TestCourtOrders (P4): a judicial domain's order, with a citation, named
// restrictions, notice and an end, is the one fact that crosses domains:
// another domain's reader learns only yes or no and the order's id, only
// once the notice has run, and until the order ends or is fulfilled; every
// check is an inquiry the subject sees.
func TestCourtOrders(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	f.apply(t, readSpec(t, "../examples/domains/district-court.yaml"))
	as := func(grants ...probity.Grant) context.Context {
		p, err := f.CreatePrincipal(local(), probity.PrincipalRequest{Name: "p", Grants: grants})
		if err != nil {
			t.Fatal(err)
		}
		a, _ := f.Authenticate(context.Background(), p.Token)
		return probity.NewContextWithActor(context.Background(), a)
	}
	clerk := as(probity.Grant{Role: probity.RoleReporter, Domain: "court.civil-judgments"})
	bank := as(probity.Grant{Role: probity.RoleReader, Domain: "acme.lending"})
	if _, err := f.IssueOrder(as(probity.Grant{Role: probity.RoleReporter, Domain: "acme.lending"}), probity.OrderRequest{Domain: "acme.lending", Subject: alice,
		Citation: "x", Restrictions: []string{"no_new_credit"}, EndsAt: "2027-01-01"}); probity.ErrorCode(err) != probity.EFORBIDDEN {
		t.Fatalf("a bank issuing an order: %v, want refused", err)
	}
	if _, err := f.IssueOrder(clerk, probity.OrderRequest{Domain: "court.civil-judgments", Subject: alice, Citation: "Case 2026-17",
		Restrictions: []string{"no_new_credit"}, EndsAt: "2030-01-01"}); probity.ErrorCode(err) != probity.EINVALID {
		t.Fatalf("an order longer than two years: %v, want refused", err)
	}
	o, err := f.IssueOrder(clerk, probity.OrderRequest{Domain: "court.civil-judgments", Subject: alice, Citation: "Springfield District Court, case 2026-17",
		Restrictions: []string{"no_new_credit"}, EndsAt: "2027-06-01"})
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(probity.DefaultOrderNotice); !o.EffectiveAt.Equal(want) {
		t.Fatalf("effective %s, want after the default 10-day notice %s", o.EffectiveAt, want)
	}
	check := func(restriction string) *probity.RestrictionAnswer {
		a, err := f.CheckRestriction(bank, probity.RestrictionCheck{Subject: alice, Restriction: restriction, Purpose: "credit_application"})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	if a := check("no_new_credit"); a.Restricted {
		t.Fatal("the order restricts before its notice ran out")
	}
	f.clock.t = t0.Add(11 * 24 * time.Hour)
	if a := check("no_new_credit"); !a.Restricted || a.Order != o.ID {
		t.Fatalf("in force: %+v, want restricted under %s", a, o.ID)
	}
	if a := check("no_travel"); a.Restricted {
		t.Fatal("a restriction the order does not name")
	}
	if _, err := f.CheckRestriction(bank, probity.RestrictionCheck{Subject: alice, Restriction: "no_new_credit", Purpose: "curiosity"}); probity.ErrorCode(err) != probity.EINVALID {
		t.Fatalf("a check without a purpose of the caller: %v", err)
	}
	notices, err := f.Notices(local(), alice)
	if err != nil {
		t.Fatal(err)
	}
	var courtNotice string
	for _, n := range notices {
		if n.Kind == "court_order" {
			courtNotice = n.Text
		}
	}
	if !strings.Contains(courtNotice, "case 2026-17") {
		t.Fatalf("no court order notice: %+v", notices)
	}
	r, _ := f.Report(local(), alice)
	checks := 0
	for _, d := range r.Domains {
		for _, q := range d.Inquiries {
			if q.Action == probity.ActionRestrictionCheck {
				checks++
			}
		}
	}
	if checks < 3 {
		t.Fatalf("the subject sees %d restriction checks, want every one", checks)
	}
	if _, err := f.FulfillOrder(clerk, "court.civil-judgments", o.ID); err != nil {
		t.Fatal(err)
	}
	if a := check("no_new_credit"); a.Restricted {
		t.Fatal("the order still restricts after the obligation was met")
	}
	if rep, err := audit.Verify(context.Background(), f.db, f.signer.Verifier(), f.KeyDigests()); err != nil || !rep.OK() {
		t.Fatalf("verify: %v %v", err, rep.Problems)
	}
}
