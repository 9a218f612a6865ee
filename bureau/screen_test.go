package bureau_test

import (
	"context"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
)

// Identifiers planted in free text: another person's and another company's
// (valid, in loose spellings) and alice's own without her check digit.
const (
	plantedCNRID = "4403 0519 9001 0112 48" // cn-rid:440305199001011248
	plantedUSCC  = "91350100-m000100y43"    // uscc:91350100M000100Y43
	aliceNoCheck = "11010519491231002"      // alice without her X
	plantedOwn   = "1101-0519-4912-3100-2"  // alice, dashed, without her X
	plantedNote  = "settled; ref 440305199001011248"
)

// lendingWithNotes is the lending spec with a text field on settlements.
func lendingWithNotes(tb testing.TB) string {
	tb.Helper()
	s := readSpec(tb, lending)
	out := strings.Replace(s, "    points: \"0.0\"\n    code: S01", "    fields: {note: string}\n    points: \"0.0\"\n    code: S01", 1)
	if out == s {
		tb.Fatal("the lending spec changed: cannot add a text field to payment_settled")
	}
	return out
}

// TestScreenIngest (P1): an event whose key, cure or field holds an
// identifier is refused on its line, naming the field and not echoing the
// key, and the batch is not applied.
func TestScreenIngest(t *testing.T) {
	f := newFixture(t)
	f.apply(t, lendingWithNotes(t))
	f.mustIngest(t, "acme.lending", `{"key":"late-1","type":"payment_late","subject":"`+alice+`","occurred_at":"2026-05-01","fields":{"days_late":40}}`)
	good := `{"key":"ok-1","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-01-10","fields":{"amount":12000}}`
	for _, tt := range []struct {
		name, line, want string
	}{
		{"ErrKeyOtherPerson", `{"key":"loan-4403-0519-9001-0112-48","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-01-10","fields":{"amount":1}}`,
			"key: holds an identifier (a cn-rid)"},
		{"ErrKeyOwnNoCheck", `{"key":"loan-` + aliceNoCheck + `-1","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-01-10","fields":{"amount":1}}`,
			"key: holds an identifier (the subject's own)"},
		{"ErrKeyOwnOpaque", `{"key":"L-BOB-0001-7","type":"loan_repaid","subject":"` + bob + `","occurred_at":"2025-01-10","fields":{"amount":1}}`,
			"key: holds an identifier (the subject's own)"},
		{"ErrKeyScheme", `{"key":"org:acme-1","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-01-10","fields":{"amount":1}}`,
			"key: holds an identifier (written org:value)"},
		{"ErrCures", `{"key":"s-1","type":"payment_settled","subject":"` + alice + `","occurred_at":"2026-05-02","cures":"` + plantedOwn + `","fields":{"note":"paid"}}`,
			"cures: holds an identifier (the subject's own)"},
		{"ErrFieldText", `{"key":"s-2","type":"payment_settled","subject":"` + alice + `","occurred_at":"2026-05-02","cures":"late-1","fields":{"note":"` + plantedNote + `"}}`,
			"fields.note: holds an identifier (a cn-rid)"},
		{"ErrFieldUSCC", `{"key":"s-3","type":"payment_settled","subject":"` + alice + `","occurred_at":"2026-05-02","cures":"late-1","fields":{"note":"for ` + plantedUSCC + `"}}`,
			"fields.note: holds an identifier (a uscc)"},
		{"ErrFieldNumber", `{"key":"l-2","type":"payment_late","subject":"` + alice + `","occurred_at":"2026-05-02","fields":{"days_late":440305199001011248}}`,
			"fields.days_late: holds an identifier (a cn-rid)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sum, err := f.ingest(t, "acme.lending", good+"\n"+tt.line+"\n", false)
			if probity.ErrorCode(err) != probity.EINVALID || sum.Applied || sum.Rejected != 1 {
				t.Fatalf("err=%v applied=%v rejected=%d, want EINVALID, nothing applied, one line rejected", err, sum.Applied, sum.Rejected)
			}
			got := sum.Errors[0]
			if got.Line != 2 || !strings.HasPrefix(got.Message, tt.want) {
				t.Fatalf("line error %+v, want line 2: %s...", got, tt.want)
			}
			if got.Key != "" && strings.HasPrefix(tt.want, "key:") {
				t.Fatalf("line error echoes the key %q", got.Key)
			}
		})
	}
	t.Run("OKPlainText", func(t *testing.T) {
		f.mustIngest(t, "acme.lending", good+"\n"+`{"key":"s-9","type":"payment_settled","subject":"`+alice+`","occurred_at":"2026-05-02","cures":"late-1","fields":{"note":"paid 1,200.00 on 2026-05-02, ref 88231"}}`)
	})
}

