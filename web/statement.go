package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/probity-dev/probity"
)

// statementView is a statement just issued, shown once for the person to
// keep: the store keeps none of its content.
type statementView struct {
	*probity.IssuedStatement
	Name string
}

// handleStatement issues a statement of the person's standing in a domain
// with the claims they ticked, bound to the public key they pasted (from
// their wallet, or probity statement issue's holder.jwk), and shows it.
func (p *Pages) handleStatement(w http.ResponseWriter, r *http.Request) {
	r, a, ok := p.requireSignIn(w, r)
	if !ok {
		return
	}
	if p.missing(w, r, "domain") {
		return
	}
	var key map[string]any // none: a key pair is made for the person
	if k := strings.TrimSpace(r.FormValue("holder_key")); k == "" {
	} else if err := json.Unmarshal([]byte(k), &key); err != nil {
		p.fail(w, r, probity.Errorf(probity.EINVALID, "holder_key: paste the public key as JSON (a JWK, such as {\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"...\"})"))
		return
	}
	if r.Form == nil {
		r.ParseForm()
	}
	req := probity.StatementRequest{Domain: r.FormValue("domain"), Claims: r.Form["claims"], Validity: r.FormValue("validity"),
		HolderKey: key, Issuer: publicURL(r)}
	st, err := p.svc.IssueStatement(r.Context(), req)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	v := signedIn("Your statement", "portal", a)
	v.Data = statementView{IssuedStatement: st, Name: strings.Join(st.Claims, ", ")}
	p.render(w, r, "statement", v)
}

// publicURL is the installation's URL as the person reached it: the
// issuer of the statements the pages hand out.
func publicURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
