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

// courtFixture is a bureau with acme.lending and the district court
// applied, a clerk who reports to the court and a bank reader of
// acme.lending.
func courtFixture(t *testing.T) (f *fixture, clerk, bank context.Context) {
	t.Helper()
	f = newFixture(t)
	f.applyFile(t, lending)
	f.apply(t, readSpec(t, "../examples/domains/district-court.yaml"))
	as := func(g probity.Grant) context.Context {
		p, err := f.CreatePrincipal(local(), probity.PrincipalRequest{Name: g.Role + " of " + g.Domain, Grants: []probity.Grant{g}})
		if err != nil {
			t.Fatal(err)
		}
		a, err := f.Authenticate(context.Background(), p.Token)
		if err != nil {
			t.Fatal(err)
		}
		return probity.NewContextWithActor(context.Background(), a)
	}
	return f, as(probity.Grant{Role: probity.RoleReporter, Domain: court}), as(probity.Grant{Role: probity.RoleReader, Domain: "acme.lending"})
}

const court = "court.civil-judgments"

// TestOrderNeedsDueProcess (P4): the service itself, not only the command
// line, refuses an order without a legal citation, a scope (restrictions),
// notice or an end date, naming the field, and stores nothing.
func TestOrderNeedsDueProcess(t *testing.T) {
	f, clerk, bank := courtFixture(t)
	valid := probity.OrderRequest{Domain: court, Subject: alice, Citation: "Springfield District Court, case 2026-17",
		Restrictions: []string{"no_new_credit"}, EndsAt: "2027-06-01"}
	tests := []struct {
		name  string
		edit  func(*probity.OrderRequest)
		field string
	}{
		{"ErrNoCitation", func(r *probity.OrderRequest) { r.Citation = "" }, "citation: required"},
		{"ErrBlankCitation", func(r *probity.OrderRequest) { r.Citation = " \n\t" }, "citation: required"},
		{"ErrNoScope", func(r *probity.OrderRequest) { r.Restrictions = nil }, "restrictions: "},
		{"ErrEmptyScope", func(r *probity.OrderRequest) { r.Restrictions = []string{} }, "restrictions: "},
		{"ErrNoEndDate", func(r *probity.OrderRequest) { r.EndsAt = "" }, "ends_at: required"},
		{"ErrNoNotice", func(r *probity.OrderRequest) { r.Notice = "0d" }, "notice: at least 1d"},
		{"ErrNoticeNotDays", func(r *probity.OrderRequest) { r.Notice = "soon" }, "notice: "},
		{"ErrEndsBeforeNoticeRuns", func(r *probity.OrderRequest) { r.EndsAt = t0.Add(5 * 24 * time.Hour).Format(time.RFC3339) }, "ends_at: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := valid
			tt.edit(&req)
			o, err := f.IssueOrder(clerk, req)
			if got, want := probity.ErrorCode(err), probity.EINVALID; got != want {
				t.Fatalf("IssueOrder = %+v, %v; want %s", o, err, want)
			}
			if msg := probity.ErrorMessage(err); !strings.HasPrefix(msg, tt.field) {
				t.Fatalf("message %q does not start with %q", msg, tt.field)
			}
		})
	}
	// Nothing refused above restricts, even once any notice has run.
	f.clock.t = t0.Add(30 * 24 * time.Hour)
	a, err := f.CheckRestriction(bank, probity.RestrictionCheck{Subject: alice, Restriction: "no_new_credit", Purpose: "credit_application"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Restricted {
		t.Fatalf("a refused order restricts: %+v", a)
	}
	t.Run("OK", func(t *testing.T) {
		if _, err := f.IssueOrder(clerk, valid); err != nil {
			t.Fatalf("IssueOrder(valid) = %v", err)
		}
	})
}

// TestOrderLiftsAtItsEnd (P4): a restriction holds from the end of the
// order's notice until its end date, and no longer; an order reported
// fulfilled lifts at once.
func TestOrderLiftsAtItsEnd(t *testing.T) {
	f, clerk, bank := courtFixture(t)
	day := 24 * time.Hour
	ends := t0.Add(40 * day)
	o, err := f.IssueOrder(clerk, probity.OrderRequest{Domain: court, Subject: alice, Citation: "Springfield District Court, case 2026-17",
		Restrictions: []string{"no_new_credit"}, EndsAt: ends.Format(time.RFC3339)})
	if err != nil {
		t.Fatal(err)
	}
	if !o.EndsAt.Equal(ends) {
		t.Fatalf("EndsAt = %s, want %s", o.EndsAt, ends)
	}
	effective := t0.Add(probity.DefaultOrderNotice)
	tests := []struct {
		name       string
		at         time.Time
		restricted bool
	}{
		{"DuringNotice", effective.Add(-time.Second), false},
		{"NoticeRun", effective, true},
		{"LastSecond", ends.Add(-time.Second), true},
		{"AtEndDate", ends, false},
		{"AfterEndDate", ends.Add(day), false},
		{"YearsLater", ends.Add(3 * 365 * day), false},
	}
	check := func(t *testing.T, at time.Time) *probity.RestrictionAnswer {
		t.Helper()
		f.clock.t = at
		a, err := f.CheckRestriction(bank, probity.RestrictionCheck{Subject: alice, Restriction: "no_new_credit", Purpose: "credit_application"})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := check(t, tt.at)
			if a.Restricted != tt.restricted {
				t.Fatalf("at %s: restricted=%v, want %v (effective %s, ends %s)", tt.at, a.Restricted, tt.restricted, effective, ends)
			}
			if wantID := map[bool]string{true: o.ID}[tt.restricted]; a.Order != wantID {
				t.Fatalf("at %s: order %q, want %q", tt.at, a.Order, wantID)
			}
		})
	}
	t.Run("Fulfilled", func(t *testing.T) {
		f.clock.t = t0
		o, err := f.IssueOrder(clerk, probity.OrderRequest{Domain: court, Subject: bob, Citation: "Springfield District Court, case 2026-18",
			Restrictions: []string{"no_travel"}, EndsAt: t0.Add(300 * day).Format(time.RFC3339)})
		if err != nil {
			t.Fatal(err)
		}
		f.clock.t = t0.Add(20 * day)
		ask := probity.RestrictionCheck{Subject: bob, Restriction: "no_travel", Purpose: "credit_application"}
		if a, err := f.CheckRestriction(bank, ask); err != nil || !a.Restricted {
			t.Fatalf("before fulfilment: %+v, %v; want restricted", a, err)
		}
		if _, err := f.FulfillOrder(clerk, court, o.ID); err != nil {
			t.Fatal(err)
		}
		for _, at := range []time.Time{t0.Add(20 * day), t0.Add(100 * day)} {
			f.clock.t = at
			if a, err := f.CheckRestriction(bank, ask); err != nil || a.Restricted {
				t.Fatalf("at %s, after fulfilment: %+v, %v; want lifted", at, a, err)
			}
		}
	})
}
