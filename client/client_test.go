package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/bureau/bureautest"
	"github.com/probity-dev/probity/client"
	phttp "github.com/probity-dev/probity/http"
	"github.com/probity-dev/probity/http/openapitest"
	"github.com/probity-dev/probity/storetest"
)

const (
	alice   = "cn-rid:11010519491231002X"
	lending = "acme.lending"
)

// TestMain checks every request of these tests, and its answer, against
// the OpenAPI document the client is written to.
func TestMain(m *testing.M) {
	contract, err := openapitest.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	http.DefaultTransport = contract.Transport(http.DefaultTransport)
	code := m.Run()
	if faults, checked := contract.Faults(); len(faults) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d of %d requests and answers disagree with http/openapi.yaml:\n  %s\n", len(faults), checked, strings.Join(faults, "\n  "))
		code = 1
	}
	os.Exit(code)
}

// serve starts the real server over a fresh store and returns its URL and
// an operator's token.
func serve(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	db, err := storetest.OpenDir(t, context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	svc, _ := bureautest.New(t, dir, db)
	op, err := svc.CreatePrincipal(bureautest.Local(), probity.PrincipalRequest{Name: "operator", Grants: []probity.Grant{{Role: probity.RoleOperator}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := phttp.NewServer(svc, nil)
	srv.Rate = 0
	if err := srv.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close(context.Background())
		db.Close()
	})
	return srv.URL(), op.Token
}

// TestClient drives a real server through the client as an institution,
// a subject and an auditor would, every call checked against the
// document by TestMain.
func TestClient(t *testing.T) {
	ctx := context.Background()
	url, opToken := serve(t)
	op := client.New(url, opToken)
	spec, err := os.ReadFile("../examples/domains/acme-lending.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if res, err := op.ApplySpec(ctx, lending, spec); err != nil || res.Version != 1 {
		t.Fatalf("ApplySpec = %+v, %v", res, err)
	}
	issued, err := op.CreatePrincipal(ctx, probity.PrincipalRequest{Name: "lending desk", Grants: []probity.Grant{
		{Role: probity.RoleReporter, Domain: lending}, {Role: probity.RoleReader, Domain: lending}, {Role: probity.RoleReviewer, Domain: lending}}})
	if err != nil || issued.Token == "" {
		t.Fatalf("CreatePrincipal = %+v, %v", issued, err)
	}
	desk := client.New(url, issued.Token)

	events := `{"key":"k1","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-01-10","fields":{"amount":12000}}
{"key":"k2","type":"payment_late","subject":"` + alice + `","occurred_at":"2025-02-10","fields":{"days_late":45}}`
	if sum, err := desk.Ingest(ctx, lending, []byte(events), "", false); err != nil || sum.Accepted != 2 {
		t.Fatalf("Ingest = %+v, %v", sum, err)
	}
	t.Run("ErrIngestRefusedWhole", func(t *testing.T) {
		_, err := desk.Ingest(ctx, lending, []byte(events+"\n"+`{"key":"k3","type":"nope"}`), "", false)
		var e *client.Error
		if !errors.As(err, &e) || e.Status != 400 || probity.ErrorCode(err) != probity.EINVALID || e.Summary == nil ||
			e.Summary.Rejected != 1 || e.Summary.Applied || len(e.Summary.Errors) != 1 || e.Summary.Errors[0].Line != 3 || e.RequestID == "" {
			t.Fatalf("Ingest of a file with a bad line 3 = %#v; want a 400 problem with the summary naming line 3 and the request id", err)
		}
	})
	score, err := desk.Score(ctx, probity.ScoreRequest{Domain: lending, Subject: alice, Purpose: "account_review"})
	if err != nil || score.Status != probity.StatusRated || score.Score == nil {
		t.Fatalf("Score = %+v, %v", score, err)
	}
	if d, err := desk.Decide(ctx, probity.DecisionRequest{Domain: lending, Subject: alice, Benefit: "deposit_waived", Purpose: "account_review"}); err != nil || d.Score != *score.Score {
		t.Fatalf("Decide = %+v, %v; want the score %d", d, err, *score.Score)
	}

	st, err := op.IssueSubjectToken(ctx, probity.SubjectTokenRequest{Subject: alice})
	if err != nil {
		t.Fatal(err)
	}
	me := client.New(url, st.Token)
	report, err := me.Report(ctx, 0)
	if err != nil || len(report.Domains) != 1 || len(report.Domains[0].Entries) != 2 || len(report.Domains[0].Inquiries) < 2 {
		t.Fatalf("Report = %+v, %v; want one domain with 2 entries and the desk's inquiries", report, err)
	}
	if _, err := me.Notices(ctx); err != nil {
		t.Fatal(err)
	}
	dispute, err := me.FileDispute(ctx, probity.DisputeRequest{Domain: lending, EventKey: "k2", Reason: "I paid on time"})
	if err != nil || dispute.Status != "open" {
		t.Fatalf("FileDispute = %+v, %v", dispute, err)
	}
	if ds, err := desk.Disputes(ctx, lending); err != nil || len(ds) != 1 || ds[0].ID != dispute.ID {
		t.Fatalf("Disputes = %+v, %v", ds, err)
	}
	if e, err := desk.DisputedEntry(ctx, lending, dispute.ID); err != nil || e.Type != "payment_late" || e.ReportedBy == "" || len(e.History) != 2 {
		t.Fatalf("DisputedEntry = %+v, %v", e, err)
	}
	if d, err := desk.ResolveDispute(ctx, lending, dispute.ID, probity.Resolution{Outcome: "rejected", Reason: "the bank's records show 45 days"}); err != nil || d.Status != "rejected" {
		t.Fatalf("ResolveDispute = %+v, %v", d, err)
	}
	if f, err := client.New(url, "").Figures(ctx, lending); err != nil || f.Domain != lending || f.Subjects.N+boolInt(f.Subjects.Suppressed) == 0 {
		t.Fatalf("Figures = %+v, %v", f, err)
	}
	if f, err := client.New(url, "").DisputeFigures(ctx, lending); err != nil || f.Filed != 1 || f.Rejected != 1 {
		t.Fatalf("DisputeFigures = %+v, %v", f, err)
	}
	if st, err := me.OptOut(ctx, lending); err != nil || !st.OptedOut {
		t.Fatalf("OptOut = %+v, %v", st, err)
	}
	if st, err := me.OptIn(ctx, lending); err != nil || st.OptedOut {
		t.Fatalf("OptIn = %+v, %v", st, err)
	}

	t.Run("Audit", func(t *testing.T) {
		public := client.New(url, "")
		logs, err := public.Logs(ctx)
		if err != nil || len(logs) != 2 {
			t.Fatalf("Logs = %+v, %v", logs, err)
		}
		cp, err := public.Checkpoint(ctx, lending)
		if err != nil || cp.Size == 0 {
			t.Fatalf("Checkpoint = %+v, %v", cp, err)
		}
		note, err := public.LogCheckpoint(ctx, lending)
		if err != nil || !strings.Contains(string(note), "/"+lending) {
			t.Fatalf("LogCheckpoint = %q, %v", note, err)
		}
		entries, _, err := public.Entries(ctx, lending, 0, cp.Size)
		if err != nil || uint64(len(entries)) != cp.Size {
			t.Fatalf("Entries = %d, %v; want %d", len(entries), err, cp.Size)
		}
		if _, err := public.InclusionProof(ctx, lending, 0, cp.Size); err != nil {
			t.Fatal(err)
		}
		if _, err := public.ConsistencyProof(ctx, lending, 1, cp.Size); err != nil {
			t.Fatal(err)
		}
		if key, err := public.Key(ctx, lending); err != nil || key != logs[1].Key && key != logs[0].Key {
			t.Fatalf("Key = %q, %v; want a key GET /logs lists", key, err)
		}
		if _, err := public.Tile(ctx, lending, "tile/entries/000.p/1"); err != nil {
			t.Fatal(err)
		}
		if _, err := public.Tile(ctx, lending, "tile/0/999"); probity.ErrorCode(err) != probity.ENOTFOUND {
			t.Fatalf("a tile past the log = %v; want not_found", err)
		}
		if b, err := op.Openings(ctx, lending, 0, 10); err != nil || len(b.Openings) == 0 {
			t.Fatalf("Openings = %+v, %v", b, err)
		}
	})
	t.Run("Principals", func(t *testing.T) {
		ps, err := op.Principals(ctx)
		if err != nil || len(ps) < 3 {
			t.Fatalf("Principals = %d, %v", len(ps), err)
		}
		if p, err := op.RevokePrincipal(ctx, issued.Principal.ID); err != nil || p.RevokedAt.IsZero() {
			t.Fatalf("RevokePrincipal = %+v, %v", p, err)
		}
		if _, err := desk.Score(ctx, probity.ScoreRequest{Domain: lending, Subject: alice, Purpose: "account_review"}); probity.ErrorCode(err) != probity.EUNAUTHORIZED {
			t.Fatalf("a revoked token's score = %v; want unauthorized", err)
		}
	})
}

// TestRetry: a creating call answered 503 is sent again after the
// Retry-After with the same Idempotency-Key, so it applies at most once;
// a read that the server may have logged is not sent again.
func TestRetry(t *testing.T) {
	var mu sync.Mutex
	keys := map[string][]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys[r.URL.Path] = append(keys[r.URL.Path], r.Header.Get("Idempotency-Key"))
		n := len(keys[r.URL.Path])
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "0")
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(503)
			fmt.Fprint(w, `{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"storage unavailable","code":"unavailable","error":{"code":"unavailable","message":"storage unavailable"}}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		fmt.Fprint(w, `{"principal":{"id":"p1","name":"desk","government":false,"grants":[],"created_at":"2026-01-01T00:00:00Z","created_by":"op"},"token":"prb_x"}`)
	}))
	defer srv.Close()
	c := client.New(srv.URL, "t")
	c.HTTP = &http.Client{Transport: &http.Transport{}} // not the document's checker: this server is a stand-in
	if _, err := c.CreatePrincipal(context.Background(), probity.PrincipalRequest{Name: "desk"}); err != nil {
		t.Fatal(err)
	}
	if k := keys["/v1/principals"]; len(k) != 2 || k[0] == "" || k[0] != k[1] {
		t.Fatalf("CreatePrincipal sent Idempotency-Keys %q; want the same key twice", k)
	}
	_, err := c.Score(context.Background(), probity.ScoreRequest{Domain: lending, Subject: alice})
	var e *client.Error
	if !errors.As(err, &e) || e.Status != 503 || probity.ErrorCode(err) != probity.EUNAVAILABLE || len(keys["/v1/domains/acme.lending/scores"]) != 1 {
		t.Fatalf("Score answered 503 = %v after %d requests; want the 503, sent once", err, len(keys["/v1/domains/acme.lending/scores"]))
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
