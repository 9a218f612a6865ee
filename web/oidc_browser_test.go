package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/probity-dev/probity/idp"
	"github.com/probity-dev/probity/idp/idptest"
	"github.com/probity-dev/probity/web"
)

// TestBrowserSignInWithProvider: a person signs in to the portal through
// a real OpenID provider's login page (zitadel/oidc's example provider on
// 127.0.0.1), with the authorization code flow, PKCE, state and nonce, and
// lands on their own record: the identifier comes from the ID token's
// claim, never from a form. Signing out ends the session on the server: the
// old session cookie, put back, opens nothing.
func TestBrowserSignInWithProvider(t *testing.T) {
	ctx := newBrowser(t)
	p := idptest.Start(t)
	p.SetClaims(map[string]any{"probity_subject": alice})
	portal, err := idp.NewPortal(idp.PortalConfig{Issuer: p.URL, ClientID: "probity-portal", ClientSecret: "portal secret", SubjectClaim: "probity_subject"})
	if err != nil {
		t.Fatal(err)
	}
	f := startWith(t, func(pg *web.Pages) { pg.SignIn = portal })
	p.AddPortal("probity-portal", "portal secret", f.url+"/signin/oidc/callback")
	s := newScenario(t, ctx, f)
	const score = `[id="score-acme.lending"] .value`

	s.do("sign in at the provider",
		chromedp.Navigate(f.url+"/signin"),
		chromedp.Click(chromedp.ID("signin-oidc")),
		chromedp.WaitVisible(chromedp.ID("username")),
	)
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasPrefix(loc, p.URL+"/login/") {
		t.Fatalf("the sign-in went to %s, not the provider's login page", loc)
	}
	s.do("log in",
		chromedp.SendKeys(chromedp.ID("username"), p.User()),
		chromedp.SendKeys(chromedp.ID("password"), idptest.Password),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(score)),
	)
	s.screenshot("portal-after-provider-sign-in")
	// alice's own record, found by the identifier in the provider's claim
	// (the identifier is shown masked but for its last characters)
	if page := s.text("body"); !strings.Contains(page, "Loan repaid") || !strings.Contains(page, "cn-rid:••••••••••••••002X") || strings.Contains(page, alice) {
		t.Fatalf("the portal after signing in at the provider does not show %s's record, masked:\n%s", alice, page)
	}
	got, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{f.url}})
	if err != nil {
		t.Fatal(err)
	}
	var session string
	for _, c := range got.Cookies {
		if c.Name == web.SessionCookie {
			session = c.Value
		}
	}
	if session == "" {
		t.Fatal("no session cookie after signing in at the provider")
	}

	s.signOut()
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: web.SessionCookie, Value: session, URL: f.url + "/"}); err != nil {
		t.Fatal(err)
	}
	s.do("the old session, put back, opens nothing", chromedp.Navigate(f.url+"/portal"), chromedp.WaitVisible(chromedp.ID("token")))
}

// fakeSignIn stands for a provider that would sign anyone in: the pages'
// own checks are what is tested.
type fakeSignIn struct{}

func (fakeSignIn) Issuer() string { return "https://eid.example" }
func (fakeSignIn) Begin(context.Context, string) (string, string, error) {
	return "https://eid.example/authorize", "pending", nil
}
func (fakeSignIn) Finish(context.Context, string, string, string, string) (string, error) {
	return alice, nil
}

// TestSignInCallback: the provider's callback starts a session only for a
// sign-in this browser started here (the signed cookie Begin set); one
// planted or forged is refused, saying why.
func TestSignInCallback(t *testing.T) {
	f := startWith(t, func(pg *web.Pages) { pg.SignIn = fakeSignIn{} })
	b := f.browser(t)
	b.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if _, page := b.get("/signin"); !strings.Contains(page, "Sign in with https://eid.example") {
		t.Fatal("the sign-in page does not offer the identity provider")
	}
	t.Run("ErrNotStartedHere", func(t *testing.T) {
		status, page := f.browser(t).get("/signin/oidc/callback?state=s&code=c")
		if status != http.StatusUnauthorized || !strings.Contains(page, "not started from this browser") {
			t.Fatalf("callback without a pending sign-in = %d; want 401 saying it was not started here", status)
		}
	})
	t.Run("ErrForged", func(t *testing.T) {
		forger := f.browser(t)
		u, _ := url.Parse(f.url)
		forger.client.Jar.SetCookies(u, []*http.Cookie{{Name: "probity_signin", Value: "pending.Zm9yZ2Vk", Path: "/signin/oidc"}})
		if status, _ := forger.get("/signin/oidc/callback?state=s&code=c"); status != http.StatusUnauthorized {
			t.Fatalf("callback with a forged pending sign-in = %d; want 401", status)
		}
	})
	t.Run("OK", func(t *testing.T) {
		status, _ := b.get("/signin/oidc")
		if status != http.StatusSeeOther {
			t.Fatalf("GET /signin/oidc = %d; want 303 to the provider", status)
		}
		if status, page := b.get("/signin/oidc/callback?state=s&code=c"); status != 200 || !strings.Contains(page, "/portal") {
			t.Fatalf("callback of a sign-in started here = %d; want 200 moving on to /portal", status)
		}
		if _, page := b.get("/portal"); !strings.Contains(page, "loan-1") {
			t.Fatal("after the provider's sign-in the portal does not show the subject's record")
		}
	})
}
