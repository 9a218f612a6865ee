package web_test

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/web"
)

func TestRegistry(t *testing.T) {
	f := start(t)
	b := f.browser(t)
	status, page := b.get("/")
	if status != 200 {
		t.Fatalf("GET / = %d", status)
	}
	// the home page is a short index; each domain has a page of its own
	mustContain(t, page, `<a href="/registry/acme.lending">ACME Bank consumer and business lending</a>`, "ACME Bank", "finance")
	status, page = b.get("/registry/acme.lending")
	if status != 200 {
		t.Fatalf("GET /registry/acme.lending = %d", status)
	}
	mustContain(t, page, "ACME Bank consumer and business lending", "Loan agreements", "Counts only after a grace period of 30 days",
		"stops counting 7 years after it occurred", "cured by a report of payment settled", "Grades of rated subjects", "Looks by purpose",
		// the points in words, the CEL only as a detail
		"When days late 90 or more: <strong>-80 points</strong>", "When days late 30 or more: <strong>-40 points</strong>",
		"Otherwise: <strong>-15 points</strong>", "When amount over 10,000: <strong>&#43;20 points</strong>",
		"<summary>The rule as written (CEL)</summary><code>days_late &gt;= 90",
		"fewer than 5") // one subject: its status and grade are suppressed
	if strings.Count(page, "(contract)") > 1 {
		t.Error("the legal basis says (contract) twice")
	}
	if status, _ := b.get("/registry/no.such-domain"); status != 404 {
		t.Errorf("GET /registry/no.such-domain = %d, want 404", status)
	}
	t.Run("AnnouncedChange", func(t *testing.T) {
		spec, err := os.ReadFile("../examples/domains/acme-lending.yaml")
		if err != nil {
			t.Fatal(err)
		}
		v2 := strings.Replace(string(spec), "reason: Late payments", "reason: Payments made late", 1)
		v2 = strings.Replace(v2, "    expires: 7y\n    grace: 30d", "    expires: 5y\n    grace: 45d", 1)
		if v2 == strings.Replace(string(spec), "reason: Late payments", "reason: Payments made late", 1) {
			t.Fatal("the example spec no longer has payment_late's expires and grace in that order: update the test")
		}
		if _, err := f.svc.ApplySpec(local(), "", []byte(v2)); err != nil {
			t.Fatal(err)
		}
		_, page := b.get("/registry/acme.lending")
		mustContain(t, page, "Version 2 takes effect on", `<span class="op&#43;">&#43;       &#34;reason&#34;: &#34;Payments made late&#34;`,
			// the same change in plain words
			"payment late: grace period 45 days, was 30 days.", "payment late: stops counting after 5 years, was 7 years.")
		admin := f.browser(t)
		page = admin.signIn(f.admin)
		mustContain(t, page, "Version 2, applied", "Payments made late", "payment late: grace period 45 days, was 30 days.")
	})
}

