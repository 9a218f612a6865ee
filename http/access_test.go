package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	phttp "github.com/probity-dev/probity/http"
	"github.com/probity-dev/probity/sqlstore"
	"github.com/probity-dev/probity/storetest"
)

// TestAuthorizationAdminSeesOwnDomain checks that a domain's admin lists
// and revokes only principals whose every grant is in that domain, while
// the operator and the auditor list them all.
func TestAuthorizationAdminSeesOwnDomain(t *testing.T) {
	srv, _ := startServerWith(t, nil, 0)
	applyDomains(t)
	grant := func(role, domain string) probity.Grant { return probity.Grant{Role: role, Domain: domain} }
	tokens := map[string]string{
		"operator":    issue(t, "operator", false, grant(probity.RoleOperator, "")),
		"auditor":     issue(t, "auditor", false, grant(probity.RoleAuditor, "")),
		"lending adm": issue(t, "lending adm", false, grant(probity.RoleAdmin, lending)),
		"lending rdr": issue(t, "lending rdr", false, grant(probity.RoleReader, lending)),
		"tax rdr":     issue(t, "tax rdr", false, grant(probity.RoleReader, tax)),
		"both rdr":    issue(t, "both rdr", false, grant(probity.RoleReader, lending), grant(probity.RoleReader, tax)),
	}
	if _, err := svc.IssueSubjectToken(local(), probity.SubjectTokenRequest{Subject: alice}); err != nil {
		t.Fatal(err)
	}
	all := []string{"auditor", "both rdr", "lending adm", "lending rdr", "operator", "subject", "tax rdr"}
	for _, tt := range []struct {
		caller string
		want   []string
	}{
		{"operator", all},
		{"auditor", all},
		{"lending adm", []string{"lending adm", "lending rdr"}},
	} {
		status, body := send(t, "Bearer "+tokens[tt.caller], "GET", srv.URL()+"/v1/principals", "", "")
		var got []string
		for _, p := range body["principals"].([]any) {
			got = append(got, p.(map[string]any)["name"].(string))
		}
		slices.Sort(got)
		if status != 200 || !slices.Equal(got, tt.want) {
			t.Errorf("GET /v1/principals as %s = %d %v, want 200 %v", tt.caller, status, got, tt.want)
		}
	}
	ids := map[string]string{}
	ps, err := svc.Principals(local())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		ids[p.Name] = p.ID
	}
	for _, tt := range []struct {
		target string
		status int
	}{{"both rdr", 403}, {"tax rdr", 403}, {"auditor", 403}, {"subject", 403}, {"lending rdr", 200}} {
		if status, body := send(t, "Bearer "+tokens["lending adm"], "DELETE", srv.URL()+"/v1/principals/"+ids[tt.target], "", ""); status != tt.status {
			t.Errorf("DELETE %s as the lending admin = %d %v, want %d", tt.target, status, body, tt.status)
		}
	}
}

// TestP10GovernmentPrincipals checks that a government body can be given
// roles in tax and judicial domains only, and that a refusal cites the rule.
func TestP10GovernmentPrincipals(t *testing.T) {
	srv, _ := startServerWith(t, nil, 0)
	applyDomains(t)
	operator := "Bearer " + issue(t, "operator", false, probity.Grant{Role: probity.RoleOperator})
	tests := []struct {
		name, grants string
		status       int
		want         []string
	}{
		{"ErrFinanceDomain", `[{"role":"reader","domain":"` + lending + `"}]`, 403, []string{"P10", "tax or judicial", lending}},
		{"ErrFinanceAmongTax", `[{"role":"reader","domain":"` + tax + `"},{"role":"reporter","domain":"` + lending + `"}]`, 403, []string{"P10", lending}},
		{"ErrInstallationAuditor", `[{"role":"auditor"}]`, 403, []string{"P10", "tax or judicial", "auditor"}},
		{"ErrInstallationOperator", `[{"role":"operator"}]`, 403, []string{"P10", "operator"}},
		{"OK", `[{"role":"reader","domain":"` + tax + `"}]`, 201, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "tax office " + tt.name
			status, body := send(t, operator, "POST", srv.URL()+"/v1/principals", "application/json",
				`{"name":"`+name+`","government":true,"grants":`+tt.grants+`}`)
			if status != tt.status {
				t.Fatalf("= %d %v, want %d", status, body, tt.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(errMessage(body), w) {
					t.Errorf("message %q does not cite %q", errMessage(body), w)
				}
			}
			_, list := send(t, operator, "GET", srv.URL()+"/v1/principals", "", "")
			if got, want := strings.Contains(fmt.Sprint(list), name), tt.status == 201; got != want {
				t.Errorf("principal %q listed: %v, want %v", name, got, want)
			}
		})
	}
}

