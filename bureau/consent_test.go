package bureau_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// TestConsentGrants (P1): a landlord's reader sees a subject's bank score and
// grade only under the subject's live consent for the landlord's domain and
// purpose, never the entries; every such read is an inquiry the subject
// sees; revoking ends it at once.
func TestConsentGrants(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	f.apply(t, readSpec(t, "../examples/domains/city-rent-utilities.yaml"))
	f.mustIngest(t, "acme.lending", `{"key":"a1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-01-01","fields":{"amount":20000}}
{"key":"a2","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-02-01","fields":{"amount":20000}}`)
	as := func(token string) context.Context {
		a, err := f.Authenticate(context.Background(), token)
		if err != nil {
			t.Fatal(err)
		}
		return probity.NewContextWithActor(context.Background(), a)
	}
	lt, _ := f.CreatePrincipal(local(), probity.PrincipalRequest{Name: "landlord desk", Grants: []probity.Grant{{Role: probity.RoleReader, Domain: "city.rent-utilities"}}})
	landlord := as(lt.Token)
	st, _ := f.IssueSubjectToken(local(), probity.SubjectTokenRequest{Subject: alice})
	me := as(st.Token)

	if _, err := f.ConsentedScore(landlord, "acme.lending", alice, "tenancy_application"); probity.ErrorCode(err) != probity.EFORBIDDEN {
		t.Fatalf("without consent: %v, want refused", err)
	}
	if _, err := f.GrantConsent(me, probity.ConsentRequest{Domain: "acme.lending", Grantee: "city.rent-utilities", Purpose: "credit_application", Until: "2027-01-01"}); probity.ErrorCode(err) != probity.EINVALID {
		t.Fatalf("a purpose of the wrong domain: %v, want refused", err)
	}
	g, err := f.GrantConsent(me, probity.ConsentRequest{Domain: "acme.lending", Grantee: "city.rent-utilities", Purpose: "tenancy_application", Until: "2027-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := f.ConsentedScore(landlord, "acme.lending", alice, "tenancy_application")
	if err != nil || cs.Status != probity.StatusRated || cs.Score == nil || cs.Consent != g.ID {
		t.Fatalf("under consent: %+v, %v", cs, err)
	}
	if _, err := f.ConsentedScore(landlord, "acme.lending", alice, "utility_connection"); probity.ErrorCode(err) != probity.EFORBIDDEN {
		t.Fatalf("another purpose than granted: %v, want refused", err)
	}
	r, err := f.Report(me, "")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, q := range r.Domains[0].Inquiries {
		found = found || strings.Contains(q.Purpose, "consent "+g.ID)
	}
	if !found || len(r.Domains[0].Consents) != 1 {
		t.Fatalf("the subject does not see the read under consent: %+v", r.Domains[0].Inquiries)
	}
	if _, err := f.RevokeConsent(me, "acme.lending", g.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ConsentedScore(landlord, "acme.lending", alice, "tenancy_application"); probity.ErrorCode(err) != probity.EFORBIDDEN {
		t.Fatalf("after revocation: %v, want refused", err)
	}
	// An expired grant is no grant.
	if _, err := f.GrantConsent(me, probity.ConsentRequest{Domain: "acme.lending", Grantee: "city.rent-utilities", Purpose: "tenancy_application", Until: t0.Add(time.Hour).Format(time.RFC3339)}); err != nil {
		t.Fatal(err)
	}
	f.clock.t = t0.Add(2 * time.Hour)
	if _, err := f.ConsentedScore(landlord, "acme.lending", alice, "tenancy_application"); probity.ErrorCode(err) != probity.EFORBIDDEN {
		t.Fatalf("after the grant's end: %v, want refused", err)
	}
	if rep, err := audit.Verify(context.Background(), f.db, f.signer.Verifier(), f.KeyDigests()); err != nil || !rep.OK() {
		t.Fatalf("verify: %v %v", err, rep.Problems)
	}
}
