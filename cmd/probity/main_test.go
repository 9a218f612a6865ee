package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a command writing while a test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// run runs the CLI in-process and returns its output and error.
func run(tb testing.TB, env map[string]string, stdin string, args ...string) (string, string, error) {
	tb.Helper()
	var stdout, stderr syncBuffer
	m := &Main{Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr,
		Getenv: testGetenv(tb, env, args)}
	err := m.Run(context.Background(), args)
	return stdout.String(), stderr.String(), err
}

func mustRun(tb testing.TB, args ...string) string {
	tb.Helper()
	out, errOut, err := run(tb, nil, "", args...)
	if err != nil {
		tb.Fatalf("probity %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func writeFile(tb testing.TB, dir, name, content string) string {
	tb.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

const (
	lendingSpec = "../../examples/domains/acme-lending.yaml"
	rentSpec    = "../../examples/domains/city-rent-utilities.yaml"
	alice       = "cn-rid:11010519491231002X"
	acmeCo      = "uscc:91350100M000100Y43"
)

func TestDomainApply(t *testing.T) {
	data := t.TempDir()
	out := mustRun(t, "domain", "apply", "--data", data, lendingSpec)
	if !strings.HasPrefix(out, "acme.lending version 1 in effect since ") {
		t.Fatalf("apply printed %q, want id, version and time", out)
	}
	out = mustRun(t, "domain", "apply", lendingSpec, "--data", data) // flags after the file work too
	if !strings.Contains(out, "version 1") || !strings.Contains(out, "unchanged") {
		t.Fatalf("re-apply printed %q, want version 1 unchanged", out)
	}
	if info, err := os.Stat(filepath.Join(data, "master.key")); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("master key: %v, mode %v; want 0600", err, info.Mode().Perm())
	}
	t.Run("JSON", func(t *testing.T) {
		json := strings.ReplaceAll(`{"id":"x.json","name":"N","owner":"O","category":"finance","legal_basis":"L","lawful_basis":"contract",
		"subjects":["person"],"opt_out":"allowed","notice":"0d","dispute_sla":"30d","purposes":["review"],
		"score":{"base":600,"min":300,"max":900,"min_events":1},"grades":[{"grade":"A","min":300}],
		"events":[{"type":"paid","basis":"repayment","points":"1.0","code":"P1","reason":"Paid"}]}`, "\n", "")
		path := writeFile(t, t.TempDir(), "spec.json", json)
		if out := mustRun(t, "domain", "apply", "--data", data, path); !strings.HasPrefix(out, "x.json version 1") {
			t.Fatalf("apply JSON printed %q", out)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		spec, _ := os.ReadFile(lendingSpec)
		bad := strings.Replace(string(spec), "basis: repayment", "basis: gossip", 1)
		_, _, err := run(t, nil, bad, "domain", "apply", "--data", data, "-")
		if err == nil || !strings.Contains(oneLine(err), "events[0].basis") {
			t.Fatalf("err = %v, want the path events[0].basis", err)
		}
	})
	t.Run("ErrNoFile", func(t *testing.T) {
		if _, _, err := run(t, nil, "", "domain", "apply", "--data", data); err == nil {
			t.Fatal("no error without a spec file")
		}
	})
}

func TestIngestCommand(t *testing.T) {
	data := t.TempDir()
	mustRun(t, "domain", "apply", "--data", data, lendingSpec)
	dir := t.TempDir()
	good := writeFile(t, dir, "good.ndjson", `{"key":"k1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-01-10","fields":{"amount":12000}}
{"key":"k2","type":"payment_late","subject":"`+alice+`","occurred_at":"2026-01-10","fields":{"days_late":95}}
`)
	out := mustRun(t, "ingest", "--data", data, "--domain", "acme.lending", good)
	if !strings.Contains(out, "accepted 2, duplicates 0, rejected 0; applied") {
		t.Fatalf("ingest printed %q", out)
	}
	if out := mustRun(t, "ingest", "--data", data, "--domain", "acme.lending", good); !strings.Contains(out, "accepted 0, duplicates 2") {
		t.Fatalf("second ingest printed %q, want 2 duplicates", out)
	}
	bad := writeFile(t, dir, "bad.csv", "key,type,subject,occurred_at,cures,amount\nc1,loan_repaid,"+acmeCo+",2025-01-10,,5000\nc2,loan_repaid,uscc:91350100M000100Y44,2025-01-10,,5000\nk1,loan_repaid,"+alice+",2025-01-10,,1\n")
	out, _, err := run(t, nil, "", "ingest", "--data", data, "--domain", "acme.lending", bad)
	if err == nil {
		t.Fatal("ingest of a bad file succeeded")
	}
	for _, want := range []string{"line 3 (key c2): subject:", "line 4 (key k1): key \"k1\" already holds a different event", "NOT applied"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	score := mustRun(t, "score", "--data", data, "--domain", "acme.lending", "--subject", acmeCo, "--json", "--purpose", "account_review")
	if strings.Contains(score, "c1") {
		t.Fatal("a line of a rejected input was applied")
	}
	out = mustRun(t, "ingest", "--data", data, "--domain", "acme.lending", "--skip-invalid", bad)
	if !strings.Contains(out, "accepted 1, duplicates 0, rejected 2; applied") {
		t.Fatalf("--skip-invalid printed %q", out)
	}
	t.Run("Stdin", func(t *testing.T) {
		out, _, err := run(t, map[string]string{"PROBITY_DATA": data}, `{"key":"s1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-03-10","fields":{"amount":1}}`, "ingest", "--domain", "acme.lending", "-")
		if err != nil || !strings.Contains(out, "accepted 1") {
			t.Fatalf("stdin ingest with PROBITY_DATA = %q, %v", out, err)
		}
	})
	t.Run("ErrNoDomain", func(t *testing.T) {
		if _, _, err := run(t, nil, "", "ingest", "--data", data, good); err == nil || !strings.Contains(err.Error(), "--domain") {
			t.Fatalf("err = %v, want --domain is required", err)
		}
	})
}

func TestScoreCommand(t *testing.T) {
	data := t.TempDir()
	mustRun(t, "domain", "apply", "--data", data, lendingSpec)
	late := time.Now().UTC().AddDate(0, 0, -5).Truncate(24 * time.Hour)
	events := writeFile(t, t.TempDir(), "e.ndjson", `{"key":"k1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-01-10","fields":{"amount":12000}}
{"key":"k0","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-02-10","fields":{"amount":100}}
{"key":"k2","type":"payment_late","subject":"`+alice+`","occurred_at":"2025-11-10","fields":{"days_late":95}}
{"key":"k3","type":"payment_late","subject":"`+alice+`","occurred_at":"`+late.Format(time.DateOnly)+`","fields":{"days_late":10}}
`)
	mustRun(t, "ingest", "--data", data, "--domain", "acme.lending", events)
	out := mustRun(t, "score", "--data", data, "--domain", "acme.lending", "--subject", alice, "--json", "--purpose", "account_review")
	var s map[string]any
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("--json printed %q: %v", out, err)
	}
	for _, k := range []string{"status", "score", "grade", "reasons", "contributions", "pending", "projection"} {
		if _, ok := s[k]; !ok {
			t.Errorf("--json lacks %q", k)
		}
	}
	if s["status"] != "rated" || s["reasons"].([]any)[0].(map[string]any)["code"] != "L01" {
		t.Fatalf("score = %v, want rated with reason L01", s)
	}
	human := mustRun(t, "score", "--data", data, "--domain", "acme.lending", "--subject", alice, "--purpose", "account_review")
	for _, want := range []string{"status: rated", "Adverse reasons", "L01", "Pending entries", "counts from " + late.AddDate(0, 0, 30).Format(time.DateOnly), "Projection"} {
		if !strings.Contains(human, want) {
			t.Errorf("human output lacks %q:\n%s", want, human)
		}
	}
	future := mustRun(t, "score", "--data", data, "--domain", "acme.lending", "--subject", alice, "--as-of", late.AddDate(0, 0, 40).Format(time.RFC3339), "--json", "--purpose", "account_review")
	if !strings.Contains(future, `"pending": []`) {
		t.Errorf("as of after the grace period the late payment still pending:\n%s", future)
	}
	unrated := mustRun(t, "score", "--data", data, "--domain", "acme.lending", "--subject", "person:someone-new", "--json", "--purpose", "account_review")
	if !strings.Contains(unrated, `"status": "unrated"`) || !strings.Contains(unrated, `"score": null`) {
		t.Fatalf("unrated subject printed %s", unrated)
	}
	for _, args := range [][]string{
		{"--subject", alice},
		{"--domain", "acme.lending", "--subject", "cn-rid:1"},
		{"--domain", "acme.lending", "--subject", alice, "--as-of", "soon"},
		{"--domain", "no.such", "--subject", alice},
	} {
		if _, _, err := run(t, nil, "", append([]string{"score", "--data", data, "--purpose", "account_review"}, args...)...); err == nil {
			t.Errorf("score %v succeeded, want an error", args)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, cmd := range [][]string{{"demo"}, {"domain", "apply"}, {"ingest"}, {"score"}, {"serve"}, {"bench"}, {"migrate"}} {
		out, _, err := run(t, nil, "", append(cmd, "-h")...)
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out, "Usage: probity "+cmd[0]) || !strings.Contains(out, "-data") {
			t.Errorf("%v -h = %v, %q; want usage with flags", cmd, err, out)
		}
		if n := strings.Count(out, "Usage: probity "+cmd[0]); n != 1 {
			t.Errorf("%v -h printed its usage %d times, want once", cmd, n)
		}
	}
	if _, _, err := run(t, nil, "", "frobnicate"); err == nil {
		t.Error("an unknown command succeeded")
	}
	if _, _, err := run(t, nil, "", "score", "--bogus"); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("unknown flag: %v", err)
	}
}

// TestDisputeCommands: file a dispute, see it in the queue, resolve it; the
// entry stops counting, then is retracted.
func TestDisputeCommands(t *testing.T) {
	data := t.TempDir()
	mustRun(t, "domain", "apply", "--data", data, lendingSpec)
	mustRun(t, "ingest", "--data", data, "--domain", "acme.lending", writeFile(t, t.TempDir(), "e.ndjson",
		`{"key":"late","type":"payment_late","subject":"`+alice+`","occurred_at":"2025-06-01","fields":{"days_late":95}}`+"\n"))
	var d map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, "dispute", "file", "--data", data, "--domain", "acme.lending", "--subject", alice, "--key", "late", "--reason", "paid on time", "--json")), &d); err != nil {
		t.Fatal(err)
	}
	id, _ := d["id"].(string)
	if list := mustRun(t, "dispute", "list", "--data", data, "--domain", "acme.lending"); !strings.Contains(list, id) {
		t.Fatalf("queue lacks %s:\n%s", id, list)
	}
	if score := mustRun(t, "score", "--data", data, "--domain", "acme.lending", "--subject", alice, "--json"); !strings.Contains(score, `"suspended": [
    {`) {
		t.Fatalf("the disputed entry still counts:\n%s", score)
	}
	if out := mustRun(t, "dispute", "resolve", "--data", data, "--domain", "acme.lending", "--outcome", "upheld", id); !strings.Contains(out, "upheld") {
		t.Fatalf("resolve printed %q", out)
	}
	if score := mustRun(t, "score", "--data", data, "--domain", "acme.lending", "--subject", alice, "--json"); strings.Contains(score, `"key": "late"`) {
		t.Fatalf("the retracted entry is still shown:\n%s", score)
	}
	if _, _, err := run(t, nil, "", "dispute", "resolve", "--data", data, "--domain", "acme.lending", "--outcome", "rejected", id); err == nil {
		t.Fatal("a resolved dispute was resolved again")
	}
	if out := mustRun(t, "dispute", "figures", "--data", data, "--domain", "acme.lending"); !strings.Contains(out, "1 filed") || !strings.Contains(out, "1 upheld") {
		t.Fatalf("figures printed %q", out)
	}
	mustRun(t, "audit", "verify", "--data", data)
}

