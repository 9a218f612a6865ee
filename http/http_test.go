package http_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/bureau"
	"github.com/probity-dev/probity/bureau/bureautest"
	phttp "github.com/probity-dev/probity/http"
	"github.com/probity-dev/probity/metrics"
	"github.com/probity-dev/probity/sqlstore"
	"github.com/probity-dev/probity/storetest"
)

const alice = "cn-rid:11010519491231002X"

// bearer is the token call sends; svc the services of the last server
// started. Tests in this package run one after another.
var (
	bearer string
	svc    *bureau.Bureau
	store  probity.Store
	// logSigner signs the logs of the server startServer started.
	logSigner *audit.Signer
)

// local is the command line's context, which may do anything.
func local() context.Context {
	return probity.NewContextWithActor(context.Background(), probity.Actor{ID: "test", Local: true})
}

// issue creates a principal with the grants and returns its token.
func issue(tb testing.TB, name string, government bool, grants ...probity.Grant) string {
	tb.Helper()
	t, err := svc.CreatePrincipal(local(), probity.PrincipalRequest{Name: name, Government: government, Grants: grants})
	if err != nil {
		tb.Fatal(err)
	}
	return t.Token
}

// grantAll makes call use a token that administers, reports to and reads
// acme.lending.
func grantAll(tb testing.TB) {
	tb.Helper()
	bearer = issue(tb, "lending desk", false, probity.Grant{Role: probity.RoleAdmin, Domain: "acme.lending"},
		probity.Grant{Role: probity.RoleReporter, Domain: "acme.lending"}, probity.Grant{Role: probity.RoleReader, Domain: "acme.lending"})
}

// startServer starts the real server on 127.0.0.1:0 over a fresh store,
// and makes call use an operator's token.
func startServer(tb testing.TB) *phttp.Server {
	tb.Helper()
	dir := tb.TempDir()
	db, err := storetest.OpenDir(tb, context.Background(), dir)
	if err != nil {
		tb.Fatal(err)
	}
	srv, _ := serveOver(tb, dir, db, nil, phttp.DefaultRate)
	bearer = issue(tb, "operator", false, probity.Grant{Role: probity.RoleOperator})
	return srv
}

// serveOver is the one fixture every server of these tests is built by:
// the installation's keys in dir, a bureau over db, initialised, and the
// real server on 127.0.0.1:0 logging to logger (nil: nowhere) with rate
// per principal (0: no limit). It points the package's svc, store and
// logSigner at them, and closes server and store when the test ends.
func serveOver(tb testing.TB, dir string, db probity.Store, logger *slog.Logger, rate float64) (*phttp.Server, *audit.Signer) {
	tb.Helper()
	var signer *audit.Signer
	svc, signer = bureautest.New(tb, dir, db)
	bearer, store, lastSizes, logSigner = "", db, nil, signer
	srv := phttp.NewServer(svc, logger)
	srv.Rate = rate
	if sdb, ok := db.(*sqlstore.DB); ok {
		m := metrics.New(svc, sdb)
		svc.SetObserver(m)
		sdb.Observer = m
		srv.Metrics = m
	}
	if err := srv.Open("127.0.0.1:0"); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		srv.Close(context.Background())
		db.Close()
	})
	return srv, signer
}

// call sends a request with the test's bearer token, if any, and decodes
// the JSON answer (see send).
func call(tb testing.TB, method, url, contentType string, body []byte) (int, map[string]any) {
	tb.Helper()
	auth := ""
	if bearer != "" {
		auth = "Bearer " + bearer
	}
	return send(tb, auth, method, url, contentType, string(body))
}

func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func errMessage(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	s, _ := e["message"].(string)
	return s
}

