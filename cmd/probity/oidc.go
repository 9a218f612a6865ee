package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/probity-dev/probity/idp"
)

// oidcOptions are serve's identity provider flags.
type oidcOptions struct {
	issuers      []string
	audiences    []string
	subjectClaim string
	clientID     string
	secretFile   string
}

// oidcFlags registers --oidc-issuer and --oidc-audience (repeatable, paired
// in order, or one audience for every issuer) and --oidc-subject-claim.
func oidcFlags(fs *flag.FlagSet) *oidcOptions {
	o := &oidcOptions{}
	fs.Func("oidc-issuer", "an identity provider whose access tokens (JWTs) authenticate principals bound to it (probity token create --issuer); its issuer URL, discovered at /.well-known/openid-configuration (repeatable)", func(v string) error {
		o.issuers = append(o.issuers, v)
		return nil
	})
	fs.Func("oidc-audience", "the audience (aud) the --oidc-issuer's tokens must name for this installation: one for all issuers, or one per --oidc-issuer in the same order", func(v string) error {
		o.audiences = append(o.audiences, v)
		return nil
	})
	fs.StringVar(&o.subjectClaim, "oidc-subject-claim", "", "the claim of an --oidc-issuer's tokens that carries a subject's identifier (scheme:value), for the subject API and the portal's sign-in")
	fs.StringVar(&o.clientID, "oidc-client-id", "", "the portal's client id at the first --oidc-issuer: subjects sign in there (authorization code with PKCE), its redirect URI being https://HOST/signin/oidc/callback")
	fs.StringVar(&o.secretFile, "oidc-client-secret-file", "", "a file holding the portal client's secret (none for a public client)")
	return o
}

// portal returns the subjects' sign-in the flags configure, or nil.
func (o *oidcOptions) portal() (*idp.Portal, error) {
	switch {
	case o.clientID == "" && o.secretFile != "":
		return nil, fmt.Errorf("--oidc-client-secret-file needs --oidc-client-id")
	case o.clientID == "":
		return nil, nil
	case len(o.issuers) == 0:
		return nil, fmt.Errorf("--oidc-client-id needs an --oidc-issuer: the provider subjects sign in with")
	case o.subjectClaim == "":
		return nil, fmt.Errorf("--oidc-client-id needs --oidc-subject-claim: the ID token claim that says who signed in (scheme:value)")
	}
	secret := ""
	if o.secretFile != "" {
		b, err := os.ReadFile(o.secretFile)
		if err != nil {
			return nil, fmt.Errorf("--oidc-client-secret-file: %v", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	p, err := idp.NewPortal(idp.PortalConfig{Issuer: o.issuers[0], ClientID: o.clientID, ClientSecret: secret, SubjectClaim: o.subjectClaim})
	if err != nil {
		return nil, fmt.Errorf("--oidc-client-id: %v", err)
	}
	return p, nil
}

// verifier returns the verifier the flags configure, or nil if none is.
func (o *oidcOptions) verifier() (*idp.Verifier, error) {
	switch {
	case len(o.issuers) == 0 && (len(o.audiences) > 0 || o.subjectClaim != ""):
		return nil, fmt.Errorf("--oidc-audience and --oidc-subject-claim need an --oidc-issuer")
	case len(o.issuers) == 0:
		return nil, nil
	case len(o.audiences) == 0:
		return nil, fmt.Errorf("--oidc-issuer needs --oidc-audience: the audience its tokens name for this installation")
	case len(o.audiences) != 1 && len(o.audiences) != len(o.issuers):
		return nil, fmt.Errorf("%d --oidc-audience for %d --oidc-issuer: give one for all, or one per issuer in the same order", len(o.audiences), len(o.issuers))
	}
	cfg := idp.Config{SubjectClaim: o.subjectClaim}
	for i, u := range o.issuers {
		aud := o.audiences[0]
		if len(o.audiences) > 1 {
			aud = o.audiences[i]
		}
		cfg.Issuers = append(cfg.Issuers, idp.Issuer{URL: u, Audience: aud})
	}
	v, err := idp.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("--oidc-issuer: %v", err)
	}
	return v, nil
}