// TestConsentCommands: grant, then revoke, a consent at the command line.
func TestConsentCommands(t *testing.T) {
	data := t.TempDir()
	mustRun(t, "domain", "apply", "--data", data, lendingSpec)
	mustRun(t, "domain", "apply", "--data", data, "../../examples/domains/city-rent-utilities.yaml")
	var g map[string]any
	out := mustRun(t, "consent", "grant", "--data", data, "--subject", alice, "--domain", "acme.lending", "--grantee", "city.rent-utilities",
		"--purpose", "tenancy_application", "--until", "2030-01-01", "--json")
	if err := json.Unmarshal([]byte(out), &g); err != nil || g["id"] == nil {
		t.Fatalf("grant printed %q: %v", out, err)
	}
	if out := mustRun(t, "consent", "read", "--data", data, "--subject", alice, "--domain", "acme.lending", "--purpose", "tenancy_application"); !strings.Contains(out, "under consent "+g["id"].(string)) {
		t.Fatalf("read printed %q", out)
	}
	if out := mustRun(t, "consent", "revoke", "--data", data, "--subject", alice, "--domain", "acme.lending", g["id"].(string)); !strings.Contains(out, "revoked") {
		t.Fatalf("revoke printed %q", out)
	}
	if _, _, err := run(t, nil, "", "consent", "read", "--data", data, "--subject", alice, "--domain", "acme.lending", "--purpose", "tenancy_application"); err == nil {
		t.Fatal("a read under a revoked consent succeeded")
	}
	if _, _, err := run(t, nil, "", "consent", "grant", "--data", data, "--subject", alice, "--domain", "acme.lending", "--grantee", "city.rent-utilities",
		"--purpose", "credit_application", "--until", "2030-01-01"); err == nil {
		t.Fatal("a grant for a purpose the grantee does not have succeeded")
	}
	mustRun(t, "audit", "verify", "--data", data)
}