// TestScreenRequests (P1): every free-text field a service accepts refuses
// an identifier before anything is stored, with the field's name.
func TestScreenRequests(t *testing.T) {
	f := newFixture(t)
	f.apply(t, lendingWithNotes(t))
	f.apply(t, readSpec(t, "../examples/domains/district-court.yaml"))
	f.apply(t, readSpec(t, "../examples/domains/public-integrity.yaml"))
	f.mustIngest(t, "acme.lending", `{"key":"k1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-01-10","fields":{"amount":12000}}`)
	f.mustIngest(t, "gov.public-integrity", `{"key":"g1","type":"audit_passed","subject":"`+alice+`","occurred_at":"2025-01-10","fields":{"findings":0}}`)
	d, err := f.FileDispute(local(), probity.DisputeRequest{Domain: "acme.lending", EventKey: "k1", Reason: "not mine", Subject: alice})
	if err != nil {
		t.Fatal(err)
	}
	fix := probity.EventInput{Key: "k1-fixed", Type: "loan_repaid", Subject: alice, OccurredAt: "2025-01-10", Fields: map[string]any{"amount": 1200}}
	for _, tt := range []struct {
		name string
		do   func(ctx context.Context) error
		want string
	}{
		{"ErrDisputeReason", func(ctx context.Context) error {
			_, err := f.FileDispute(ctx, probity.DisputeRequest{Domain: "acme.lending", EventKey: "k1", Reason: "I am " + plantedOwn, Subject: alice})
			return err
		}, "reason: holds an identifier (the subject's own)"},
		{"ErrResolutionReason", func(ctx context.Context) error {
			_, err := f.ResolveDispute(ctx, "acme.lending", d.ID, probity.Resolution{Outcome: probity.DisputeRejected, Reason: "paid by " + plantedCNRID})
			return err
		}, "reason: holds an identifier (a cn-rid)"},
		{"ErrRetractionReason", func(ctx context.Context) error {
			return f.Retract(ctx, "acme.lending", "k1", "meant for "+plantedUSCC)
		}, "reason: holds an identifier (a uscc)"},
		{"ErrCorrectionReason", func(ctx context.Context) error {
			_, err := f.Correct(ctx, "acme.lending", "k1", fix, "amount of "+aliceNoCheck+" was wrong")
			return err
		}, "reason: holds an identifier (the subject's own)"},
		{"ErrCorrectionKey", func(ctx context.Context) error {
			bad := fix
			bad.Key = "fix-person:x"
			_, err := f.Correct(ctx, "acme.lending", "k1", bad, "amount was wrong")
			return err
		}, "correction: key: holds an identifier (written person:value)"},
		{"ErrOffice", func(ctx context.Context) error {
			_, err := f.RecordTerm(ctx, probity.TermRequest{Domain: "gov.public-integrity", Subject: alice, Office: "mayor, ID " + plantedOwn, From: "2024-01-01"})
			return err
		}, "office: holds an identifier (the subject's own)"},
		{"ErrCitation", func(ctx context.Context) error {
			_, err := f.IssueOrder(ctx, probity.OrderRequest{Domain: "court.civil-judgments", Subject: alice, Citation: "Case 17 against cn-rid:" + aliceNoCheck,
				Restrictions: []string{"no_new_credit"}, EndsAt: "2027-06-01"})
			return err
		}, "citation: holds an identifier (written cn-rid:value)"},
		{"ErrRestriction", func(ctx context.Context) error {
			_, err := f.IssueOrder(ctx, probity.OrderRequest{Domain: "court.civil-judgments", Subject: alice, Citation: "Case 17",
				Restrictions: []string{"no_new_credit", "no_travel_" + aliceNoCheck}, EndsAt: "2027-06-01"})
			return err
		}, "restrictions[1]: holds an identifier (the subject's own)"},
		{"ErrRestrictionCheck", func(ctx context.Context) error {
			_, err := f.CheckRestriction(ctx, probity.RestrictionCheck{Subject: alice, Restriction: "r_" + aliceNoCheck, Purpose: "credit_application"})
			return err
		}, "restriction: holds an identifier (the subject's own)"},
		{"ErrPrincipalName", func(ctx context.Context) error {
			_, err := f.CreatePrincipal(ctx, probity.PrincipalRequest{Name: "desk of " + plantedCNRID})
			return err
		}, "name: holds an identifier (a cn-rid)"},
		{"ErrSpecName", func(ctx context.Context) error {
			_, err := f.ApplySpec(ctx, "", []byte(strings.Replace(readSpec(t, lending), "name: ACME Bank consumer and business lending", "name: ACME for "+plantedUSCC, 1)))
			return err
		}, "name: holds an identifier (a uscc)"},
		{"ErrSpecReason", func(ctx context.Context) error {
			_, err := f.ApplySpec(ctx, "", []byte(strings.Replace(readSpec(t, lending), "reason: Late payments", "reason: Late payments of person:x", 1)))
			return err
		}, "events[1].reason: holds an identifier (written person:value)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do(local())
			if probity.ErrorCode(err) != probity.EINVALID || !strings.HasPrefix(probity.ErrorMessage(err), tt.want) {
				t.Fatalf("err=%v, want EINVALID %s...", err, tt.want)
			}
		})
	}
}

