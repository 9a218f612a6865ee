package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/probity-dev/probity"
)

// SubjectSignIn signs subjects in through an OpenID provider (idp.Portal):
// the identifier they are rated under comes from the provider's ID token,
// never from a form.
type SubjectSignIn interface {
	// Issuer names the provider, for the sign-in page.
	Issuer() string
	// Begin returns the provider's authorization URL for a sign-in that
	// returns to redirect, and what the browser must keep until it does.
	Begin(ctx context.Context, redirect string) (string, string, error)
	// Finish completes the sign-in and returns the identifier.
	Finish(ctx context.Context, redirect, kept, state, code string) (string, error)
}

// signInCookie keeps a pending sign-in (state, nonce, PKCE verifier) for
// the provider's redirect back: SameSite=Lax, since that redirect comes
// from the provider's site, and signed, so that nobody can plant one.
const signInCookie = "probity_signin"

// oidcCallback is where the provider sends the browser back.
const oidcCallback = "/signin/oidc/callback"

// redirectURL is the callback on this server as the browser reached it.
func redirectURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + oidcCallback
}

// signPending binds a pending sign-in to this installation's form key.
func (p *Pages) signPending(kept string) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte("probity sign-in\x00" + kept))
	return kept + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// handleOIDCStart sends the browser to the provider.
func (p *Pages) handleOIDCStart(w http.ResponseWriter, r *http.Request) {
	if p.SignIn == nil {
		http.NotFound(w, r)
		return
	}
	u, kept, err := p.SignIn.Begin(r.Context(), redirectURL(r))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: signInCookie, Value: p.signPending(kept), Path: "/signin/oidc", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode, MaxAge: 600})
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// handleOIDCCallback completes the sign-in and starts a session for the
// subject the provider signed in.
func (p *Pages) handleOIDCCallback(w http.ResponseWriter, r *http.Request) {
	if p.SignIn == nil {
		http.NotFound(w, r)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: signInCookie, Value: "", Path: "/signin/oidc", HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	refuse := func(err error) {
		p.render(w, r, "signin", view{Title: "Sign in", Nav: "signin", Status: statusOf(probity.ErrorCode(err)), Error: probity.ErrorMessage(err),
			Data: signInData{Provider: p.SignIn.Issuer()}})
	}
	if e := r.URL.Query().Get("error"); e != "" {
		refuse(probity.Errorf(probity.EUNAUTHORIZED, "the identity provider refused the sign-in: %s", probity.Quote(e)))
		return
	}
	c, err := r.Cookie(signInCookie)
	kept, _, _ := strings.Cut(valueOf(c, err), ".")
	if kept == "" || !hmac.Equal([]byte(p.signPending(kept)), []byte(valueOf(c, err))) {
		refuse(probity.Errorf(probity.EUNAUTHORIZED, "this sign-in was not started from this browser, or took over ten minutes: start again"))
		return
	}
	id, err := p.SignIn.Finish(r.Context(), redirectURL(r), kept, r.URL.Query().Get("state"), r.URL.Query().Get("code"))
	if err != nil {
		refuse(err)
		return
	}
	session, _, err := p.svc.StartSubjectSession(r.Context(), id)
	if err != nil {
		refuse(err)
		return
	}
	setCookie(w, r, SessionCookie, session, sessionMaxAge)
	setCookie(w, r, preSessionCookie, "", -1)
	// the provider's redirect made this request cross-site, so a redirect
	// from it would not carry the SameSite=Strict session: a page of this
	// site moves on instead
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=/portal"><title>Signed in</title></head>` +
		`<body><p>Signed in. <a href="/portal">Continue to your record</a></p></body></html>`))
}

// signInData is what the sign-in page shows beside the token form.
type signInData struct {
	Provider string // the identity provider subjects may sign in with, if any
}

func valueOf(c *http.Cookie, err error) string {
	if err != nil {
		return ""
	}
	return c.Value
}
