package http_test

import (
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/idp"
	"github.com/probity-dev/probity/idp/idptest"
)

// externalAudience is the audience the test provider's tokens carry.
const externalAudience = "https://probity.test/api"

// TestAuthorizationExternal runs the authorization matrix with an identity
// provider's access tokens instead of Probity's own: a real OpenID
// provider on 127.0.0.1 issues each caller's JWT by the client-credentials
// grant, for a principal bound to its client id; the subject signs in with
// the provider's token carrying its identifier. Every route must answer
// each caller exactly as it answers the same roles with Probity's tokens.
func TestAuthorizationExternal(t *testing.T) {
	srv, _ := startServerWith(t, nil, 0)
	p := idptest.Start(t)
	v, err := idp.New(idp.Config{Issuers: []idp.Issuer{{URL: p.URL, Audience: externalAudience}}, SubjectClaim: "probity_subject"})
	if err != nil {
		t.Fatal(err)
	}
	svc.SetExternalVerifier(v)
	bind := func(t *testing.T, name string, client idptest.Client, grants ...probity.Grant) *probity.IssuedToken {
		t.Helper()
		client.ID, client.Secret, client.Audience = strings.ReplaceAll(name, " ", "-"), "secret of "+name, externalAudience
		p.AddClient(client)
		it, err := svc.CreatePrincipal(local(), probity.PrincipalRequest{Name: name, Grants: grants, Issuer: p.URL, ExternalSubject: client.ID})
		if err != nil {
			t.Fatal(err)
		}
		if it.Token != "" {
			t.Fatalf("a principal bound to an identity provider was given a token of Probity's own")
		}
		return it
	}
	callers := authzCallers(t, func(t *testing.T, name string, government bool, grants ...probity.Grant) string {
		t.Helper()
		client := idptest.Client{ID: strings.ReplaceAll(name, " ", "-"), Secret: "secret of " + name, Audience: externalAudience}
		p.AddClient(client)
		if _, err := svc.CreatePrincipal(local(), probity.PrincipalRequest{Name: name, Government: government, Grants: grants,
			Issuer: p.URL, ExternalSubject: client.ID}); err != nil {
			t.Fatal(err)
		}
		return "Bearer " + p.Token(t, client.ID)
	})
	reader := []probity.Grant{{Role: probity.RoleReader, Domain: lending}}
	revoked := bind(t, "revoked reader", idptest.Client{}, reader...)
	if _, err := svc.RevokePrincipal(local(), revoked.Principal.ID); err != nil {
		t.Fatal(err)
	}
	bind(t, "expired reader", idptest.Client{Lifetime: -10 * time.Minute}, reader...)
	// a client of the provider that no principal is bound to, and scopes
	// that name roles: neither gives any
	p.AddClient(idptest.Client{ID: "unbound", Secret: "s", Audience: externalAudience, Claims: map[string]any{"scope": "operator admin"}})
	p.AddClient(idptest.Client{ID: "someone", Secret: "s", Audience: externalAudience, Claims: map[string]any{"probity_subject": someone}})
	callers = append(callers,
		caller{cMalformed, "Bearer eyJhbGciOiJub25lIn0.e30.", "signed with none"},
		caller{cUnknown, "Bearer " + p.Token(t, "unbound"), "no principal is bound"},
		caller{cRevoked, "Bearer " + p.Token(t, "revoked-reader"), "was revoked"},
		caller{cExpired, "Bearer " + p.Token(t, "expired-reader"), "expired at"},
		caller{cSubject, "Bearer " + p.Token(t, "someone"), ""})
	checkAuthorization(t, srv, callers)
}
