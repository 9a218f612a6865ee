package web

import (
	"net/http"
	"strings"

	"github.com/probity-dev/probity"
)

// sessionMaxAge bounds the session cookie; the token's own expiry and
// revocation apply on every request besides.
const sessionMaxAge = 8 * 60 * 60

func (p *Pages) handleSignInForm(w http.ResponseWriter, r *http.Request) {
	_, a, ok := p.actor(w, r)
	v := view{Title: "Sign in", Nav: "signin"}
	if ok {
		v.SignedIn, v.Who = true, who(a)
	}
	p.render(w, r, "signin", v)
}

// handleSignIn checks the token with the same service the API uses and
// keeps it in the session cookie, then goes to the page for the caller's
// kind: a subject's portal, the auditor's view, or the console.
func (p *Pages) handleSignIn(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimSpace(r.FormValue("token"))
	if token == "" {
		p.render(w, r, "signin", view{Title: "Sign in", Nav: "signin", Status: http.StatusBadRequest,
			Error: "token: required; paste the token you were given (a subject token, or an institution's)"})
		return
	}
	a, err := p.svc.Authenticate(r.Context(), token)
	if err != nil {
		p.render(w, r, "signin", view{Title: "Sign in", Nav: "signin", Status: statusOf(probity.ErrorCode(err)),
			Error: "token: " + probity.ErrorMessage(err)})
		return
	}
	setCookie(w, r, SessionCookie, token, sessionMaxAge)
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

// handleSignOut forgets the session cookie.
func (p *Pages) handleSignOut(w http.ResponseWriter, r *http.Request) {
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
