package main

import (
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
	"golang.org/x/mod/sumdb/note"
)

// TestCheckOpening: a subject's report, saved to a file, checks offline
// against the log's key; a changed salt, a record of another leaf or a
// wrong key is refused with what differs.
func TestCheckOpening(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	mustRun(t, "domain", "apply", "--data", data, lendingSpec)
	events := writeFile(t, dir, "e.ndjson", `{"key":"k1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-01-10","fields":{"amount":12000}}
{"key":"k2","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-02-10","fields":{"amount":100}}`)
	mustRun(t, "ingest", "--data", data, "--domain", "acme.lending", events)
	mustRun(t, "score", "--data", data, "--domain", "acme.lending", "--subject", alice, "--purpose", "account_review")
	report := writeFile(t, dir, "report.json", mustRun(t, "report", "--data", data, "--subject", alice, "--json"))
	key := strings.TrimSpace(mustRun(t, "audit", "key", "--data", data))
	// A later checkpoint of the domain's log, validly signed, that the
	// installation checkpoint of the report does not record.
	mustRun(t, "score", "--data", data, "--domain", "acme.lending", "--subject", alice, "--purpose", "account_review")
	later := mustRun(t, "audit", "checkpoint", "--data", data, "--log", "acme.lending")

	out := mustRun(t, "audit", "check-opening", "--key", key, report)
	if !strings.Contains(out, "OK: 3 openings open their leaves' commitments") || !strings.Contains(out, "score.read") || !strings.Contains(out, "account_review") {
		t.Fatalf("check-opening:\n%s\nwant 3 openings (two entries, one read) checked", out)
	}

	var r probity.Report
	buf, _ := os.ReadFile(report)
	if err := json.Unmarshal(buf, &r); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		change func(b *probity.OpeningBundle)
		key    string
		want   string
	}{
		{"ErrSalt", func(b *probity.OpeningBundle) { b.Openings[0].Salt[0] ^= 1 }, key, "do not open its commitment"},
		{"ErrOtherLeaf", func(b *probity.OpeningBundle) {
			b.Openings[0].Salt, b.Openings[0].Record = b.Openings[1].Salt, b.Openings[1].Record
		}, key, "do not open its commitment"},
		{"ErrProof", func(b *probity.OpeningBundle) { b.Openings[1].Inclusion[0][0] ^= 1 }, key, "not included in the checkpoint"},
		// the two entries are members of one batch leaf
		{"ErrBatchPath", func(b *probity.OpeningBundle) { b.Openings[0].Batch.Path[0][0] ^= 1 }, key, "do not open its commitment"},
		{"ErrBatchPosition", func(b *probity.OpeningBundle) { b.Openings[0].Batch.Position = 2 }, key, "do not open its commitment"},
		{"ErrBatchHeader", func(b *probity.OpeningBundle) {
			b.Openings[0].Batch.Header = strings.Replace(b.Openings[0].Batch.Header, "cli:", "cli:x", 1)
		}, key, "its batch header, by its path, does not open its commitment"},
		{"ErrBatchOmitted", func(b *probity.OpeningBundle) { b.Openings[0].Batch = nil }, key, "do not open its commitment"},
		{"ErrKey", func(b *probity.OpeningBundle) {}, otherKey(t), "signature"},
		{"ErrUnrecordedCheckpoint", func(b *probity.OpeningBundle) {
			p := b.Logs["acme.lending"]
			p.Checkpoint = later
			b.Logs["acme.lending"] = p
		}, key, "does not record this checkpoint"},
		{"ErrSealNotIncluded", func(b *probity.OpeningBundle) {
			p := b.Logs["acme.lending"]
			p.Inclusion = p.Inclusion[:len(p.Inclusion)-1]
			b.Logs["acme.lending"] = p
		}, key, "not included in the installation checkpoint"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var c probity.Report
			json.Unmarshal(buf, &c)
			tt.change(c.Log)
			changed, _ := json.Marshal(c)
			path := filepath.Join(t.TempDir(), "changed.json")
			os.WriteFile(path, changed, 0o600)
			_, _, err := run(t, nil, "", "audit", "check-opening", "--key", tt.key, path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("check-opening of a changed report: %v, want %q", err, tt.want)
			}
		})
	}

	// An auditor's page of openings, itself logged.
	var page probity.OpeningBundle
	if err := json.Unmarshal([]byte(mustRun(t, "audit", "openings", "--data", data, "--domain", "acme.lending", "--limit", "2")), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Openings) != 2 || page.Next == nil {
		t.Fatalf("openings --limit 2: %d openings, next %v", len(page.Openings), page.Next)
	}
	// the batch leaf's own opening (its header) checks offline too
	if b := page.Openings[1].Batch; b == nil || b.Position != 0 || b.Size != 3 {
		t.Fatalf("openings: leaf 1 is opened with %+v, want the batch leaf's header at position 0 of 3", b)
	}
	pageFile := writeFile(t, dir, "page.json", mustRun(t, "audit", "openings", "--data", data, "--domain", "acme.lending", "--limit", "2"))
	if out := mustRun(t, "audit", "check-opening", "--key", key, pageFile); !strings.Contains(out, "OK: 2 openings") || !strings.Contains(out, "events.accepted") {
		t.Fatalf("check-opening of an auditor's page:\n%s\nwant the spec's and the batch leaf's openings checked", out)
	}
	last, leaf := logState(t, data)
	if leaf.Action != probity.ActionOpeningsRead || leaf.Domain != "acme.lending" || last == 0 {
		t.Fatalf("the last leaf is %+v, want the openings read", leaf)
	}
}

// otherKey returns the verifier key of another log.
func otherKey(tb testing.TB) string {
	_, vkey, err := note.GenerateKey(rand.Reader, "probity-other")
	if err != nil {
		tb.Fatal(err)
	}
	return vkey
}
