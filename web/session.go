package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/probity-dev/probity"
)

// sessionMaxAge is the session cookie's life: the session's on the
// server (which also ends it at sign-out), and the token's own expiry and
// revocation apply on every request besides.
const sessionMaxAge = int(probity.SessionLength / time.Second)

func (p *Pages) handleSignInForm(w http.ResponseWriter, r *http.Request) {
	_, a, ok := p.actor(w, r)
	v := view{Title: "Sign in", Nav: "signin"}
	if p.SignIn != nil {
		v.Data = signInData{Provider: p.SignIn.Issuer()}
	}
	if ok {
		v.SignedIn, v.Who = true, who(a)
	}
	p.render(w, r, "signin", v)
}

// handleSignIn checks the token with the same service the API uses and
// starts a session on the server, whose opaque id alone goes in the
// cookie, then goes to the page for the caller's kind: a subject's portal,
// the auditor's view, or the console.
func (p *Pages) handleSignIn(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimSpace(r.FormValue("token"))
	if token == "" {
		p.render(w, r, "signin", view{Title: "Sign in", Nav: "signin", Status: http.StatusBadRequest,
			Error: "token: required; paste the token you were given (a subject token, or an institution's)"})
		return
	}
	id, a, err := p.svc.StartSession(r.Context(), token)
	if err != nil {
		p.render(w, r, "signin", view{Title: "Sign in", Nav: "signin", Status: statusOf(probity.ErrorCode(err)),
			Error: "token: " + probity.ErrorMessage(err)})
		return
	}
	setCookie(w, r, SessionCookie, id, sessionMaxAge)
	setCookie(w, r, preSessionCookie, "", -1)
	http.Redirect(w, r, home(a), http.StatusSeeOther)
}

// home is where a signed-in actor starts.
func home(a probity.Actor) string {
	switch {
	case a.Subject != nil:
		return "/portal"
	case a.Principal != nil && (a.Principal.Has(probity.RoleAuditor, "") || a.Principal.Has(probity.RoleOperator, "")):
		return "/audit"
	}
	return "/console"
}

// handleSignOut ends the session on the server, so that its id is
// refused whoever still holds it, and forgets the cookie.
func (p *Pages) handleSignOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		if err := p.svc.EndSession(r.Context(), c.Value); err != nil {
			p.fail(w, r, err)
			return
		}
	}
	setCookie(w, r, SessionCookie, "", -1)
	http.Redirect(w, r, "/?done=signed-out", http.StatusSeeOther)
}

// requireSignIn returns the signed-in caller, or sends the browser to sign in.
func (p *Pages) requireSignIn(w http.ResponseWriter, r *http.Request) (*http.Request, probity.Actor, bool) {
	ctx, a, ok := p.actor(w, r)
	if !ok {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return r, a, false
	}
	return r.WithContext(ctx), a, true
}
