package audit_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
)

// TestVerifyOptOuts: the subjects out of a domain are exactly those the log
// says; a row deleted, moved in time or added behind Probity's back shows.
func TestVerifyOptOuts(t *testing.T) {
	for name, tamper := range map[string]string{
		"None":      ``,
		"Delete":    `DELETE FROM opt_outs`,
		"Since":     `UPDATE opt_outs SET since = since - 1000000000`,
		"Insert":    `INSERT INTO opt_outs SELECT domain, x'00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', since FROM opt_outs`,
		"Reinstate": `INSERT INTO opt_outs SELECT domain, pseudonym, 1 FROM log_leaves WHERE action = 'opt_out.cleared'`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			in := openInstallation(t, dir)
			ctx := probity.NewContextWithActor(context.Background(), probity.Actor{ID: "test", Local: true})
			if err := in.bureau.Init(ctx); err != nil {
				t.Fatal(err)
			}
			src, err := os.ReadFile("../examples/domains/acme-lending.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := in.bureau.ApplySpec(ctx, "", src); err != nil {
				t.Fatal(err)
			}
			for _, step := range []struct {
				subject string
				out     bool
			}{{"person:stays-out", true}, {"person:comes-back", true}, {"person:comes-back", false}} {
				if _, err := in.bureau.SetOptOut(ctx, "acme.lending", step.subject, step.out); err != nil {
					t.Fatal(err)
				}
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
			r := verify(t, dir)
			if r.OK() || !strings.Contains(strings.Join(r.Problems, "\n"), "opt-out") {
				t.Fatalf("tampered opt-out not detected: %v", r.Problems)
			}
		})
	}
}
