package http_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/eventfile"
	phttp "github.com/probity-dev/probity/http"
)

// The two domains of the authorization tests, and the company rated in the
// tax domain (which rates organisations only).
const (
	lending = "acme.lending"
	tax     = "gov.tax-compliance"
	company = "uscc:91350100M000100Y43"
)

// The callers of the authorization table.
const (
	cNone        = "no token"
	cBasic       = "Basic credentials"
	cMalformed   = "malformed token"
	cUnknown     = "unknown token"
	cRevoked     = "revoked token"
	cExpired     = "expired token"
	cOperator    = "operator"
	cAuditor     = "auditor"
	cAdmin       = "admin of " + lending
	cReporter    = "reporter of " + lending
	cReader      = "reader of " + lending
	cReviewer    = "reviewer of " + lending
	cOtherDomain = "reader of " + tax + " only"
	cOtherStaff  = "admin, reporter and reviewer of " + tax
	cGovernment  = "government reader of " + tax
	cClerk       = "reporter of " + court
	cSubject     = "another subject's token"
)

// someone is the subject of the callers' subject token. Besides
// applyDomains', the matrix applies the court (privacy_test.go's court),
// which issues court orders, and the consent-based rent (rent), whose
// subjects may have their records erased.
const someone = "person:someone-else"

// caller is one row of the table's other axis: an Authorization header and,
// for a credential that must be refused, what its 401 says.
type caller struct {
	name    string
	auth    string // the Authorization header; "" sends none
	refused string // a bad credential: what the 401 message names
}

// authzRoute is one row of the table: a request to one of the server's
// routes. Callers in allowed get status, callers in also their own answer
// (a refusal after authorization, such as a reader without the subject's
// consent); everyone else is refused: 401 without a valid token, 403 with
// one.
type authzRoute struct {
	name              string
	method            string
	path              func(tb testing.TB) string
	contentType, body string
	public            bool     // everyone holding no bad credential gets status
	allowed           []string // callers allowed on a protected route
	status            int
	needs             []string // what a denial's message names
	also              map[string]int
}

// want is the status caller c must get.
func (r authzRoute) want(c caller) int {
	switch {
	case c.refused != "":
		return http.StatusUnauthorized
	case r.public || slices.Contains(r.allowed, c.name):
		return r.status
	case r.also[c.name] != 0:
		return r.also[c.name]
	case c.auth == "":
		return http.StatusUnauthorized
	}
	return http.StatusForbidden
}

// unsaid returns what a 401 or 403 message should name but does not.
func (r authzRoute) unsaid(c caller, msg string) []string {
	needs := r.needs
	switch {
	case c.refused != "":
		needs = []string{c.refused}
	case c.auth == "":
		needs = append([]string{"bearer token"}, needs...)
	case r.also[c.name] != 0:
		return nil // a refusal of its own, tested where its route is
	}
	var out []string
	for _, n := range needs {
		if !strings.Contains(msg, n) {
			out = append(out, fmt.Sprintf("%q", n))
		}
	}
	return out
}

