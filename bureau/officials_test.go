package bureau_test

import (
	"context"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// TestNobodyIsExempt (P7): an official's adverse entry that occurred in
// office counts with the spec's factor, one outside office without it; a
// public body is rated like anyone; only the domain's admins keep the roster.
func TestNobodyIsExempt(t *testing.T) {
	f := newFixture(t)
	f.apply(t, readSpec(t, "../examples/domains/public-integrity.yaml"))
	mayor, plain := "person:mayor-0001", "person:citizen-0002"
	events := ""
	for i, s := range []string{mayor, plain} {
		k := string(rune('m' + i))
		events += `{"key":"` + k + `-f","type":"audit_finding","subject":"` + s + `","occurred_at":"2025-06-01","fields":{"amount":10}}` + "\n" +
			`{"key":"` + k + `-a1","type":"audit_passed","subject":"` + s + `","occurred_at":"2025-01-01","fields":{"findings":0}}` + "\n" +
			`{"key":"` + k + `-a2","type":"audit_passed","subject":"` + s + `","occurred_at":"2025-02-01","fields":{"findings":0}}` + "\n"
	}
	events += `{"key":"hall-a","type":"audit_passed","subject":"gov:city-hall","occurred_at":"2025-01-01","fields":{"findings":0}}` + "\n"
	f.mustIngest(t, "gov.public-integrity", events)
	if _, err := f.RecordTerm(local(), probity.TermRequest{Domain: "gov.public-integrity", Subject: mayor, Office: "mayor", From: "2024-01-01", To: "2026-01-01"}); err != nil {
		t.Fatal(err)
	}
	entry := func(subject string) probity.Entry {
		for _, e := range f.score(t, "gov.public-integrity", subject, time.Time{}).Contributions {
			if e.Type == "audit_finding" {
				return e
			}
		}
		t.Fatalf("%s has no counted audit_finding", subject)
		return probity.Entry{}
	}
	if m, p := entry(mayor), entry(plain); m.Points != 2*p.Points || m.Note == "" {
		t.Fatalf("official %v (%q), citizen %v: want the official's adverse points doubled", m.Points, m.Note, p.Points)
	}
	if _, err := f.RecordTerm(local(), probity.TermRequest{Domain: "gov.public-integrity", Subject: plain, Office: "clerk", From: "2025-07-01"}); err != nil {
		t.Fatal(err)
	}
	if p := entry(plain); p.Note != "" {
		t.Fatalf("an entry before the term began got the factor: %q", p.Note)
	}
	if s := f.score(t, "gov.public-integrity", "gov:city-hall", time.Time{}); s.EventsCounted != 1 {
		t.Fatalf("the public body: %d counted, want its entry counted like anyone's", s.EventsCounted)
	}
	roster, err := f.Terms(local(), "gov.public-integrity")
	if err != nil || len(roster) != 2 {
		t.Fatalf("roster = %d, %v", len(roster), err)
	}
	st, _ := f.IssueSubjectToken(local(), probity.SubjectTokenRequest{Subject: mayor})
	a, _ := f.Authenticate(context.Background(), st.Token)
	if _, err := f.RecordTerm(probity.NewContextWithActor(context.Background(), a), probity.TermRequest{Domain: "gov.public-integrity", Subject: mayor, Office: "x", From: "2020-01-01"}); probity.ErrorCode(err) != probity.EFORBIDDEN {
		t.Fatalf("a subject editing the roster: %v, want refused", err)
	}
	if r, err := audit.Verify(context.Background(), f.db, f.signer.Verifier(), f.KeyDigests()); err != nil || !r.OK() {
		t.Fatalf("verify: %v %v", err, r.Problems)
	}
}
