package bureau_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// TestAnswerEncodedOnce checks that a score or decision answered already
// encoded is the compact JSON of what Score and Decide return, and that the
// read's leaf holds the digest of exactly those bytes: the digest
// audit.ReadDigest gives of the answer, which openings and verification
// expect.
func TestAnswerEncodedOnce(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	f.mustIngest(t, "acme.lending", `{"key":"a1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-06-01","fields":{"amount":20000}}
{"key":"a2","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-06-01","fields":{"amount":100}}`)
	sreq := probity.ScoreRequest{Domain: "acme.lending", Subject: alice, Purpose: "account_review"}
	dreq := probity.DecisionRequest{Domain: "acme.lending", Subject: alice, Purpose: "account_review", Benefit: "standard_credit"}
	tests := []struct {
		name    string
		action  string
		encoded func() ([]byte, error)
		value   func() (any, error)
	}{
		{"Score", probity.ActionScoreRead,
			func() ([]byte, error) { return f.ScoreJSON(local(), sreq) },
			func() (any, error) { return f.Score(local(), sreq) }},
		{"Decision", probity.ActionDecisionRead,
			func() ([]byte, error) { return f.DecideJSON(local(), dreq) },
			func() (any, error) { return f.Decide(local(), dreq) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := tt.encoded()
			if err != nil {
				t.Fatal(probity.ErrorMessage(err))
			}
			leaf := f.lastLeaf(t, "acme.lending")
			v, err := tt.value()
			if err != nil {
				t.Fatal(probity.ErrorMessage(err))
			}
			want, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(body, want) {
				t.Fatalf("encoded answer:\n%s\nwant json.Marshal of the answer:\n%s", body, want)
			}
			sum := sha256.Sum256(body)
			if got, want := leaf.Digest, hex.EncodeToString(sum[:]); got != want {
				t.Fatalf("leaf digest = %s, want the SHA-256 of the bytes answered, %s", got, want)
			}
			if got, want := leaf.Digest, audit.ReadDigest(v); got != want {
				t.Fatalf("leaf digest = %s, want audit.ReadDigest of the answer, %s", got, want)
			}
			if got, want := leaf.Action, tt.action; got != want {
				t.Fatalf("last leaf's action = %s, want %s", got, want)
			}
		})
	}
}

// lastLeaf returns a log's latest leaf.
func (f *fixture) lastLeaf(tb testing.TB, log string) probity.AuditEntry {
	tb.Helper()
	var last probity.AuditEntry
	err := f.db.View(local(), func(tx probity.ReadTx) error {
		size, err := tx.LogSize(log)
		if err != nil || size == 0 {
			return err
		}
		return tx.Leaves(log, size-1, size, func(e *probity.AuditEntry) error {
			last = *e
			return nil
		})
	})
	if err != nil {
		tb.Fatal(err)
	}
	return last
}