// TestDeniedAttemptIsAudited checks that each refused attempt adds one
// access.denied leaf to the public log naming who tried what, and that the
// leaf carries neither the identifier asked about nor the token presented.
func TestDeniedAttemptIsAudited(t *testing.T) {
	srv, _ := startServerWith(t, nil, 0)
	u := srv.URL()
	applyDomains(t)
	taxToken := issue(t, "tax desk", false, probity.Grant{Role: probity.RoleReader, Domain: tax})
	planted := "prb_PLANTEDTOKEN4242_" + strings.Repeat("cd", 32)
	tests := []struct {
		name, auth, actor, domain, ref string
	}{
		{"OtherDomain", "Bearer " + taxToken, "tax desk", lending, "reading scores"},
		{"NoToken", "", "anonymous", lending, "reading scores"},
		{"MalformedToken", "Bearer " + planted, "anonymous", "", "authenticate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := logSize(t, u)
			status, _ := send(t, tt.auth, "POST", u+"/v1/domains/"+lending+"/scores", "application/json",
				`{"subject":"`+alice+`","purpose":"credit_application"}`)
			if status != 401 && status != 403 {
				t.Fatalf("status %d, want a denial", status)
			}
			size, leaf := logSize(t, u)
			if got := size - before; got != 1 {
				t.Fatalf("the denial added %d leaves, want 1", got)
			}
			domain, _ := leaf["domain"].(string)
			if leaf["action"] != "access.denied" || domain != tt.domain || leaf["ref"] != tt.ref ||
				!strings.Contains(leaf["actor"].(string), tt.actor) {
				t.Fatalf("leaf %v, want %s by %q in %q of %q", leaf, "access.denied", tt.actor, tt.domain, tt.ref)
			}
			raw, _ := json.Marshal(leaf)
			for _, secret := range []string{alice, alice[7:], strings.ToLower(alice[7:]), taxToken, taxToken[len(taxToken)-64:], "PLANTEDTOKEN", planted[len(planted)-64:]} {
				if strings.Contains(string(raw), secret) {
					t.Errorf("the leaf %s carries %q", raw, secret)
				}
			}
		})
	}
}

// startServerWith starts the real server like startServer, logging to
// logger, with rate limit rate (0: none, so that the table's hundreds of
// calls from one address are not throttled). It returns the store too, for
// a test to close under the running server.
func startServerWith(tb testing.TB, logger *slog.Logger, rate float64) (*phttp.Server, *sqlstore.DB) {
	tb.Helper()
	return startClockedServer(tb, logger, rate, nil)
}

// startServerAt starts the real server like startServerWith, without a
// rate limit, its store's transactions at the time clock says.
func startServerAt(tb testing.TB, clock *testClock) *phttp.Server {
	tb.Helper()
	srv, _ := startClockedServer(tb, nil, 0, clock)
	return srv
}

// testClock is a time a test sets between the requests it makes to a
// running server. Safe for concurrent use.
type testClock struct{ ns atomic.Int64 }

func newTestClock(t time.Time) *testClock {
	c := &testClock{}
	c.set(t)
	return c
}

func (c *testClock) now() time.Time  { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) set(t time.Time) { c.ns.Store(t.UnixNano()) }

// startClockedServer starts the real server over a fresh store whose
// transactions take their time from clock, if not nil.
func startClockedServer(tb testing.TB, logger *slog.Logger, rate float64, clock *testClock) (*phttp.Server, *sqlstore.DB) {
	tb.Helper()
	dir := tb.TempDir()
	db, err := storetest.OpenDir(tb, context.Background(), dir)
	if err != nil {
		tb.Fatal(err)
	}
	if clock != nil {
		db.Now = clock.now
	}
	srv, _ := serveOver(tb, dir, db, logger, rate)
	return srv, db
}

// send makes one request with the Authorization header auth ("" for none)
// and decodes the JSON answer.
func send(tb testing.TB, auth, method, url, contentType, body string) (int, map[string]any) {
	tb.Helper()
	resp, raw := sendRaw(tb, auth, method, url, contentType, body)
	var out map[string]any
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode == 200 && (strings.HasPrefix(ct, "text/plain") || ct == "application/octet-stream" || ct == "application/statuslist+jwt") {
		return resp.StatusCode, map[string]any{"text": string(raw)} // a signed note, a key, a tile
	}
	if err := json.Unmarshal(bytes.TrimSpace(raw), &out); err != nil {
		tb.Fatalf("%s %s: status %d, body %q is not a JSON object", method, url, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// TestSubjectReadsOwnRecord: a subject token reads its own subject's score in
// any domain, logged with the purpose subject_access, and nobody else's.
func TestSubjectReadsOwnRecord(t *testing.T) {
	srv := startServer(t)
	call(t, "PUT", srv.URL()+"/v1/domains/acme.lending", "application/yaml", lendingSpec(t))
	st, err := svc.IssueSubjectToken(local(), probity.SubjectTokenRequest{Subject: alice})
	if err != nil {
		t.Fatal(err)
	}
	bearer = st.Token
	if status, body := call(t, "POST", srv.URL()+"/v1/domains/acme.lending/scores", "application/json", []byte(`{"subject":"`+alice+`"}`)); status != 200 || body["status"] == nil {
		t.Fatalf("own score: %d %v", status, body)
	}
	size, last := logSize(t, srv.URL())
	if last["action"] != probity.ActionScoreRead || last["purpose"] != "subject_access" || size == 0 {
		t.Fatalf("last leaf %v, want a score.read with purpose subject_access", last)
	}
	if status, _ := call(t, "POST", srv.URL()+"/v1/domains/acme.lending/scores", "application/json", []byte(`{"subject":"person:someone-else","purpose":"collection"}`)); status != 403 {
		t.Fatalf("another subject's score: %d, want 403", status)
	}
}

// sendRaw sends a request, with auth as its Authorization header and body
// of contentType (either may be empty), and returns the answer and its
// bytes, read whole.
func sendRaw(tb testing.TB, auth, method, url, contentType, body string) (*http.Response, []byte) {
	tb.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp, raw
}