func TestSecurityHeaders(t *testing.T) {
	f := start(t)
	for _, path := range []string{"/", "/signin", "/audit", "/portal", "/static/style.css", "/nowhere"} {
		resp, err := http.Get(f.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if got := h.Get("Content-Security-Policy"); got != web.ContentSecurityPolicy {
			t.Errorf("%s: Content-Security-Policy = %q", path, got)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("%s: nosniff %q, referrer policy %q", path, h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"))
		}
	}
	if !strings.Contains(web.ContentSecurityPolicy, "default-src 'none'") || strings.Contains(web.ContentSecurityPolicy, "unsafe") {
		t.Fatalf("policy %q is not strict", web.ContentSecurityPolicy)
	}
}

// TestSessionCookie checks the cookie a sign-in sets: HttpOnly, SameSite
// Strict, for the whole site, and Secure when the server speaks TLS.
func TestSessionCookie(t *testing.T) {
	f := start(t)
	b := f.browser(t)
	b.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	b.get("/signin")
	req, _ := http.NewRequest("POST", f.url+"/signin", strings.NewReader(url.Values{"token": {f.subject}, "csrf": {b.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", f.url)
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/portal" {
		t.Fatalf("sign in = %d to %q, want 303 to /portal", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == web.SessionCookie {
			session = c
		}
	}
	if session == nil {
		t.Fatal("no session cookie")
	}
	if !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/" || session.Secure {
		t.Fatalf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/, not Secure over plain HTTP", session)
	}
	t.Run("TLS", func(t *testing.T) {
		srv := tlsServer(t, f)
		client := srv.Client()
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := client.Get(srv.URL + "/signin")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, c := range resp.Cookies() {
			if !c.Secure || !c.HttpOnly {
				t.Fatalf("over TLS, cookie %s is not Secure and HttpOnly", c.Name)
			}
		}
	})
	t.Run("ErrBadToken", func(t *testing.T) {
		b := f.browser(t)
		b.get("/signin")
		status, page := b.post("/signin", url.Values{"token": {"prb_0000000000000000_00"}})
		if status != 401 || !strings.Contains(page, "token:") {
			t.Fatalf("bad token = %d, want 401 naming the token", status)
		}
	})
	if session.Value == f.subject || strings.Contains(session.Value, "prs_") || strings.Contains(session.Value, "prb_") {
		t.Fatalf("the session cookie holds the token itself: %q; want an opaque session id", session.Value)
	}
	t.Run("SignOut", func(t *testing.T) {
		b := f.browser(t)
		b.signIn(f.subject)
		u, _ := url.Parse(f.url)
		var id string
		for _, c := range b.client.Jar.Cookies(u) {
			if c.Name == web.SessionCookie {
				id = c.Value
			}
		}
		if status, page := b.post("/signout", url.Values{}); status != 200 || !strings.Contains(page, "signed out") {
			t.Fatalf("sign out = %d", status)
		}
		if _, page := b.get("/portal"); !strings.Contains(page, `name="token"`) {
			t.Fatal("after signing out, the portal does not ask to sign in")
		}
		// whoever kept the cookie is refused too: the server ended it
		thief := f.browser(t)
		thief.client.Jar.SetCookies(u, []*http.Cookie{{Name: web.SessionCookie, Value: id, Path: "/"}})
		if _, page := thief.get("/portal"); !strings.Contains(page, `name="token"`) {
			t.Fatal("a signed-out session's cookie, replayed, still shows the portal")
		}
	})
}

// TestCSRF checks that a form is refused without the session's token, from
// another origin, or with no origin at all.
func TestCSRF(t *testing.T) {
	f := start(t)
	b := f.browser(t)
	b.signIn(f.subject)
	dispute := url.Values{"domain": {"acme.lending"}, "key": {"late-1"}, "reason": {"paid on time"}}
	tests := []struct {
		name, csrf, origin string
	}{
		{"ErrNoToken", "", f.url},
		{"ErrWrongToken", strings.Repeat("ab", 32), f.url},
		{"ErrOtherOrigin", b.csrf, "https://evil.example"},
		{"ErrNoOrigin", b.csrf, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{}
			for k, v := range dispute {
				form[k] = v
			}
			form.Set("csrf", tt.csrf)
			if tt.csrf == "" {
				form.Del("csrf")
			}
			status, page := b.postRaw("/portal/disputes", form, tt.origin)
			if status != 403 || !strings.Contains(page, "refused") && !strings.Contains(page, "security token") {
				t.Fatalf("= %d, want 403 with a clear message", status)
			}
		})
	}
	t.Run("OtherSessionsToken", func(t *testing.T) {
		// another sign-in of the same subject, with another token
		st, err := f.svc.IssueSubjectToken(local(), probity.SubjectTokenRequest{Subject: alice})
		if err != nil {
			t.Fatal(err)
		}
		other := f.browser(t)
		other.signIn(st.Token)
		form := url.Values{"csrf": {other.csrf}}
		for k, v := range dispute {
			form[k] = v
		}
		if status, _ := b.postRaw("/portal/disputes", form, f.url); status != 403 {
			t.Fatalf("another session's token = %d, want 403", status)
		}
	})
	if _, page := b.get("/portal"); strings.Contains(page, "dispute-open") {
		t.Fatal("a refused form filed a dispute")
	}
}

// TestRevokedSession checks that a revoked token's session ends at once:
// the next page asks to sign in again, and the cookie is cleared.
func TestRevokedSession(t *testing.T) {
	f := start(t)
	b := f.browser(t)
	b.signIn(f.reporter)
	principals, err := f.svc.Principals(local())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range principals {
		if p.Name == "ACME core banking" {
			if _, err := f.svc.RevokePrincipal(local(), p.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, page := b.get("/console"); !strings.Contains(page, `id="token"`) {
		t.Fatal("a revoked token's session still shows the console")
	}
	u, _ := url.Parse(f.url)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == web.SessionCookie {
			t.Fatal("the revoked session's cookie was kept")
		}
	}
	// A browser that still holds the stale cookie when it opens the
	// sign-in page signs in with another token at the first attempt.
	stale := f.browser(t)
	stale.client.Jar.SetCookies(u, []*http.Cookie{{Name: web.SessionCookie, Value: f.reporter, Path: "/"}})
	if page := stale.signIn(f.reviewer); !strings.Contains(page, "Sign out") {
		t.Fatalf("sign-in with a stale session cookie did not sign in:\n%s", page)
	}
}

// TestPortalShowsCured: an adverse entry cured within its grace period
// never counts, and the portal says so instead of leaving it out.
func TestPortalShowsCured(t *testing.T) {
	f := start(t)
	day := func(d int) string { return time.Now().UTC().AddDate(0, 0, -d).Format(time.DateOnly) }
	ingest(t, f.svc, `{"key":"late-9","type":"payment_late","subject":"`+alice+`","occurred_at":"`+day(20)+`","fields":{"days_late":35}}
{"key":"settled-9","type":"payment_settled","subject":"`+alice+`","occurred_at":"`+day(10)+`","cures":"late-9"}
`)
	b := f.browser(t)
	b.signIn(f.subject)
	_, page := b.get("/portal")
	mustContain(t, page, `<ul class="cured">`, "late-9", "cured by <span class=\"code\">settled-9</span>")
}
