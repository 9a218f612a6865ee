package idp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/probity-dev/probity"
)

// PortalConfig configures the subjects' sign-in to the portal through an
// OpenID provider: the authorization code flow with PKCE, state and nonce.
type PortalConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// SubjectClaim names the ID token's claim that carries the subject's
	// identifier in scheme:value form.
	SubjectClaim string
	Client       *http.Client
}

// Portal signs subjects in through an OpenID provider.
type Portal struct {
	cfg PortalConfig

	mu       sync.Mutex
	provider *oidc.Provider
}

// NewPortal checks cfg; the provider is discovered at the first sign-in.
func NewPortal(cfg PortalConfig) (*Portal, error) {
	if err := CheckIssuer("issuer", cfg.Issuer); err != nil {
		return nil, fmt.Errorf("%s", probity.ErrorMessage(err))
	}
	switch {
	case cfg.ClientID == "":
		return nil, fmt.Errorf("no client id: the portal's client at %s", cfg.Issuer)
	case cfg.SubjectClaim == "":
		return nil, fmt.Errorf("no subject claim: name the ID token claim that carries the subject's identifier")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Portal{cfg: cfg}, nil
}

// Issuer returns the provider's issuer URL.
func (p *Portal) Issuer() string { return p.cfg.Issuer }

func (p *Portal) discover(ctx context.Context) (*oidc.Provider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.provider != nil {
		return p.provider, nil
	}
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, p.cfg.Client), p.cfg.Issuer)
	if err != nil {
		return nil, probity.Errorf(probity.EUNAVAILABLE, "the identity provider %s cannot be reached: %v", p.cfg.Issuer, err)
	}
	p.provider = provider
	return provider, nil
}

func (p *Portal) oauth(provider *oidc.Provider, redirect string) *oauth2.Config {
	return &oauth2.Config{ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, Endpoint: provider.Endpoint(),
		RedirectURL: redirect, Scopes: []string{oidc.ScopeOpenID}}
}

// pending is what a sign-in keeps between leaving for the provider and
// coming back: the state it must bring back, the nonce its ID token must
// carry, and the PKCE verifier of the code.
type pending struct {
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
}

// Begin starts a sign-in that returns to redirect: it returns the
// provider's authorization URL and the pending sign-in, to be kept by the
// browser in a short, integrity-protected cookie and given to Finish.
func (p *Portal) Begin(ctx context.Context, redirect string) (string, string, error) {
	provider, err := p.discover(ctx)
	if err != nil {
		return "", "", err
	}
	pd := pending{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier()}
	kept, err := json.Marshal(pd)
	if err != nil {
		return "", "", err
	}
	u := p.oauth(provider, redirect).AuthCodeURL(pd.State, oauth2.S256ChallengeOption(pd.Verifier), oidc.Nonce(pd.Nonce))
	return u, base64.RawURLEncoding.EncodeToString(kept), nil
}

// Finish completes a sign-in: it checks the state against the pending
// sign-in, exchanges the code (with its PKCE verifier) for tokens, checks
// the ID token (signature, issuer, audience, expiry, nonce) and returns the
// identifier its subject claim carries, not yet validated.
func (p *Portal) Finish(ctx context.Context, redirect, kept, state, code string) (string, error) {
	var pd pending
	raw, err := base64.RawURLEncoding.DecodeString(kept)
	if err != nil || json.Unmarshal(raw, &pd) != nil || pd.State == "" {
		return "", probity.Errorf(probity.EUNAUTHORIZED, "this sign-in was not started here, or took too long: start again")
	}
	if state != pd.State {
		return "", probity.Errorf(probity.EUNAUTHORIZED, "the identity provider sent back another sign-in's state: start again")
	}
	if code == "" {
		return "", probity.Errorf(probity.EUNAUTHORIZED, "the identity provider sent no code: the sign-in was refused or cancelled")
	}
	provider, err := p.discover(ctx)
	if err != nil {
		return "", err
	}
	tok, err := p.oauth(provider, redirect).Exchange(oidc.ClientContext(ctx, p.cfg.Client), code, oauth2.VerifierOption(pd.Verifier))
	if err != nil {
		return "", probity.Errorf(probity.EUNAUTHORIZED, "the identity provider refused the sign-in's code: %v", err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return "", probity.Errorf(probity.EUNAUTHORIZED, "the identity provider sent no ID token")
	}
	idt, err := provider.VerifierContext(oidc.ClientContext(ctx, p.cfg.Client), &oidc.Config{ClientID: p.cfg.ClientID, SupportedSigningAlgs: algorithmNames()}).Verify(ctx, rawID)
	if err != nil {
		return "", probity.Errorf(probity.EUNAUTHORIZED, "the identity provider's ID token is refused: %v", err)
	}
	if idt.Nonce != pd.Nonce {
		return "", probity.Errorf(probity.EUNAUTHORIZED, "the ID token was made for another sign-in (nonce): start again")
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return "", probity.Errorf(probity.EUNAUTHORIZED, "the ID token's claims cannot be read: %v", err)
	}
	id, _ := claims[p.cfg.SubjectClaim].(string)
	if id == "" {
		return "", probity.Errorf(probity.EUNAUTHORIZED, "the identity provider did not say who you are in claim %s: ask it to release that claim to this installation", probity.Quote(p.cfg.SubjectClaim))
	}
	return id, nil
}

// random is 128 random bits, base64url.
func random() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
