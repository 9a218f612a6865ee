package bureau_test

import (
	"context"
	"testing"

	"github.com/probity-dev/probity"
)

// TestReport: a subject's token shows every domain holding data about the
// subject, the score with its entries, and every inquiry (who, purpose,
// when); the report read is itself an inquiry; nobody else reads it.
func TestReport(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	f.apply(t, readSpec(t, "../examples/domains/city-rent-utilities.yaml"))
	f.mustIngest(t, "acme.lending", `{"key":"a1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-05-01","fields":{"amount":20000}}
{"key":"a2","type":"payment_late","subject":"`+alice+`","occurred_at":"2026-05-20","fields":{"days_late":40}}
{"key":"b1","type":"loan_repaid","subject":"`+bob+`","occurred_at":"2026-05-01","fields":{"amount":1}}`)
	reader, err := f.CreatePrincipal(local(), probity.PrincipalRequest{Name: "ACME credit desk", Grants: []probity.Grant{{Role: probity.RoleReader, Domain: "acme.lending"}}})
	if err != nil {
		t.Fatal(err)
	}
	desk, err := f.Authenticate(context.Background(), reader.Token)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Score(probity.NewContextWithActor(context.Background(), desk), probity.ScoreRequest{Domain: "acme.lending", Subject: alice, Purpose: "credit_application"}); err != nil {
		t.Fatal(err)
	}
	st, err := f.IssueSubjectToken(local(), probity.SubjectTokenRequest{Subject: alice})
	if err != nil {
		t.Fatal(err)
	}
	me, err := f.Authenticate(context.Background(), st.Token)
	if err != nil {
		t.Fatal(err)
	}
	ctx := probity.NewContextWithActor(context.Background(), me)
	r, err := f.Report(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Domains) != 1 || r.Domains[0].Domain != "acme.lending" {
		t.Fatalf("report domains = %+v, want acme.lending only (the rent domain holds nothing)", r.Domains)
	}
	d := r.Domains[0]
	if len(d.Score.Contributions)+len(d.Score.Pending) != 2 || len(d.Inquiries) != 1 {
		t.Fatalf("report: %d entries, %d inquiries; want 2 entries and the desk's inquiry", len(d.Score.Contributions)+len(d.Score.Pending), len(d.Inquiries))
	}
	if q := d.Inquiries[0]; q.Purpose != "credit_application" || q.Action != probity.ActionScoreRead || q.Actor != desk.ID {
		t.Fatalf("inquiry = %+v, want the desk's credit_application read", q)
	}
	again, err := f.Report(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(again.Domains[0].Inquiries); n != 2 || again.Domains[0].Inquiries[1].Action != probity.ActionReportRead {
		t.Fatalf("second report shows %d inquiries, want the first report among them", n)
	}
	if _, err := f.Report(ctx, bob); probity.ErrorCode(err) != probity.EFORBIDDEN {
		t.Fatalf("a subject reading another's report: %v, want refused", err)
	}
	if _, err := f.Report(probity.NewContextWithActor(context.Background(), desk), alice); probity.ErrorCode(err) != probity.EFORBIDDEN {
		t.Fatalf("a reader reading a report: %v, want refused", err)
	}
	if _, err := f.Report(context.Background(), alice); probity.ErrorCode(err) != probity.EUNAUTHORIZED {
		t.Fatalf("an anonymous report: %v, want unauthorized", err)
	}
}
