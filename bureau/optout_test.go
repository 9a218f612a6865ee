package bureau_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// TestNoPenaltyForLeaving (P6): a subject who opts out is opted_out, not
// low; every benefit of the domain is decided exactly as for its neutral
// base; opting back in restores the rating; a domain whose spec does not
// allow leaving refuses, quoting its legal basis.
func TestNoPenaltyForLeaving(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	f.apply(t, readSpec(t, "../examples/domains/national-tax.yaml"))
	f.mustIngest(t, "acme.lending", `{"key":"a1","type":"payment_late","subject":"`+alice+`","occurred_at":"2025-06-01","fields":{"days_late":120}}
{"key":"a2","type":"payment_late","subject":"`+alice+`","occurred_at":"2025-07-01","fields":{"days_late":120}}`)
	st, err := f.IssueSubjectToken(local(), probity.SubjectTokenRequest{Subject: alice})
	if err != nil {
		t.Fatal(err)
	}
	me, err := f.Authenticate(context.Background(), st.Token)
	if err != nil {
		t.Fatal(err)
	}
	ctx := probity.NewContextWithActor(context.Background(), me)
	if s := f.score(t, "acme.lending", alice, time.Time{}); s.Status != probity.StatusRated || *s.Score >= 600 {
		t.Fatalf("before: %v %v, want rated below the base", s.Status, s.Score)
	}
	state, err := f.SetOptOut(ctx, "acme.lending", "", true)
	if err != nil || !state.OptedOut {
		t.Fatalf("opt out: %+v, %v", state, err)
	}
	if s := f.score(t, "acme.lending", alice, time.Time{}); s.Status != probity.StatusOptedOut || s.Score != nil {
		t.Fatalf("after opting out: %v %v, want opted_out with no score", s.Status, s.Score)
	}
	d, _ := f.Domain(local(), "acme.lending")
	for benefit := range d.Benefits {
		got, err := f.Decide(local(), probity.DecisionRequest{Domain: "acme.lending", Subject: alice, Benefit: benefit, Purpose: "account_review"})
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := f.Decide(local(), probity.DecisionRequest{Domain: "acme.lending", Subject: "person:never-seen", Benefit: benefit, Purpose: "account_review"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Allowed != fresh.Allowed || got.Score != d.Score.Base || !got.AsBase {
			t.Errorf("%s: opted out %+v, unrated newcomer %+v: want both decided as the base %d", benefit, got, fresh, d.Score.Base)
		}
	}
	if _, err := f.SetOptOut(ctx, "acme.lending", "", false); err != nil {
		t.Fatal(err)
	}
	if s := f.score(t, "acme.lending", alice, time.Time{}); s.Status != probity.StatusRated {
		t.Fatalf("back in: %v, want rated again", s.Status)
	}
	_, err = f.SetOptOut(local(), "gov.tax-compliance", acme, true)
	if probity.ErrorCode(err) != probity.EFORBIDDEN || !strings.Contains(probity.ErrorMessage(err), "Tax Collection Administration Law") {
		t.Fatalf("opting out of a tax domain: %v, want refused quoting the legal basis", err)
	}
	reader, _ := f.CreatePrincipal(local(), probity.PrincipalRequest{Name: "desk", Grants: []probity.Grant{{Role: probity.RoleReader, Domain: "acme.lending"}}})
	desk, _ := f.Authenticate(context.Background(), reader.Token)
	if _, err := f.SetOptOut(probity.NewContextWithActor(context.Background(), desk), "acme.lending", alice, true); probity.ErrorCode(err) != probity.EFORBIDDEN {
		t.Fatalf("an institution opting a subject out: %v, want refused", err)
	}
}

// TestUnratedIsBaseInEveryDomain (P6): for every benefit of every example
// domain, an unrated and an opted-out subject are decided exactly as a
// subject rated at the domain's base would be.
func TestUnratedIsBaseInEveryDomain(t *testing.T) {
	f := newFixture(t)
	files, err := filepath.Glob("../examples/domains/*.yaml")
	if err != nil || len(files) < 5 {
		t.Fatalf("example domains: %v, %v", files, err)
	}
	for _, name := range files {
		f.apply(t, readSpec(t, name))
	}
	ds, err := f.Domains(local())
	if err != nil || len(ds) != len(files) {
		t.Fatalf("domains = %d, %v; want %d", len(ds), err, len(files))
	}
	for _, sum := range ds {
		d, err := f.Domain(local(), sum.ID)
		if err != nil {
			t.Fatal(err)
		}
		subject := map[probity.SubjectKind]string{probity.KindPerson: "person:nobody", probity.KindOrganization: "org:nobody", probity.KindPublicBody: "gov:nobody"}[d.Subjects[0]]
		for benefit := range d.Benefits {
			got, err := f.Decide(local(), probity.DecisionRequest{Domain: d.ID, Subject: subject, Benefit: benefit, Purpose: d.Purposes[0]})
			if err != nil {
				t.Fatal(err)
			}
			c, err := compileFor(d.Spec)
			if err != nil {
				t.Fatal(err)
			}
			want, err := c.Benefit(benefit, d.Score.Base, d.GradeFor(d.Score.Base))
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != probity.StatusUnrated || !got.AsBase || got.Allowed != want || got.Score != d.Score.Base {
				t.Errorf("%s %s: unrated decided %+v, want as the base %d: allowed=%v", d.ID, benefit, got, d.Score.Base, want)
			}
			if d.OptOut == probity.OptOutAllowed {
				leaver := subject + "-who-left"
				if _, err := f.SetOptOut(local(), d.ID, leaver, true); err != nil && probity.ErrorCode(err) != probity.ECONFLICT {
					t.Fatal(err)
				}
				out, err := f.Decide(local(), probity.DecisionRequest{Domain: d.ID, Subject: leaver, Benefit: benefit, Purpose: d.Purposes[0]})
				if err != nil {
					t.Fatal(err)
				}
				if out.Status != probity.StatusOptedOut || out.Allowed != want || out.Score != d.Score.Base {
					t.Errorf("%s %s: opted out decided %+v, want as the base", d.ID, benefit, out)
				}
			}
		}
	}
}

// TestErasure: a subject leaving a consent-based domain has everything it
// holds about them deleted; the log keeps only digests and still verifies;
// a domain resting on another basis refuses, quoting it.
func TestErasure(t *testing.T) {
	f := newFixture(t)
	f.apply(t, readSpec(t, "../examples/domains/city-rent-utilities.yaml"))
	f.applyFile(t, lending)
	f.mustIngest(t, "city.rent-utilities", `{"key":"r1","type":"rent_paid","subject":"`+alice+`","occurred_at":"2026-01-01","fields":{"amount":900}}
{"key":"r2","type":"rent_missed","subject":"`+alice+`","occurred_at":"2026-02-01","fields":{"amount":900,"days_late":70}}
{"key":"b1","type":"rent_paid","subject":"`+bob+`","occurred_at":"2026-01-01","fields":{"amount":900}}`)
	if _, err := f.FileDispute(local(), probity.DisputeRequest{Domain: "city.rent-utilities", EventKey: "r2", Reason: "wrong", Subject: alice}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.SetOptOut(local(), "city.rent-utilities", alice, true); err != nil {
		t.Fatal(err)
	}
	// a statement of the standing, issued before the erasure
	st, err := f.IssueStatement(local(), probity.StatementRequest{Domain: "city.rent-utilities", Subject: alice, Issuer: "https://probity.example",
		HolderKey: map[string]any{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}})
	if err != nil {
		t.Fatal(err)
	}
	n, err := f.Erase(local(), "city.rent-utilities", alice)
	if err != nil || n != 2 {
		t.Fatalf("erase = %d, %v; want the two entries", n, err)
	}
	// the statement stays revoked in the status list, and names no one
	err = f.db.View(context.Background(), func(tx probity.ReadTx) error {
		rec, err := tx.Statement("city.rent-utilities", st.ID)
		if err != nil {
			return err
		}
		_, revoked, err := tx.RevokedStatements("city.rent-utilities")
		if rec.RevokedAt.IsZero() || rec.Subject != (probity.Pseudonym{}) || !slices.Contains(revoked, st.StatusIndex) {
			t.Errorf("after erasure the statement is %+v, revoked indexes %v; want it revoked and naming no one", rec, revoked)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s := f.score(t, "city.rent-utilities", alice, time.Time{})
	if len(s.Contributions)+len(s.Pending)+len(s.Suspended) != 0 || s.Status != probity.StatusUnrated {
		t.Fatalf("after erasure: %+v", s)
	}
	if b := f.score(t, "city.rent-utilities", bob, time.Time{}); len(b.Contributions) != 1 {
		t.Fatal("another subject's record was erased")
	}
	if r, err := audit.Verify(context.Background(), f.db, f.signer.Verifier(), f.KeyDigests()); err != nil || !r.OK() {
		t.Fatalf("verify after erasure: %v %v", err, r.Problems)
	}
	if _, err := f.Erase(local(), "acme.lending", alice); probity.ErrorCode(err) != probity.EFORBIDDEN || !strings.Contains(probity.ErrorMessage(err), "contract") {
		t.Fatalf("erasure in a contract domain: %v, want refused quoting the basis", err)
	}
}

// TestOptedOutShowsReadersOnlyTheStatus (P6): a reader of a domain the
// subject left learns the status opted_out and nothing more: no score,
// grade, entries, reasons, counts or projected scores, in a score read, a
// decision (decided as a subject never seen) and a read under consent;
// the subject and the installation still see the record left behind.
func TestOptedOutShowsReadersOnlyTheStatus(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	f.apply(t, readSpec(t, "../examples/domains/national-tax.yaml"))
	f.mustIngest(t, "acme.lending", `{"key":"a1","type":"payment_late","subject":"`+alice+`","occurred_at":"2025-06-01","fields":{"days_late":120}}
{"key":"a2","type":"payment_late","subject":"`+alice+`","occurred_at":"2025-07-01","fields":{"days_late":120}}
{"key":"a3","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-05-20","fields":{"amount":5000}}
{"key":"a4","type":"payment_late","subject":"`+alice+`","occurred_at":"2026-05-30","fields":{"days_late":45}}`)
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
	desk := as(probity.Grant{Role: probity.RoleReader, Domain: "acme.lending"})
	taxDesk := as(probity.Grant{Role: probity.RoleReader, Domain: "gov.tax-compliance"})
	if _, err := f.GrantConsent(local(), probity.ConsentRequest{Subject: alice, Domain: "acme.lending", Grantee: "gov.tax-compliance",
		Purpose: "credit_application", Until: "2030-01-01"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.SetOptOut(local(), "acme.lending", alice, true); err != nil {
		t.Fatal(err)
	}
	// The record is still there: the installation sees it.
	own := f.score(t, "acme.lending", alice, time.Time{})
	if own.Status != probity.StatusOptedOut || len(own.Contributions)+len(own.Pending) == 0 || len(own.Types) == 0 {
		t.Fatalf("the installation's view: %+v, want opted_out with the entries left behind", own)
	}

	t.Run("Score", func(t *testing.T) {
		s, err := f.Score(desk, probity.ScoreRequest{Domain: "acme.lending", Subject: alice, Purpose: "credit_application"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := s.Status, probity.StatusOptedOut; got != want {
			t.Fatalf("Status = %s, want %s", got, want)
		}
		if leaks := beyondStatus(t, s, "domain", "spec_version", "as_of", "status", "base", "min_events", "projection", "page"); len(leaks) > 0 {
			t.Fatalf("a reader of an opted-out subject is shown %v", leaks)
		}
		if p := s.Page; p != nil && (p.Entries != 0 || p.Pages > 1) {
			t.Fatalf("page = %+v: a reader learns how many entries an opted-out subject left", *p)
		}
		for i, p := range s.Projection {
			if p.Status != probity.StatusOptedOut || p.Score != nil || p.Grade != nil {
				t.Errorf("projection[%d] = %s %v %v, want opted_out with no score or grade", i, p.Status, p.Score, p.Grade)
			}
		}
	})
	t.Run("Decision", func(t *testing.T) {
		d, _ := f.Domain(local(), "acme.lending")
		for benefit := range d.Benefits {
			got, err := f.Decide(desk, probity.DecisionRequest{Domain: "acme.lending", Subject: alice, Benefit: benefit, Purpose: "account_review"})
			if err != nil {
				t.Fatal(err)
			}
			fresh, err := f.Decide(desk, probity.DecisionRequest{Domain: "acme.lending", Subject: "person:never-seen", Benefit: benefit, Purpose: "account_review"})
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != probity.StatusOptedOut {
				t.Fatalf("%s: Status = %s, want %s", benefit, got.Status, probity.StatusOptedOut)
			}
			got.Status = fresh.Status
			g, _ := json.Marshal(got) // the adverse-action notice included
			w, _ := json.Marshal(fresh)
			if string(g) != string(w) {
				t.Errorf("%s: opted out decided %s, want what a subject never seen gets, %s", benefit, g, w)
			}
		}
	})
	t.Run("UnderConsent", func(t *testing.T) {
		cs, err := f.ConsentedScore(taxDesk, "acme.lending", alice, "credit_application")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := cs.Status, probity.StatusOptedOut; got != want {
			t.Fatalf("Status = %s, want %s", got, want)
		}
		if leaks := beyondStatus(t, cs, "domain", "status", "consent"); len(leaks) > 0 {
			t.Fatalf("a reader under consent is shown %v of an opted-out subject", leaks)
		}
	})
}

// beyondStatus returns the fields of v's JSON form outside allowed that are
// not empty (null, 0, "", false, [] or {}): what a reader learns beyond
// what v may say.
func beyondStatus(tb testing.TB, v any, allowed ...string) []string {
	tb.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		tb.Fatal(err)
	}
	var out []string
	for k, val := range fields {
		switch x := val.(type) {
		case nil:
			continue
		case float64:
			if x == 0 {
				continue
			}
		case string:
			if x == "" {
				continue
			}
		case bool:
			if !x {
				continue
			}
		case []any:
			if len(x) == 0 {
				continue
			}
		case map[string]any:
			if len(x) == 0 {
				continue
			}
		}
		if !slices.Contains(allowed, k) {
			out = append(out, fmt.Sprintf("%s=%v", k, val))
		}
	}
	slices.Sort(out)
	return out
}