// TestAuthorization calls every route of the server's own route table as
// every caller and checks each status against the policy of issue 4:
// public routes serve anyone without a bad credential; each protected route
// only its roles; a bad credential is refused everywhere; each denial says
// what is missing. A route without a row, or whose rows no caller gets
// past its authorization, fails the test: no route ships unguarded.
func TestAuthorization(t *testing.T) {
	srv, _ := startServerWith(t, nil, 0)
	callers := authzCallers(t, func(t *testing.T, name string, government bool, grants ...probity.Grant) string {
		return "Bearer " + issue(t, name, government, grants...)
	})
	ctx := local()
	expiring, err := svc.CreatePrincipal(ctx, probity.PrincipalRequest{Name: "expiring reader",
		Grants: []probity.Grant{{Role: probity.RoleReader, Domain: lending}}, ExpiresAt: time.Now().Add(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := svc.CreatePrincipal(ctx, probity.PrincipalRequest{Name: "revoked reader",
		Grants: []probity.Grant{{Role: probity.RoleReader, Domain: lending}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RevokePrincipal(ctx, revoked.Principal.ID); err != nil {
		t.Fatal(err)
	}
	// The subject token is another subject's: it may read only its own
	// record (TestSubjectReadsOwnRecord), never alice's.
	subject, err := svc.IssueSubjectToken(ctx, probity.SubjectTokenRequest{Subject: someone})
	if err != nil {
		t.Fatal(err)
	}
	callers = append(callers,
		caller{cMalformed, "Bearer prb_not-a-token", "malformed token"},
		caller{cUnknown, "Bearer prb_0011223344556677_" + strings.Repeat("ab", 32), "not recognised"},
		caller{cRevoked, "Bearer " + revoked.Token, "token revoked"},
		caller{cExpired, "Bearer " + expiring.Token, "expired"},
		caller{cSubject, "Bearer " + subject.Token, ""})
	time.Sleep(time.Until(expiring.Principal.ExpiresAt) + 50*time.Millisecond)
	checkAuthorization(t, srv, callers)
}

// checkAuthorization is the matrix of TestAuthorization: every row of
// authzRoutes as every caller.
func checkAuthorization(t *testing.T, srv *phttp.Server, callers []caller) {
	t.Helper()
	routes := authzRoutes(t)
	table := patternOf(srv)
	rows, served := map[string]int{}, map[string]bool{}
	var wrong, unsaid, unrouted []string
	for _, r := range routes {
		for i, c := range callers {
			path := r.path(t)
			pattern := table(r.method, path)
			if i == 0 {
				if pattern == "" {
					unrouted = append(unrouted, r.name)
				}
				rows[pattern]++
			}
			status, body := send(t, c.auth, r.method, srv.URL()+path, r.contentType, r.body)
			if status == r.want(c) && status != http.StatusUnauthorized && status != http.StatusForbidden {
				served[pattern] = true
			}
			if want := r.want(c); status != want {
				kind := "wrong status"
				if want >= 400 && status < 400 {
					kind = "UNEXPECTED ALLOW"
				} else if want < 400 && status >= 400 {
					kind = "unexpected denial"
				} else if (want == 401 || want == 403) && status != 401 && status != 403 {
					kind = "answered before authorizing"
				}
				wrong = append(wrong, fmt.Sprintf("%-58s as %-40s = %d, want %d: %s (%s)", r.name, c.name, status, want, kind, errMessage(body)))
				continue
			}
			if status == http.StatusUnauthorized || status == http.StatusForbidden {
				if missing := r.unsaid(c, errMessage(body)); len(missing) > 0 {
					unsaid = append(unsaid, fmt.Sprintf("%-58s as %-40s: %q lacks %s", r.name, c.name, errMessage(body), strings.Join(missing, ", ")))
				}
			}
		}
	}
	t.Logf("table: %d rows over %d routes x %d callers = %d calls", len(routes), len(srv.Routes()), len(callers), len(routes)*len(callers))
	if len(unrouted) > 0 {
		t.Errorf("%d rows call no route of the server:\n%s", len(unrouted), strings.Join(unrouted, "\n"))
	}
	for _, pattern := range srv.Routes() {
		switch {
		case rows[pattern] == 0:
			t.Errorf("route %q has no row in the authorization matrix: add one to authzRoutes saying who may call it", pattern)
		case !served[pattern]:
			t.Errorf("route %q: no caller of its %d rows gets past its authorization; add a row a caller is allowed", pattern, rows[pattern])
		}
	}
	if len(wrong) > 0 {
		t.Errorf("%d of %d calls got the wrong status:\n%s", len(wrong), len(routes)*len(callers), strings.Join(wrong, "\n"))
	}
	if len(unsaid) > 0 {
		t.Errorf("%d denials do not say what is missing:\n%s", len(unsaid), strings.Join(unsaid, "\n"))
	}
}

// tokenMaker creates a principal with grants and returns the
// Authorization header of a token that stands for it.
type tokenMaker func(t *testing.T, name string, government bool, grants ...probity.Grant) string

// authzCallers applies the two domains of applyDomains, the court and
// rent, lets the tax domain's readers see someone's lending score, and
// returns the callers with no credential or a bad one of no kind, and one
// of each role with a token from mk. The callers with bad tokens of mk's
// kind, and the subject, are the caller's to add.
func authzCallers(t *testing.T, mk tokenMaker) []caller {
	t.Helper()
	ctx := local()
	applyDomains(t)
	for _, name := range []string{"district-court", "city-rent-utilities"} {
		if _, err := svc.ApplySpec(ctx, "", exampleSpec(t, name)); err != nil {
			t.Fatal(err)
		}
	}
	// someone lets the tax domain's readers see their lending score
	if _, err := svc.GrantConsent(ctx, probity.ConsentRequest{Subject: someone, Domain: lending, Grantee: tax,
		Purpose: "credit_application", Until: "2030-01-01"}); err != nil {
		t.Fatal(err)
	}
	callers := []caller{
		{cNone, "", ""},
		{cBasic, "Basic b3BlcmF0b3I6c2VjcmV0", "Bearer"},
		{cOperator, mk(t, "operator", false, probity.Grant{Role: probity.RoleOperator}), ""},
		{cAuditor, mk(t, "auditor", false, probity.Grant{Role: probity.RoleAuditor}), ""},
	}
	for _, c := range []struct {
		name, role, domain string
		government         bool
	}{
		{cAdmin, probity.RoleAdmin, lending, false},
		{cReporter, probity.RoleReporter, lending, false},
		{cReader, probity.RoleReader, lending, false},
		{cReviewer, probity.RoleReviewer, lending, false},
		{cOtherDomain, probity.RoleReader, tax, false},
		{cGovernment, probity.RoleReader, tax, true},
		{cClerk, probity.RoleReporter, court, false},
	} {
		callers = append(callers, caller{c.name, mk(t, c.name, c.government, probity.Grant{Role: c.role, Domain: c.domain}), ""})
	}
	return append(callers, caller{cOtherStaff, mk(t, cOtherStaff, false, probity.Grant{Role: probity.RoleAdmin, Domain: tax},
		probity.Grant{Role: probity.RoleReporter, Domain: tax}, probity.Grant{Role: probity.RoleReviewer, Domain: tax}), ""})
}

// applyDomains applies acme.lending and gov.tax-compliance from the
// examples and reports a few events in each.
func applyDomains(tb testing.TB) {
	tb.Helper()
	for _, spec := range [][]byte{lendingSpec(tb), taxSpec(tb)} {
		if _, err := svc.ApplySpec(local(), "", spec); err != nil {
			tb.Fatal(err)
		}
	}
	ingest(tb, lending, lendingEvents)
	ingest(tb, tax, `{"key":"t1","type":"return_filed","subject":"`+company+`","occurred_at":"2025-01-15","fields":{"on_time":true}}
{"key":"t2","type":"tax_paid","subject":"`+company+`","occurred_at":"2025-01-20","fields":{"amount":5000}}
{"key":"t3","type":"return_filed","subject":"`+company+`","occurred_at":"2025-04-15","fields":{"on_time":true}}`)
}

const lendingEvents = `{"key":"k1","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-01-10","fields":{"amount":12000}}
{"key":"k2","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-02-10","fields":{"amount":100}}`

func ingest(tb testing.TB, domain, ndjson string) {
	tb.Helper()
	r, err := eventfile.NewReader(strings.NewReader(ndjson))
	if err != nil {
		tb.Fatal(err)
	}
	if sum, err := svc.Ingest(local(), domain, r, probity.IngestOptions{}); err != nil {
		tb.Fatalf("ingest %s: %v %+v", domain, err, sum)
	}
}
func taxSpec(tb testing.TB) []byte { return exampleSpec(tb, "national-tax") }

// exampleSpec reads examples/domains/name.yaml.
func exampleSpec(tb testing.TB, name string) []byte {
	tb.Helper()
	buf, err := os.ReadFile("../examples/domains/" + name + ".yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return buf
}

// patternOf returns what pattern of the server's own route table serves a
// request: the one its ServeMux would choose, or "" for none.
func patternOf(srv *phttp.Server) func(method, path string) string {
	mux := http.NewServeMux()
	for _, pattern := range srv.Routes() {
		mux.HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
	}
	return func(method, path string) string {
		_, pattern := mux.Handler(httptest.NewRequest(method, path, nil))
		return pattern
	}
}

// freshOrder returns the path of an order issued now against alice, made
// anew for each call so that each caller fulfils an order still in force.
func freshOrder(tb testing.TB) string {
	tb.Helper()
	o, err := svc.IssueOrder(local(), probity.OrderRequest{Domain: court, Subject: alice, Citation: "Springfield District Court, case 2026-17",
		Restrictions: []string{"no_new_credit"}, EndsAt: time.Now().AddDate(1, 0, 0).Format(time.DateOnly)})
	if err != nil {
		tb.Fatal(err)
	}
	return "/v1/domains/" + court + "/orders/" + o.ID + "/fulfilled"
}

// throwaway returns a path that revokes a fresh principal reading domain,
// made anew for each call so that each caller revokes a live one.
func throwaway(domain string) func(tb testing.TB) string {
	return func(tb testing.TB) string {
		tb.Helper()
		t, err := svc.CreatePrincipal(local(), probity.PrincipalRequest{Name: "throwaway",
			Grants: []probity.Grant{{Role: probity.RoleReader, Domain: domain}}})
		if err != nil {
			tb.Fatal(err)
		}
		return "/v1/principals/" + t.Principal.ID
	}
}
func fixed(path string) func(testing.TB) string { return func(testing.TB) string { return path } }

// authzRoutes is the matrix's rows: at least one for each route of the
// server's route table (TestAuthorization fails for a route without one),
// and a few error paths of protected routes: a caller without the role must
// be refused before the request is validated, so that it learns nothing and
// costs nothing.
func authzRoutes(tb testing.TB) []authzRoute {
	tb.Helper()
	role := func(r, domain string) string { return r + " role in domain " + domain }
	op, reader, taxReaders := []string{cOperator}, []string{cReader}, []string{cOtherDomain, cGovernment}
	opOrAdmin, opOrTaxAdmin := []string{cOperator, cAdmin}, []string{cOperator, cOtherStaff}
	anyReader := []string{cReader, cOtherDomain, cGovernment}
	clerk := []string{cClerk}
	orderBy := []string{role("reporter", court), role("admin", court)}
	nextYear := time.Now().AddDate(1, 0, 0).Format(time.DateOnly)
	brokenSpec := strings.Replace(string(lendingSpec(tb)), "category: finance", "category: social", 1)
	jsonType := "application/json"
	pub := func(path string) authzRoute {
		return authzRoute{name: "GET " + path, method: "GET", path: fixed(path), public: true, status: 200}
	}
	return []authzRoute{
		pub("/healthz"),
		pub("/readyz"),
		pub("/v1/openapi.json"),
		{"GET /metrics", "GET", fixed("/metrics"), "", "", false, []string{cOperator, cAuditor}, 200, []string{"operator role", "auditor role"}, nil},
		pub("/v1/domains"),
		pub("/v1/domains/" + lending),
		pub("/v1/domains/" + tax),
		{"PUT /v1/domains/" + lending + " (same spec)", "PUT", fixed("/v1/domains/" + lending), "application/yaml", string(lendingSpec(tb)),
			false, opOrAdmin, 200, []string{"operator role", role("admin", lending)}, nil},
		{"PUT /v1/domains/" + lending + " (invalid spec)", "PUT", fixed("/v1/domains/" + lending), "application/yaml", brokenSpec,
			false, opOrAdmin, 400, []string{"operator role", role("admin", lending)}, nil},
		{"PUT /v1/domains/" + tax + " (same spec)", "PUT", fixed("/v1/domains/" + tax), "application/yaml", string(taxSpec(tb)),
			false, opOrTaxAdmin, 200, []string{"operator role", role("admin", tax)}, nil},
		{"POST /v1/domains/" + lending + "/events", "POST", fixed("/v1/domains/" + lending + "/events"), "application/x-ndjson", lendingEvents,
			false, []string{cReporter}, 200, []string{role("reporter", lending)}, nil},
		{"POST /v1/domains/" + lending + "/events (bad CSV header)", "POST", fixed("/v1/domains/" + lending + "/events"), "text/csv", "key,kind\nk1,x\n",
			false, []string{cReporter}, 400, []string{role("reporter", lending)}, nil},
		{"POST /v1/domains/" + tax + "/events", "POST", fixed("/v1/domains/" + tax + "/events"), "application/x-ndjson",
			`{"key":"t9","type":"tax_paid","subject":"` + company + `","occurred_at":"2025-05-01","fields":{"amount":1}}`,
			false, []string{cOtherStaff}, 200, []string{role("reporter", tax)}, nil},
		{"POST /v1/domains/" + lending + "/scores", "POST", fixed("/v1/domains/" + lending + "/scores"), jsonType,
			`{"subject":"` + alice + `","purpose":"credit_application"}`, false, reader, 200, []string{role("reader", lending)}, nil},
		{"POST /v1/domains/" + lending + "/scores (no subject)", "POST", fixed("/v1/domains/" + lending + "/scores"), jsonType,
			`{"purpose":"credit_application"}`, false, reader, 400, []string{role("reader", lending)}, nil},
		{"POST /v1/domains/" + tax + "/scores", "POST", fixed("/v1/domains/" + tax + "/scores"), jsonType,
			`{"subject":"` + company + `","purpose":"tax_audit_selection"}`, false, taxReaders, 200, []string{role("reader", tax)}, nil},
		{"POST /v1/domains/" + lending + "/decisions", "POST", fixed("/v1/domains/" + lending + "/decisions"), jsonType,
			`{"subject":"` + alice + `","benefit":"deposit_waived","purpose":"account_review"}`, false, reader, 200, []string{role("reader", lending)}, nil},
		{"POST /v1/domains/" + lending + "/decisions (no benefit)", "POST", fixed("/v1/domains/" + lending + "/decisions"), jsonType,
			`{"subject":"` + alice + `","purpose":"account_review"}`, false, reader, 400, []string{role("reader", lending)}, nil},
		{"POST /v1/domains/" + tax + "/decisions", "POST", fixed("/v1/domains/" + tax + "/decisions"), jsonType,
			`{"subject":"` + company + `","benefit":"public_procurement","purpose":"procurement_eligibility"}`, false, taxReaders, 200, []string{role("reader", tax)}, nil},
		pub("/v1/audit/checkpoint"),
		pub("/v1/audit/entries?start=0&end=10"),
		pub("/v1/audit/proofs/inclusion?index=0&size=1"),
		pub("/v1/audit/proofs/consistency?from=1&to=2"),
		pub("/v1/audit/key"),
		{"GET /v1/audit/openings", "GET", fixed("/v1/audit/openings?limit=5"), "", "",
			false, []string{cOperator, cAuditor}, 200, []string{"operator role", "auditor role"}, nil},
		{"GET /v1/audit/openings?domain=" + lending, "GET", fixed("/v1/audit/openings?domain=" + lending + "&limit=5"), "", "",
			false, []string{cOperator, cAuditor, cAdmin}, 200, []string{"operator role", "auditor role", role("admin", lending)}, nil},
		{"GET /v1/me/report", "GET", fixed("/v1/me/report"), "", "",
			false, []string{cSubject}, 200, []string{"subject's own token"}, nil},
		{"GET /v1/me/export", "GET", fixed("/v1/me/export"), "", "",
			false, []string{cSubject}, 200, []string{"subject's own token"}, nil},
		{"GET /v1/me/notices", "GET", fixed("/v1/me/notices"), "", "",
			false, []string{cSubject}, 200, []string{"subject's own token"}, nil},
		{"POST /v1/me/opt-outs", "POST", fixed("/v1/me/opt-outs"), jsonType, `{"domain":"` + lending + `"}`,
			false, []string{cSubject}, 200, []string{"subject's own token"}, nil},
		{"DELETE /v1/me/opt-outs/{domain}", "DELETE", fixed("/v1/me/opt-outs/" + lending), "", "",
			false, []string{cSubject}, 200, []string{"subject's own token"}, nil},
		{"POST /v1/me/consents", "POST", fixed("/v1/me/consents"), jsonType, `{"domain":"` + lending + `","grantee":"` + tax + `","purpose":"credit_application","until":"2030-01-01"}`,
			false, []string{cSubject}, 201, []string{"subject's own token"}, nil},
		{"DELETE /v1/me/consents/{domain}/{unknown}", "DELETE", fixed("/v1/me/consents/" + lending + "/00000000deadbeef"), "", "",
			false, []string{cSubject}, 404, []string{"subject's own token"}, nil},
		{"POST /v1/me/statements", "POST", fixed("/v1/me/statements"), jsonType, `{"domain":"` + lending + `","claims":["grade"],"holder_key":` + holderJWK + `}`,
			false, []string{cSubject}, 201, []string{"subject's own token"}, nil},
		{"DELETE /v1/me/statements/{domain}/{unknown}", "DELETE", fixed("/v1/me/statements/" + lending + "/00000000deadbeef"), "", "",
			false, []string{cSubject}, 404, []string{"subject's own token"}, nil},
		{"POST /v1/me/disputes (not an entry of the subject)", "POST", fixed("/v1/me/disputes"), jsonType, `{"domain":"` + lending + `","key":"k1","reason":"not mine"}`,
			false, []string{cSubject}, 404, []string{"subject's own token"}, nil},
		pub("/v1/domains/" + lending + "/disputes/figures"),
		pub("/v1/domains/" + lending + "/figures"),
		pub("/statuslists/" + lending),
		pub("/.well-known/jwt-vc-issuer"),
		{"POST /v1/domains/{id}/corrections (unknown key)", "POST", fixed("/v1/domains/" + lending + "/corrections"), jsonType,
			`{"key":"no-such-key","reason":"typo","event":{"key":"fix-1","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-01-10","fields":{"amount":1}}}`,
			false, []string{cReporter}, 404, []string{role("reporter", lending)}, nil},
		{"POST /v1/domains/{id}/retractions (unknown key)", "POST", fixed("/v1/domains/" + lending + "/retractions"), jsonType, `{"key":"no-such-key","reason":"sent in error"}`,
			false, []string{cReporter}, 404, []string{role("reporter", lending)}, nil},
		{"GET /v1/domains/{id}/officials", "GET", fixed("/v1/domains/" + lending + "/officials"), "", "",
			false, []string{cAdmin}, 200, []string{role("admin", lending)}, nil},
		{"GET /v1/domains/{id}/disputes", "GET", fixed("/v1/domains/" + lending + "/disputes"), "", "",
			false, []string{cReviewer}, 200, []string{role("reviewer", lending)}, nil},
		{"GET /v1/domains/{id}/disputes/{unknown}/entry", "GET", fixed("/v1/domains/" + lending + "/disputes/00000000deadbeef/entry"), "", "",
			false, []string{cReviewer}, 404, []string{role("reviewer", lending)}, nil},
		{"POST /v1/domains/{id}/disputes/{unknown}/resolve", "POST", fixed("/v1/domains/" + lending + "/disputes/00000000deadbeef/resolve"), jsonType, `{"outcome":"upheld"}`,
			false, []string{cReviewer}, 404, []string{role("reviewer", lending)}, nil},
		{"POST /v1/principals (reader of " + lending + ")", "POST", fixed("/v1/principals"), jsonType,
			`{"name":"new reader","grants":[{"role":"reader","domain":"` + lending + `"}]}`, false, opOrAdmin, 201, []string{"operator role", role("admin", lending)}, nil},
		{"POST /v1/principals (reader of " + tax + ")", "POST", fixed("/v1/principals"), jsonType,
			`{"name":"new tax reader","grants":[{"role":"reader","domain":"` + tax + `"}]}`, false, opOrTaxAdmin, 201, []string{"operator role", role("admin", tax)}, nil},
		{"GET /v1/principals", "GET", fixed("/v1/principals"), "", "",
			false, []string{cOperator, cAuditor, cAdmin, cOtherStaff}, 200, []string{"operator role", "auditor role", "admin role"}, nil},
		{"DELETE /v1/principals/{reader of " + lending + "}", "DELETE", throwaway(lending), "", "",
			false, opOrAdmin, 200, []string{"operator role", role("admin", lending)}, nil},
		{"DELETE /v1/principals/{reader of " + tax + "}", "DELETE", throwaway(tax), "", "",
			false, opOrTaxAdmin, 200, []string{"operator role", role("admin", tax)}, nil},
		{"DELETE /v1/principals/{unknown}", "DELETE", fixed("/v1/principals/00000000deadbeef"), "", "",
			false, []string{cOperator, cAdmin, cOtherStaff}, 404, []string{"operator role", "admin role"}, nil},
		{"POST /v1/subject-tokens", "POST", fixed("/v1/subject-tokens"), jsonType,
			`{"subject":"` + alice + `"}`, false, op, 201, []string{"operator role"}, nil},
		{"POST /v1/domains/" + court + "/orders", "POST", fixed("/v1/domains/" + court + "/orders"), jsonType,
			`{"subject":"` + alice + `","citation":"Springfield District Court, case 2026-17","restrictions":["no_new_credit"],"ends_at":"` + nextYear + `"}`,
			false, clerk, 201, orderBy, nil},
		{"POST /v1/domains/" + court + "/orders (no citation)", "POST", fixed("/v1/domains/" + court + "/orders"), jsonType,
			`{"subject":"` + alice + `","restrictions":["no_new_credit"],"ends_at":"` + nextYear + `"}`,
			false, clerk, 400, orderBy, nil},
		{"POST /v1/domains/" + lending + "/orders (not a judicial domain)", "POST", fixed("/v1/domains/" + lending + "/orders"), jsonType,
			`{"subject":"` + alice + `","citation":"Springfield District Court, case 2026-17","restrictions":["no_new_credit"],"ends_at":"` + nextYear + `"}`,
			false, nil, 0, []string{role("reporter", lending), role("admin", lending)}, map[string]int{cReporter: 403, cAdmin: 403}},
		{"POST /v1/domains/" + court + "/orders/{order}/fulfilled", "POST", freshOrder, "", "",
			false, clerk, 200, []string{"lifting court orders", role("reporter", court)}, nil},
		{"POST /v1/domains/" + court + "/orders/{unknown}/fulfilled", "POST", fixed("/v1/domains/" + court + "/orders/00000000deadbeef/fulfilled"), "", "",
			false, clerk, 404, []string{role("reporter", court)}, nil},
		{"POST /v1/restrictions/check", "POST", fixed("/v1/restrictions/check"), jsonType,
			`{"subject":"` + alice + `","restriction":"no_new_credit","purpose":"credit_application"}`,
			false, anyReader, 200, []string{"reader role in a domain"}, nil},
		{"POST /v1/restrictions/check (no purpose)", "POST", fixed("/v1/restrictions/check"), jsonType,
			`{"subject":"` + alice + `","restriction":"no_new_credit"}`,
			false, anyReader, 400, []string{"reader role in a domain"}, nil},
		{"POST /v1/domains/" + lending + "/consented-scores", "POST", fixed("/v1/domains/" + lending + "/consented-scores"), jsonType,
			`{"subject":"` + someone + `","purpose":"credit_application"}`,
			false, taxReaders, 200, []string{"reader role in a domain"}, map[string]int{cReader: 403}},
		{"POST /v1/domains/" + lending + "/officials", "POST", fixed("/v1/domains/" + lending + "/officials"), jsonType,
			`{"subject":"person:mayor-0001","office":"mayor of Springfield","from":"2024-01-01"}`,
			false, []string{cAdmin}, 201, []string{role("admin", lending)}, nil},
		{"POST /v1/domains/" + lending + "/officials (no office)", "POST", fixed("/v1/domains/" + lending + "/officials"), jsonType,
			`{"subject":"person:mayor-0001","from":"2024-01-01"}`,
			false, []string{cAdmin}, 400, []string{role("admin", lending)}, nil},
		{"DELETE /v1/me/records/" + rent, "DELETE", fixed("/v1/me/records/" + rent), "", "",
			false, []string{cSubject}, 200, []string{"subject's own token"}, nil},
		{"DELETE /v1/me/records/" + lending + " (not consent-based)", "DELETE", fixed("/v1/me/records/" + lending), "", "",
			false, nil, 0, []string{"subject's own token"}, map[string]int{cSubject: 403}},
		pub("/logs"),
		pub("/logs/" + lending + "/checkpoint"),
		pub("/logs/" + lending + "/tile/0/000.p/1"),
		pub("/logs/" + lending + "/tile/entries/000.p/1"),
	}
}

// holderJWK is RFC 8037's example Ed25519 public key: a key a subject
// holds, to which a statement is bound.
const holderJWK = `{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`
