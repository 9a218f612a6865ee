package http_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/probity-dev/probity"
)

// TestReadAnswerIsWhatTheLogDigested checks that a score or decision is
// answered as compact JSON whose bytes (less the final newline) are the
// ones the read's leaf digested: a reader holding the answer can match it
// to the leaf an opening shows, without re-encoding it.
func TestReadAnswerIsWhatTheLogDigested(t *testing.T) {
	srv := startServer(t)
	u := srv.URL()
	if _, err := svc.ApplySpec(local(), "acme.lending", lendingSpec(t)); err != nil {
		t.Fatal(err)
	}
	ingest(t, "acme.lending", `{"key":"k1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-01-10","fields":{"amount":12000}}
{"key":"k2","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-02-10","fields":{"amount":100}}`)
	grantAll(t)
	tests := []struct {
		name   string
		path   string
		body   string
		action string
	}{
		{"Score", "/v1/domains/acme.lending/scores", `{"subject":"` + alice + `","purpose":"credit_application"}`, probity.ActionScoreRead},
		{"Decision", "/v1/domains/acme.lending/decisions", `{"subject":"` + alice + `","purpose":"credit_application","benefit":"standard_credit"}`, probity.ActionDecisionRead},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, raw := sendRaw(t, "Bearer "+bearer, "POST", u+tt.path, "application/json", tt.body)
			if resp.StatusCode != 200 {
				t.Fatalf("POST %s: %d %s, want 200", tt.path, resp.StatusCode, raw)
			}
			body, ok := bytes.CutSuffix(raw, []byte("\n"))
			if !ok {
				t.Fatalf("answer %q does not end with a newline", raw)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, body); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(body, compact.Bytes()) {
				t.Fatalf("answer is not compact JSON:\n%s", body)
			}
			var last probity.AuditEntry
			err := store.View(local(), func(tx probity.ReadTx) error {
				size, err := tx.LogSize("acme.lending")
				if err != nil {
					return err
				}
				return tx.Leaves("acme.lending", size-1, size, func(e *probity.AuditEntry) error {
					last = *e
					return nil
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(body)
			if last.Action != tt.action || last.Digest != hex.EncodeToString(sum[:]) {
				t.Fatalf("last leaf: %s with digest %s, want %s with the answer's SHA-256 %s", last.Action, last.Digest, tt.action, hex.EncodeToString(sum[:]))
			}
		})
	}
}
