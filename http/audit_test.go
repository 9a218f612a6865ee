package http_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"golang.org/x/mod/sumdb/note"
)

// lastSizes holds each log's size at the last logSize call.
var lastSizes map[string]uint64

// logSize returns the number of leaves of every log of the server, and the
// last leaf of the log that grew since the last call (the installation
// log's if none did): its public fields, served anonymously, and its
// record's, read from the store as its opening shows it.
func logSize(t *testing.T, u string) (uint64, map[string]any) {
	t.Helper()
	var logs []probity.LogInfo
	err := store.View(context.Background(), func(tx probity.ReadTx) error {
		var err error
		logs, err = tx.Logs()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	total, grown := uint64(0), probity.InstallationLog
	sizes := map[string]uint64{}
	for _, l := range logs {
		total += l.Size
		sizes[l.Name] = l.Size
		if l.Size > lastSizes[l.Name] {
			grown = l.Name
		}
	}
	lastSizes = sizes
	size := sizes[grown]
	if size == 0 {
		return total, map[string]any{}
	}
	status, body := call(t, "GET", u+"/v1/audit/checkpoint?format=json&log="+grown, "", nil)
	if status != 200 || uint64(body["size"].(float64)) != size {
		t.Fatalf("checkpoint of log %s = %d %v, want size %d", grown, status, body, size)
	}
	_, page := call(t, "GET", fmt.Sprintf("%s/v1/audit/entries?log=%s&start=%d&end=%d", u, grown, size-1, size), "", nil)
	public := page["entries"].([]any)[0].(map[string]any)
	var keys []string
	for k := range public {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if got, want := strings.Join(keys, ","), "action,at,commitment,data,hash,index,log"; got != want {
		t.Fatalf("a public leaf has fields %s, want only %s", got, want)
	}
	// The record behind the commitment, as its opening shows it.
	err = store.View(context.Background(), func(tx probity.ReadTx) error {
		return tx.Leaves(grown, size-1, size, func(e *probity.AuditEntry) error {
			if e.Invalid != "" || e.Public().Data != public["data"] {
				t.Fatalf("leaf %d: %s; stored %q, served %q", e.Index, e.Invalid, e.Data, public["data"])
			}
			public["actor"], public["purpose"], public["domain"], public["ref"], public["digest"] = e.Actor, e.Purpose, e.Domain, e.Ref, e.Digest
			if e.Subject != nil {
				public["subject"] = e.Subject.String()
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return total, public
}

// TestEveryRouteLeavesATrace calls each route that changes state or reads
// personal data and checks that the log grew by its leaves, with the right
// action and purpose; routes that read no personal data add none.
func TestEveryRouteLeavesATrace(t *testing.T) {
	srv := startServer(t)
	u := srv.URL()
	events := `{"key":"k1","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-01-10","fields":{"amount":12000}}
{"key":"k2","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-02-10","fields":{"amount":100}}`
	call(t, "PUT", u+"/v1/domains/acme.lending", "application/yaml", lendingSpec(t))
	grantAll(t)
	v2 := strings.Replace(string(lendingSpec(t)), "name: ACME Bank consumer and business lending", "name: ACME Bank lending", 1)
	tests := []struct {
		name, method, path, body string
		leaves                   uint64
		action, purpose          string
	}{
		{"ApplySpec", "PUT", "/v1/domains/acme.lending", v2, 1, probity.ActionSpecApplied, ""},
		{"ApplySame", "PUT", "/v1/domains/acme.lending", v2, 0, "", ""},
		{"Events", "POST", "/v1/domains/acme.lending/events", events, 1, probity.ActionEventsAccepted, ""}, // one batch leaf
		{"EventsAgain", "POST", "/v1/domains/acme.lending/events", events, 0, "", ""},
		{"EventsRejected", "POST", "/v1/domains/acme.lending/events", `{"key":"x","type":"nope"}`, 0, "", ""},
		{"Score", "POST", "/v1/domains/acme.lending/scores", `{"subject":"` + alice + `","purpose":"credit_application"}`, 1, probity.ActionScoreRead, "credit_application"},
		{"Decision", "POST", "/v1/domains/acme.lending/decisions", `{"subject":"` + alice + `","benefit":"deposit_waived","purpose":"account_review"}`, 1, probity.ActionDecisionRead, "account_review"},
		{"ScoreRefused", "POST", "/v1/domains/acme.lending/scores", `{"subject":"` + alice + `","purpose":"gossip"}`, 1, probity.ActionAccessDenied, ""},
		{"CreatePrincipal", "POST", "/v1/principals", `{"name":"clerk","grants":[{"role":"reader","domain":"acme.lending"}]}`, 1, probity.ActionPrincipalCreated, ""},
		{"CreatePrincipalDenied", "POST", "/v1/principals", `{"name":"clerk","grants":[{"role":"operator"}]}`, 1, probity.ActionAccessDenied, ""},
		{"ReportNotASubject", "GET", "/v1/me/report", "", 1, probity.ActionAccessDenied, ""},
		{"OptOutNotASubject", "POST", "/v1/me/opt-outs", `{"domain":"acme.lending"}`, 1, probity.ActionAccessDenied, ""},
		{"Domains", "GET", "/v1/domains", "", 0, "", ""},
		{"Domain", "GET", "/v1/domains/acme.lending", "", 0, "", ""},
		{"Health", "GET", "/healthz", "", 0, "", ""},
		{"Entries", "GET", "/v1/audit/entries?start=0", "", 0, "", ""},
		{"Key", "GET", "/v1/audit/key", "", 0, "", ""},
	}
	before, _ := logSize(t, u)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			call(t, tt.method, u+tt.path, contentTypeOf(tt.method, tt.path), []byte(tt.body))
			size, last := logSize(t, u)
			if got := size - before; got != tt.leaves {
				t.Fatalf("%s %s added %d leaves, want %d", tt.method, tt.path, got, tt.leaves)
			}
			if tt.leaves > 0 {
				purpose, _ := last["purpose"].(string)
				if last["action"] != tt.action || purpose != tt.purpose || !strings.Contains(last["actor"].(string), "lending desk") {
					t.Fatalf("last leaf %v, want action %s purpose %q by the lending desk", last, tt.action, tt.purpose)
				}
				if strings.Contains(fmt.Sprint(last), alice[7:]) {
					t.Fatal("a leaf carries the raw identifier")
				}
			}
			before = size
		})
	}
}

// TestAuditRoutes checks the published log: entries, proofs that verify
// against the signed checkpoint, and clear errors.
func TestAuditRoutes(t *testing.T) {
	srv := startServer(t)
	u := srv.URL()
	call(t, "PUT", u+"/v1/domains/acme.lending", "application/yaml", lendingSpec(t))
	grantAll(t)
	call(t, "POST", u+"/v1/domains/acme.lending/events", "application/x-ndjson", []byte(`{"key":"k1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-01-10","fields":{"amount":12000}}`))
	_, keyBody := call(t, "GET", u+"/v1/audit/key?format=json", "", nil)
	verifier, err := audit.NewVerifier(keyBody["key"].(string))
	if err != nil {
		t.Fatal(err)
	}
	_, cp := call(t, "GET", u+"/v1/audit/checkpoint?format=json", "", nil)
	signed, err := audit.OpenCheckpoint([]byte(cp["note"].(string)), note.VerifierList(verifier))
	// The installation log: two keys, the operator, the lending desk.
	if err != nil || signed.Size != 4 || !strings.HasSuffix(signed.Origin, "/_installation") {
		t.Fatalf("checkpoint: %v, %+v; want a signed checkpoint of 4 leaves of the installation log", err, signed)
	}
	_, page := call(t, "GET", u+"/v1/audit/entries?start=0&end=100", "", nil)
	entries := page["entries"].([]any)
	if len(entries) != 4 {
		t.Fatalf("entries = %d, want 4", len(entries))
	}
	// The domain's log: the spec and the event, under its own origin.
	_, dcp := call(t, "GET", u+"/v1/audit/checkpoint?format=json&log=acme.lending", "", nil)
	if ds, err := audit.OpenCheckpoint([]byte(dcp["note"].(string)), audit.KeyVerifiers{}); err == nil {
		t.Fatalf("a domain checkpoint opened without its key: %+v", ds)
	}
	_, dkey := call(t, "GET", u+"/v1/audit/key?format=json&log=acme.lending", "", nil)
	dv, err := audit.NewVerifier(dkey["key"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if ds, err := audit.OpenCheckpoint([]byte(dcp["note"].(string)), note.VerifierList(dv)); err != nil || ds.Size != 2 || !strings.HasSuffix(ds.Origin, "/acme.lending") {
		t.Fatalf("the domain log's checkpoint: %v, %+v; want 2 leaves under origin .../acme.lending", err, ds)
	}
	for i, e := range entries {
		data := e.(map[string]any)["data"].(string)
		hash, _ := base64.StdEncoding.DecodeString(e.(map[string]any)["hash"].(string))
		_, proof := call(t, "GET", fmt.Sprintf("%s/v1/audit/proofs/inclusion?index=%d&size=%d", u, i, signed.Size), "", nil)
		if err := audit.VerifyInclusion(uint64(i), signed.Size, audit.HashLeaf([]byte(data)), decodeHashes(t, proof), signed.Root); err != nil {
			t.Fatalf("leaf %d: inclusion: %v", i, err)
		}
		if string(audit.HashLeaf([]byte(data))) != string(hash) {
			t.Fatalf("leaf %d: served hash is not the hash of its data", i)
		}
	}
	_, cons := call(t, "GET", u+"/v1/audit/proofs/consistency?from=2&to=4", "", nil)
	root2 := rootAt(t, u, 2)
	if err := audit.VerifyConsistency(2, 4, decodeHashes(t, cons), root2, signed.Root); err != nil {
		t.Fatalf("consistency 2 -> 4: %v", err)
	}
	resp, err := http.Get(u + "/v1/audit/checkpoint")
	if err != nil || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Fatalf("note format: %v %v", err, resp.Header)
	}
	resp.Body.Close()
	if status, body := call(t, "GET", u+"/v1/audit/checkpoint?log=no.such-log", "", nil); status != 404 || !strings.Contains(errMessage(body), "GET /logs") {
		t.Errorf("an unknown log = %d %v, want 404 naming where the logs are listed", status, body)
	}
	for _, path := range []string{"/v1/audit/proofs/inclusion?index=4&size=4", "/v1/audit/proofs/inclusion?index=0", "/v1/audit/proofs/consistency?from=3&to=19", "/v1/audit/entries?start=x"} {
		if status, body := call(t, "GET", u+path, "", nil); status != 400 || errCode(body) != "invalid" {
			t.Errorf("GET %s = %d %v, want 400 invalid", path, status, body)
		}
	}
}

// rootAt recomputes the root of the first size leaves from the entries.
func rootAt(t *testing.T, u string, size uint64) []byte {
	t.Helper()
	_, page := call(t, "GET", fmt.Sprintf("%s/v1/audit/entries?start=0&end=%d", u, size), "", nil)
	var tree audit.Tree
	for _, e := range page["entries"].([]any) {
		tree.Append(audit.HashLeaf([]byte(e.(map[string]any)["data"].(string))))
	}
	root, err := tree.Root(size)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func decodeHashes(t *testing.T, proof map[string]any) [][]byte {
	t.Helper()
	var out [][]byte
	hashes, _ := proof["hashes"].([]any)
	for _, h := range hashes {
		b, err := base64.StdEncoding.DecodeString(h.(string))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}
