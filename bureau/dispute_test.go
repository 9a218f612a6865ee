package bureau_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// TestDueProcess (P4): a disputed entry stops counting at once; a reviewer's
// rejection (with a written reason) makes it count again; an upheld dispute
// retracts it; a dispute left open past the domain's dispute_sla is resolved
// for the subject; only the subject disputes, only reviewers resolve.
func TestDueProcess(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	f.mustIngest(t, "acme.lending", `{"key":"r1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-01-01","fields":{"amount":20000}}
{"key":"r2","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-01-15","fields":{"amount":500}}
{"key":"l1","type":"payment_late","subject":"`+alice+`","occurred_at":"2026-02-01","fields":{"days_late":120}}
{"key":"l2","type":"payment_late","subject":"`+alice+`","occurred_at":"2026-03-01","fields":{"days_late":120}}
{"key":"l3","type":"payment_late","subject":"`+alice+`","occurred_at":"2026-03-05","fields":{"days_late":120}}
{"key":"b1","type":"payment_late","subject":"`+bob+`","occurred_at":"2026-03-01","fields":{"days_late":120}}`)
	as := func(token string) context.Context {
		a, err := f.Authenticate(context.Background(), token)
		if err != nil {
			t.Fatal(err)
		}
		return probity.NewContextWithActor(context.Background(), a)
	}
	st, _ := f.IssueSubjectToken(local(), probity.SubjectTokenRequest{Subject: alice})
	me := as(st.Token)
	rt, _ := f.CreatePrincipal(local(), probity.PrincipalRequest{Name: "ACME reviewer", Grants: []probity.Grant{{Role: probity.RoleReviewer, Domain: "acme.lending"}}})
	reviewer := as(rt.Token)
	before := *f.score(t, "acme.lending", alice, time.Time{}).Score

	var ids []string
	for _, key := range []string{"l1", "l2", "l3"} {
		d, err := f.FileDispute(me, probity.DisputeRequest{Domain: "acme.lending", EventKey: key, Reason: "I paid on time; bank statement attached"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	s := f.score(t, "acme.lending", alice, time.Time{})
	if len(s.Suspended) != 3 || *s.Score <= before {
		t.Fatalf("after disputing: %d suspended, score %d (before %d); want the three entries suspended at once", len(s.Suspended), *s.Score, before)
	}
	queue, err := f.Disputes(reviewer, "acme.lending")
	if err != nil || len(queue) != 3 {
		t.Fatalf("queue = %d, %v; want 3", len(queue), err)
	}
	if _, err := f.ResolveDispute(reviewer, "acme.lending", ids[0], probity.Resolution{Outcome: "rejected"}); probity.ErrorCode(err) != probity.EINVALID {
		t.Fatalf("rejecting without a reason: %v, want refused", err)
	}
	if d, err := f.ResolveDispute(reviewer, "acme.lending", ids[0], probity.Resolution{Outcome: "rejected", Reason: "payment arrived on day 121"}); err != nil || d.Reviewer == "" {
		t.Fatalf("reject: %+v, %v", d, err)
	}
	if _, err := f.ResolveDispute(reviewer, "acme.lending", ids[1], probity.Resolution{Outcome: "upheld", Reason: "bank error"}); err != nil {
		t.Fatal(err)
	}
	s = f.score(t, "acme.lending", alice, time.Time{})
	if len(s.Suspended) != 1 || len(s.Contributions) != 3 {
		t.Fatalf("after resolving: %d suspended, %d counted; want l3 suspended, r1, r2 and l1 counted, l2 retracted", len(s.Suspended), len(s.Contributions))
	}
	// The SLA (30 days) runs out on the third: resolved for the subject.
	f.clock.t = t0.Add(31 * 24 * time.Hour)
	s = f.score(t, "acme.lending", alice, f.clock.t)
	if len(s.Suspended) != 0 || len(s.Contributions) != 3 {
		t.Fatalf("after the SLA: %d suspended, %d counted; want l3 retracted", len(s.Suspended), len(s.Contributions))
	}
	r, err := f.Report(me, "")
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[string]string{}
	for _, d := range r.Domains[0].Disputes {
		statuses[d.EventKey] = d.Status + ": " + d.Resolution
	}
	if !strings.HasPrefix(statuses["l1"], "rejected: payment arrived") || !strings.HasPrefix(statuses["l2"], "upheld") || !strings.HasPrefix(statuses["l3"], "expired") {
		t.Fatalf("the subject sees %v", statuses)
	}
	figures, err := f.DisputeFigures(context.Background(), "acme.lending")
	if err != nil || figures.Filed != 3 || figures.Upheld != 1 || figures.Rejected != 1 || figures.Expired != 1 || figures.Open != 0 || figures.MedianResolve != 0 {
		t.Fatalf("figures = %+v, %v; want 3 filed: 1 upheld, 1 rejected, 1 expired; median 0 (two resolved at once, one after 31 days)", figures, err)
	}
	if _, err := f.FileDispute(me, probity.DisputeRequest{Domain: "acme.lending", EventKey: "b1", Reason: "not mine"}); probity.ErrorCode(err) != probity.ENOTFOUND {
		t.Fatalf("disputing another subject's entry: %v, want not found", err)
	}
	if _, err := f.Disputes(me, "acme.lending"); probity.ErrorCode(err) != probity.EFORBIDDEN {
		t.Fatalf("a subject reading the queue: %v, want refused", err)
	}
}

// TestRetract: a reporter withdraws an entry sent in error; it stops
// counting, the log records it, and the store still verifies.
func TestRetract(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	f.mustIngest(t, "acme.lending", `{"key":"r1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-01-01","fields":{"amount":20000}}
{"key":"oops","type":"payment_late","subject":"`+alice+`","occurred_at":"2026-02-01","fields":{"days_late":120}}`)
	if err := f.Retract(local(), "acme.lending", "oops", ""); probity.ErrorCode(err) != probity.EINVALID {
		t.Fatalf("retract without a reason: %v, want refused", err)
	}
	if err := f.Retract(local(), "acme.lending", "oops", "sent to the wrong customer"); err != nil {
		t.Fatal(err)
	}
	if s := f.score(t, "acme.lending", alice, time.Time{}); len(s.Contributions) != 1 || s.Contributions[0].Key != "r1" {
		t.Fatalf("after retraction: %+v, want only r1", s.Contributions)
	}
	if r, err := audit.Verify(context.Background(), f.db, f.signer.Verifier(), f.KeyDigests()); err != nil || !r.OK() {
		t.Fatalf("verify after a retraction: %v %v", err, r.Problems)
	}
	if err := f.Retract(local(), "acme.lending", "oops", "again"); probity.ErrorCode(err) != probity.ECONFLICT {
		t.Fatalf("retracting twice: %v, want conflict", err)
	}
	st, _ := f.IssueSubjectToken(local(), probity.SubjectTokenRequest{Subject: alice})
	a, _ := f.Authenticate(context.Background(), st.Token)
	if err := f.Retract(probity.NewContextWithActor(context.Background(), a), "acme.lending", "r1", "I dislike it"); probity.ErrorCode(err) != probity.EFORBIDDEN {
		t.Fatalf("a subject retracting: %v, want refused (subjects dispute)", err)
	}
}

// TestRectification: a reporter corrects an entry; the correction counts in
// its place, the old entry is retracted, and the store verifies.
func TestRectification(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	f.mustIngest(t, "acme.lending", `{"key":"r1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-01-01","fields":{"amount":20000}}
{"key":"l1","type":"payment_late","subject":"`+alice+`","occurred_at":"2026-02-01","fields":{"days_late":120}}`)
	fix := probity.EventInput{Key: "l1-fixed", Type: "payment_late", Subject: alice, OccurredAt: "2026-02-01", Fields: map[string]any{"days_late": json.Number("12")}}
	if _, err := f.Correct(local(), "acme.lending", "l1", fix, ""); probity.ErrorCode(err) != probity.EINVALID {
		t.Fatalf("a correction without a reason: %v, want refused", err)
	}
	other := fix
	other.Key, other.Subject = "l1-other", bob
	if _, err := f.Correct(local(), "acme.lending", "l1", other, "typo"); probity.ErrorCode(err) != probity.EINVALID {
		t.Fatalf("a correction about another subject: %v, want refused", err)
	}
	if _, err := f.Correct(local(), "acme.lending", "l1", fix, "12 days late, not 120"); err != nil {
		t.Fatal(err)
	}
	s := f.score(t, "acme.lending", alice, time.Time{})
	keys := ""
	for _, e := range append(s.Contributions, s.Pending...) {
		keys += e.Key + " "
	}
	if strings.Contains(keys, "l1 ") || !strings.Contains(keys, "l1-fixed") {
		t.Fatalf("entries after the correction: %s; want l1-fixed instead of l1", keys)
	}
	if r, err := audit.Verify(context.Background(), f.db, f.signer.Verifier(), f.KeyDigests()); err != nil || !r.OK() {
		t.Fatalf("verify: %v %v", err, r.Problems)
	}
}

// TestRetractDisputedEntry: retracting an entry under dispute resolves the
// dispute for the subject, and reads keep working once its SLA is past.
func TestRetractDisputedEntry(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	f.mustIngest(t, "acme.lending", `{"key":"l1","type":"payment_late","subject":"`+alice+`","occurred_at":"2026-02-01","fields":{"days_late":120}}`)
	d, err := f.FileDispute(local(), probity.DisputeRequest{Domain: "acme.lending", EventKey: "l1", Reason: "wrong", Subject: alice})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Retract(local(), "acme.lending", "l1", "sent in error"); err != nil {
		t.Fatal(err)
	}
	f.clock.t = t0.Add(60 * 24 * time.Hour)
	if _, err := f.Report(local(), alice); err != nil {
		t.Fatalf("report after the SLA: %v", err)
	}
	r, _ := f.Report(local(), alice)
	if got := r.Domains[0].Disputes[0]; got.ID != d.ID || got.Status != probity.DisputeUpheld {
		t.Fatalf("dispute = %+v, want upheld by the retraction", got)
	}
	if got := r.Domains[0].Retracted; len(got) != 1 || got[0].Key != "l1" {
		t.Fatalf("retracted entries in the record = %+v, want l1 kept for the record", got)
	}
	if rep, err := audit.Verify(context.Background(), f.db, f.signer.Verifier(), f.KeyDigests()); err != nil || !rep.OK() {
		t.Fatalf("verify: %v %v", err, rep.Problems)
	}
}