// TestScreenSpec: every text and name of a spec is screened, every
// offending path listed; the CEL expressions are not texts.
func TestScreenSpec(t *testing.T) {
	f := newFixture(t)
	src := readSpec(t, lending)
	for _, r := range []struct{ old, new string }{
		{"owner: ACME Bank", "owner: ACME Bank (uscc:91350100M000100Y43)"},
		{"legal_basis: Loan agreements", "legal_basis: Loan agreements of 11010519491231002X"},
		{"purposes: [credit_application,", "purposes: [credit_application, c440305199001011248,"},
		{"code: L01", "code: P9135010"},
		{"standard_credit:", "x11010519491231002x:"},
	} {
		if !strings.Contains(src, r.old) {
			t.Fatalf("the lending spec lacks %q", r.old)
		}
		src = strings.Replace(src, r.old, r.new, 1)
	}
	_, err := f.ApplySpec(local(), "", []byte(src))
	msg := probity.ErrorMessage(err)
	for _, path := range []string{"owner:", "legal_basis:", "purposes[1]:", "benefits.x11010519491231002x:"} {
		if !strings.Contains(msg, "\n"+path) && !strings.HasPrefix(msg, path) {
			t.Errorf("message lacks %s:\n%s", path, msg)
		}
	}
	if strings.Contains(msg, "events[1].code") {
		t.Errorf("a code of 8 characters cannot hold an identifier:\n%s", msg)
	}
	if _, err := f.Domain(local(), "acme.lending"); probity.ErrorCode(err) != probity.ENOTFOUND {
		t.Fatalf("the refused spec was stored: %v", err)
	}
}
