package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/bureau"
	"github.com/probity-dev/probity/bureau/bureautest"
	"github.com/probity-dev/probity/eventfile"
	phttp "github.com/probity-dev/probity/http"
	"github.com/probity-dev/probity/storetest"
	"github.com/probity-dev/probity/web"
)

const alice = "cn-rid:11010519491231002X"

// fixture is a running server with one domain, a subject with a record,
// and the tokens of each kind of user.
type fixture struct {
	url                                      string
	svc                                      *bureau.Bureau
	subject, reviewer, reporter, admin, audr string
}

// local is the command line's context, which may do anything.
func local() context.Context {
	return probity.NewContextWithActor(context.Background(), probity.Actor{ID: "test", Local: true})
}

// start starts the real server, API and pages, on 127.0.0.1:0 over a fresh
// store (PROBITY_TEST_BACKEND picks SQLite or PostgreSQL), with acme.lending
// and alice's record: two repayments and a late payment that counts.
func start(tb testing.TB) *fixture { tb.Helper(); return startWith(tb, nil) }

// startWith is start, with the pages set up by setup too (a sign-in
// through an identity provider, say).
func startWith(tb testing.TB, setup func(*web.Pages)) *fixture {
	tb.Helper()
	dir := tb.TempDir()
	db, err := storetest.OpenDir(tb, context.Background(), dir)
	if err != nil {
		tb.Fatal(err)
	}
	// the repayments were reported 150 days ago, so that the portal's
	// chart has past scores to read; the late payment today
	offset := -150 * 24 * time.Hour
	db.Now = func() time.Time { return time.Now().Add(offset) }
	b, _ := bureautest.New(tb, dir, db)
	spec, err := os.ReadFile("../examples/domains/acme-lending.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := b.ApplySpec(local(), "", spec); err != nil {
		tb.Fatal(err)
	}
	day := func(d int) string { return time.Now().UTC().AddDate(0, 0, -d).Format(time.DateOnly) }
	ingest(tb, b, `{"key":"loan-1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"`+day(400)+`","fields":{"amount":12000}}
{"key":"loan-2","type":"loan_repaid","subject":"`+alice+`","occurred_at":"`+day(200)+`","fields":{"amount":3000}}
`)
	offset = 0
	ingest(tb, b, `{"key":"late-1","type":"payment_late","subject":"`+alice+`","occurred_at":"`+day(60)+`","fields":{"days_late":95}}
`)
	srv := phttp.NewServer(b, nil)
	pages := web.New(b, b.FormKey(), nil)
	if setup != nil {
		setup(pages)
	}
	srv.Pages = pages.Handler()
	if err := srv.Open("127.0.0.1:0"); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		srv.Close(context.Background())
		db.Close()
	})
	f := &fixture{url: srv.URL(), svc: b}
	st, err := b.IssueSubjectToken(local(), probity.SubjectTokenRequest{Subject: alice})
	if err != nil {
		tb.Fatal(err)
	}
	f.subject = st.Token
	f.reviewer = f.issue(tb, "ACME disputes desk", probity.Grant{Role: probity.RoleReviewer, Domain: "acme.lending"})
	f.reporter = f.issue(tb, "ACME core banking", probity.Grant{Role: probity.RoleReporter, Domain: "acme.lending"})
	f.admin = f.issue(tb, "ACME risk office", probity.Grant{Role: probity.RoleAdmin, Domain: "acme.lending"})
	f.audr = f.issue(tb, "Outside auditor", probity.Grant{Role: probity.RoleAuditor})
	return f
}

func ingest(tb testing.TB, b *bureau.Bureau, ndjson string) {
	tb.Helper()
	r, err := eventfile.NewReader(strings.NewReader(ndjson))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := b.Ingest(local(), "acme.lending", r, probity.IngestOptions{}); err != nil {
		tb.Fatal(err)
	}
}

func (f *fixture) issue(tb testing.TB, name string, grants ...probity.Grant) string {
	tb.Helper()
	t, err := f.svc.CreatePrincipal(local(), probity.PrincipalRequest{Name: name, Grants: grants})
	if err != nil {
		tb.Fatal(err)
	}
	return t.Token
}

// browser is a client with a cookie jar that sends forms as a browser on
// the server's own pages does: with an Origin and the page's CSRF token.
type browser struct {
	tb     testing.TB
	base   string
	client *http.Client
	csrf   string
}

func (f *fixture) browser(tb testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{tb: tb, base: f.url, client: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// get fetches a page and remembers its CSRF token.
func (b *browser) get(path string) (int, string) {
	b.tb.Helper()
	resp, err := b.client.Get(b.base + path)
	if err != nil {
		b.tb.Fatal(err)
	}
	return b.read(resp)
}

func (b *browser) read(resp *http.Response) (int, string) {
	b.tb.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.tb.Fatal(err)
	}
	if m := csrfField.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return resp.StatusCode, string(body)
}

// post sends a form with the last page's CSRF token and this origin.
func (b *browser) post(path string, form url.Values) (int, string) {
	b.tb.Helper()
	if form.Get("csrf") == "" {
		form.Set("csrf", b.csrf)
	}
	return b.postRaw(path, form, b.base)
}

func (b *browser) postRaw(path string, form url.Values, origin string) (int, string) {
	b.tb.Helper()
	req, err := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.tb.Fatal(err)
	}
	return b.read(resp)
}

// signIn signs in with a token and returns the page it lands on.
func (b *browser) signIn(token string) string {
	b.tb.Helper()
	b.get("/signin")
	status, body := b.post("/signin", url.Values{"token": {token}})
	if status != 200 {
		b.tb.Fatalf("sign in: status %d: %s", status, body)
	}
	return body
}

// scoreOf reads the score shown for a domain on the portal.
var scoreShown = regexp.MustCompile(`(?s)id="score-acme.lending">\s*Your score is <strong class="value">(\d+)</strong>`)

func scoreOf(tb testing.TB, page string) string {
	tb.Helper()
	m := scoreShown.FindStringSubmatch(page)
	if m == nil {
		tb.Fatalf("no score of acme.lending on the page:\n%s", page)
	}
	return m[1]
}

func mustContain(tb testing.TB, page string, wants ...string) {
	tb.Helper()
	for _, w := range wants {
		if !strings.Contains(page, w) {
			tb.Fatalf("page lacks %q:\n%s", w, page)
		}
	}
}
