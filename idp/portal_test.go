package idp_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/idp"
	"github.com/probity-dev/probity/idp/idptest"
)

// login follows an authorization URL to the provider's login page, logs
// in as its user, and returns the query the provider sends back to the
// redirect URI (code and state), without following it there.
func login(t *testing.T, p *idptest.Provider, authURL, redirect string) url.Values {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	var back *url.URL
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(r.URL.String(), redirect) {
			back = r.URL
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := client.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Request.URL.Query().Get("authRequestID")
	if id == "" {
		t.Fatalf("the authorization URL led to %s, not the login page", resp.Request.URL)
	}
	resp, err = client.PostForm(p.URL+"/login/username", url.Values{"id": {id}, "username": {p.User()}, "password": {idptest.Password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if back == nil {
		t.Fatalf("the login did not come back to %s (ended at %s, %s)", redirect, resp.Request.URL, resp.Status)
	}
	return back.Query()
}

func TestPortal(t *testing.T) {
	p := idptest.Start(t)
	const redirect = "http://127.0.0.1:1/signin/oidc/callback"
	p.AddPortal("portal", "secret", redirect)
	portal, err := idp.NewPortal(idp.PortalConfig{Issuer: p.URL, ClientID: "portal", ClientSecret: "secret", SubjectClaim: "probity_subject"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	begin := func(t *testing.T) (string, url.Values) {
		t.Helper()
		u, kept, err := portal.Begin(ctx, redirect)
		if err != nil {
			t.Fatal(err)
		}
		q, _ := url.Parse(u)
		if q.Query().Get("code_challenge_method") != "S256" || q.Query().Get("nonce") == "" || q.Query().Get("state") == "" {
			t.Fatalf("authorization URL %s lacks PKCE (S256), nonce or state", u)
		}
		return kept, login(t, p, u, redirect)
	}

	t.Run("OK", func(t *testing.T) {
		p.SetClaims(map[string]any{"probity_subject": "person:alice"})
		kept, back := begin(t)
		id, err := portal.Finish(ctx, redirect, kept, back.Get("state"), back.Get("code"))
		if err != nil || id != "person:alice" {
			t.Fatalf("Finish = %q, %v; want person:alice from the ID token's claim", id, err)
		}
		t.Run("ErrCodeReplayed", func(t *testing.T) {
			if _, err := portal.Finish(ctx, redirect, kept, back.Get("state"), back.Get("code")); probity.ErrorCode(err) != probity.EUNAUTHORIZED {
				t.Fatalf("a code used twice: %v; want it refused", err)
			}
		})
	})
	t.Run("ErrState", func(t *testing.T) {
		kept, back := begin(t)
		_, err := portal.Finish(ctx, redirect, kept, "someone else's state", back.Get("code"))
		if probity.ErrorCode(err) != probity.EUNAUTHORIZED || !strings.Contains(probity.ErrorMessage(err), "state") {
			t.Fatalf("Finish with another state: %v; want it refused, naming the state", err)
		}
	})
	t.Run("ErrOtherSignIn", func(t *testing.T) {
		// the code of one sign-in with the pending state of another: its
		// PKCE verifier does not match the code's challenge
		_, back := begin(t)
		kept2, _, err := portal.Begin(ctx, redirect)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := portal.Finish(ctx, redirect, kept2, back.Get("state"), back.Get("code")); probity.ErrorCode(err) != probity.EUNAUTHORIZED {
			t.Fatalf("a code finished with another sign-in's verifier: %v; want it refused", err)
		}
	})
	t.Run("ErrNoClaim", func(t *testing.T) {
		p.SetClaims(nil)
		kept, back := begin(t)
		_, err := portal.Finish(ctx, redirect, kept, back.Get("state"), back.Get("code"))
		if probity.ErrorCode(err) != probity.EUNAUTHORIZED || !strings.Contains(probity.ErrorMessage(err), "probity_subject") {
			t.Fatalf("an ID token without the subject claim: %v; want it refused, naming the claim", err)
		}
	})
}
