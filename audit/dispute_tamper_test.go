package audit_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/eventfile"
)

// TestVerifyDisputes: disputes and retracted entries are bound to their
// leaves; reinstating a retracted entry, deleting a dispute or changing its
// outcome behind Probity's back shows.
func TestVerifyDisputes(t *testing.T) {
	for name, tamper := range map[string]string{
		"None":            ``,
		"Unretract":       `UPDATE events SET retracted_at = 0 WHERE retracted_at != 0`,
		"Retract":         `UPDATE events SET retracted_at = 1 WHERE key = 'k2'`,
		"DeleteDispute":   `DELETE FROM disputes WHERE status = 'upheld'`,
		"OverturnOutcome": `UPDATE disputes SET status = 'rejected' WHERE status = 'upheld'`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			in := openInstallation(t, dir)
			ctx := probity.NewContextWithActor(context.Background(), probity.Actor{ID: "test", Local: true})
			if err := in.bureau.Init(ctx); err != nil {
				t.Fatal(err)
			}
			src, _ := os.ReadFile("../examples/domains/acme-lending.yaml")
			if _, err := in.bureau.ApplySpec(ctx, "", src); err != nil {
				t.Fatal(err)
			}
			r, _ := eventfile.NewReader(strings.NewReader(`{"key":"k1","type":"payment_late","subject":"person:p1","occurred_at":"2025-01-10","fields":{"days_late":40}}
{"key":"k2","type":"loan_repaid","subject":"person:p1","occurred_at":"2025-01-11","fields":{"amount":4}}`))
			if _, err := in.bureau.Ingest(ctx, "acme.lending", r, probity.IngestOptions{}); err != nil {
				t.Fatal(err)
			}
			d, err := in.bureau.FileDispute(ctx, probity.DisputeRequest{Domain: "acme.lending", EventKey: "k1", Reason: "wrong", Subject: "person:p1"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := in.bureau.ResolveDispute(ctx, "acme.lending", d.ID, probity.Resolution{Outcome: probity.DisputeUpheld}); err != nil {
				t.Fatal(err)
			}
			in.db.Close()
			if r := verify(t, dir); !r.OK() {
				t.Fatalf("untouched: %v", r.Problems)
			}
			if tamper == "" {
				return
			}
			db := mustOpenRaw(t, dir)
			if res, err := db.Exec(tamper); err != nil {
				t.Fatal(err)
			} else if n, _ := res.RowsAffected(); n != 1 {
				t.Fatalf("the tamper changed %d rows, want 1", n)
			}
			db.Close()
			if r := verify(t, dir); r.OK() {
				t.Fatal("tamper not detected")
			} else {
				t.Log(r.Problems)
			}
		})
	}
}