// TestOrderAndCorrectCommands: a court order at the command line restricts
// once in force and lifts when fulfilled; a correction supersedes an entry.
func TestOrderAndCorrectCommands(t *testing.T) {
	data := t.TempDir()
	mustRun(t, "domain", "apply", "--data", data, lendingSpec)
	mustRun(t, "domain", "apply", "--data", data, "../../examples/domains/district-court.yaml")
	out := mustRun(t, "order", "issue", "--data", data, "--domain", "court.civil-judgments", "--subject", alice, "--citation", "case 17",
		"--restriction", "no_new_credit", "--ends", time.Now().AddDate(1, 0, 0).Format(time.DateOnly))
	id := strings.Fields(out)[1]
	id = strings.TrimSuffix(id, ":")
	if got := mustRun(t, "order", "check", "--data", data, "--subject", alice, "--restriction", "no_new_credit"); !strings.Contains(got, "not restricted") {
		t.Fatalf("check printed %q, want not restricted before the 10-day notice runs out", got)
	}
	if _, _, err := run(t, nil, "", "order", "issue", "--data", data, "--domain", "court.civil-judgments", "--subject", alice, "--citation", "case 18",
		"--restriction", "no_new_credit", "--ends", "2027-01-01", "--notice", "0d"); err == nil {
		t.Fatal("an order without notice was accepted")
	}
	mustRun(t, "order", "fulfilled", "--data", data, "--domain", "court.civil-judgments", id)
	if got := mustRun(t, "order", "check", "--data", data, "--subject", alice, "--restriction", "no_new_credit"); !strings.Contains(got, "not restricted") {
		t.Fatalf("after fulfilment: %q", got)
	}
	mustRun(t, "ingest", "--data", data, "--domain", "acme.lending", writeFile(t, t.TempDir(), "e.ndjson",
		`{"key":"late","type":"payment_late","subject":"`+alice+`","occurred_at":"2025-06-01","fields":{"days_late":95}}`+"\n"))
	fix := writeFile(t, t.TempDir(), "fix.ndjson", `{"key":"late-fixed","type":"payment_late","subject":"`+alice+`","occurred_at":"2025-06-01","fields":{"days_late":9}}`+"\n")
	if got := mustRun(t, "correct", "--data", data, "--domain", "acme.lending", "--key", "late", "--reason", "9 days, not 95", fix); !strings.Contains(got, "late corrected by late-fixed") {
		t.Fatalf("correct printed %q", got)
	}
	mustRun(t, "audit", "verify", "--data", data)
}