func lendingSpec(tb testing.TB) []byte {
	tb.Helper()
	buf, err := os.ReadFile("../examples/domains/acme-lending.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return buf
}

func TestAPI(t *testing.T) {
	srv := startServer(t)
	u := srv.URL()
	if status, body := call(t, "GET", u+"/healthz", "", nil); status != 200 || body["status"] != "ok" {
		t.Fatalf("healthz = %d %v", status, body)
	}
	if status, body := call(t, "GET", u+"/readyz", "", nil); status != 200 || body["status"] != "ready" ||
		fmt.Sprint(body["checks"]) != "map[keys:ok migrations:ok store:ok]" {
		t.Fatalf("readyz = %d %v; want 200 ready, store, migrations and keys ok", status, body)
	}
	if status, body := call(t, "PUT", u+"/v1/domains/acme.lending", "application/yaml", lendingSpec(t)); status != 201 || body["version"].(float64) != 1 {
		t.Fatalf("PUT spec = %d %v, want 201 version 1", status, body)
	}
	if status, body := call(t, "PUT", u+"/v1/domains/acme.lending", "application/yaml", lendingSpec(t)); status != 200 || body["changed"] != false {
		t.Fatalf("PUT same spec = %d %v, want 200 unchanged", status, body)
	}
	grantAll(t)
	if status, body := call(t, "GET", u+"/v1/domains", "", nil); status != 200 || len(body["domains"].([]any)) != 1 {
		t.Fatalf("GET domains = %d %v", status, body)
	}
	status, body := call(t, "GET", u+"/v1/domains/acme.lending", "", nil)
	if status != 200 || body["owner"] != "ACME Bank" || body["version"].(float64) != 1 || len(body["versions"].([]any)) != 1 {
		t.Fatalf("GET domain = %d %v", status, body)
	}
	events := `{"key":"k1","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-01-10","fields":{"amount":12000}}
{"key":"k2","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-02-10","fields":{"amount":100}}
`
	if status, body := call(t, "POST", u+"/v1/domains/acme.lending/events", "application/x-ndjson", []byte(events)); status != 200 || body["accepted"].(float64) != 2 {
		t.Fatalf("POST events = %d %v, want 2 accepted", status, body)
	}
	array := `[{"key":"k1","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-01-10","fields":{"amount":12000}}]`
	if status, body := call(t, "POST", u+"/v1/domains/acme.lending/events", "application/json", []byte(array)); status != 200 || body["duplicates"].(float64) != 1 {
		t.Fatalf("POST array = %d %v, want 1 duplicate", status, body)
	}
	status, body = call(t, "POST", u+"/v1/domains/acme.lending/scores", "application/json", []byte(`{"subject":"`+alice+`","purpose":"credit_application"}`))
	if status != 200 || body["status"] != "rated" || body["score"] == nil {
		t.Fatalf("POST scores = %d %v, want rated", status, body)
	}
	for _, k := range []string{"grade", "reasons", "contributions", "pending", "projection"} {
		if _, ok := body[k]; !ok {
			t.Errorf("score lacks %q", k)
		}
	}
	status, body = call(t, "POST", u+"/v1/domains/acme.lending/decisions", "application/json", []byte(`{"subject":"`+alice+`","benefit":"standard_credit","purpose":"credit_application"}`))
	if status != 200 || body["allowed"] != true || body["grade"] == "" {
		t.Fatalf("POST decisions = %d %v, want allowed", status, body)
	}
}

func TestAPIErrors(t *testing.T) {
	srv := startServer(t)
	u := srv.URL()
	call(t, "PUT", u+"/v1/domains/acme.lending", "application/yaml", lendingSpec(t))
	grantAll(t)
	badSpec := strings.Replace(string(lendingSpec(t)), "category: finance", "category: social", 1)
	tests := []struct {
		name, method, path, body string
		status                   int
		code, want               string
	}{
		{"ErrUnknownDomain", "GET", "/v1/domains/none.such", "", 404, "not_found", "none.such"},
		{"ErrSpecInvalid", "PUT", "/v1/domains/acme.lending", badSpec, 400, "invalid", "category"},
		{"ErrSpecOtherDomain", "PUT", "/v1/domains/other.bank", string(lendingSpec(t)), 403, "forbidden", "admin role in domain other.bank"},
		{"ErrBadEvents", "POST", "/v1/domains/acme.lending/events", `{"key":"x","type":"nope"}`, 400, "invalid", "nothing was applied"},
		{"ErrScoreUnknownField", "POST", "/v1/domains/acme.lending/scores", `{"subject":"` + alice + `","name":"x"}`, 400, "invalid", "unknown field"},
		{"ErrScoreNoSubject", "POST", "/v1/domains/acme.lending/scores", `{"purpose":"collection"}`, 400, "invalid", "subject: required"},
		{"ErrScoreBadAsOf", "POST", "/v1/domains/acme.lending/scores", `{"subject":"` + alice + `","as_of":"yesterday","purpose":"collection"}`, 400, "invalid", "as_of"},
		{"ErrScoreBadPurpose", "POST", "/v1/domains/acme.lending/scores", `{"subject":"` + alice + `","purpose":"marketing"}`, 400, "invalid", "purpose"},
		{"ErrScoreNotJSON", "POST", "/v1/domains/acme.lending/scores", `subject=x`, 400, "invalid", "request body"},
		{"ErrScoreTooLarge", "POST", "/v1/domains/acme.lending/scores", `{"subject":"` + strings.Repeat("x", phttp.MaxRequestBytes) + `"}`, 413, "too_large", "exceeds"},
		{"ErrDecisionUnknownBenefit", "POST", "/v1/domains/acme.lending/decisions", `{"subject":"` + alice + `","benefit":"free_money","purpose":"account_review"}`, 400, "invalid", "deposit_waived"},
		{"ErrNoRoute", "GET", "/v1/nothing", "", 404, "not_found", "no route"},
		{"ErrUnknownDomainBeforeRole", "POST", "/v1/domains/acme.lendin/scores", `{"subject":"` + alice + `","purpose":"collection"}`, 404, "not_found", `no domain "acme.lendin"`},
		{"ErrMethod", "DELETE", "/v1/domains/acme.lending", "", 405, "method_not_allowed", "allowed: GET, PUT, HEAD"},
		{"ErrSkipInvalidNotBool", "POST", "/v1/domains/acme.lending/events?skip_invalid=maybe", `{}`, 400, "invalid", "skip_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, tt.method, u+tt.path, contentTypeOf(tt.method, tt.path), []byte(tt.body))
			if status != tt.status || errCode(body) != tt.code || !strings.Contains(errMessage(body), tt.want) {
				t.Fatalf("%s %s = %d %v, want %d %s containing %q", tt.method, tt.path, status, body, tt.status, tt.code, tt.want)
			}
		})
	}
	t.Run("Allow", func(t *testing.T) {
		req, _ := http.NewRequest("PATCH", u+"/v1/principals", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, POST, HEAD" {
			t.Fatalf("PATCH /v1/principals = %d, Allow %q; want 405, Allow: GET, POST, HEAD", resp.StatusCode, resp.Header.Get("Allow"))
		}
	})
	t.Run("BadEventsSummary", func(t *testing.T) {
		status, body := call(t, "POST", u+"/v1/domains/acme.lending/events", "application/x-ndjson",
			[]byte(`{"key":"ok","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-01-10","fields":{"amount":1}}`+"\n"+`{"key":"x","type":"nope"}`))
		sum, _ := body["summary"].(map[string]any)
		if status != 400 || sum == nil || sum["rejected"].(float64) != 1 || sum["applied"] != false {
			t.Fatalf("= %d %v, want 400 with a summary of 1 rejected, not applied", status, body)
		}
		line := sum["errors"].([]any)[0].(map[string]any)["line"].(float64)
		if line != 2 {
			t.Fatalf("error line = %v, want 2", line)
		}
	})
}

// TestEventsTooLarge checks that an upload over the limit is refused with
// 413, like every other body, whether its length is announced or not.
func TestEventsTooLarge(t *testing.T) {
	srv := startServer(t)
	srv.MaxEventBytes = 4096
	call(t, "PUT", srv.URL()+"/v1/domains/acme.lending", "application/yaml", lendingSpec(t))
	grantAll(t)
	line := `{"key":"k","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-01-10","fields":{"amount":1}}` + "\n"
	body := bytes.Repeat([]byte(line), 100)
	status, resp := call(t, "POST", srv.URL()+"/v1/domains/acme.lending/events", "application/x-ndjson", body)
	if status != 413 || errCode(resp) != "too_large" {
		t.Fatalf("with Content-Length: %d %v, want 413 too_large", status, resp)
	}
	req, _ := http.NewRequest("POST", srv.URL()+"/v1/domains/acme.lending/events", io.MultiReader(bytes.NewReader(body)))
	req.ContentLength = -1 // chunked: the limit is found while reading
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != 413 {
		t.Fatalf("chunked: status %d, want 413", resp2.StatusCode)
	}
}
