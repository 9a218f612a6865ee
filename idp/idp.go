// Package idp checks the access tokens of the identity providers an
// installation trusts (DESIGN.md "Identity and access"): institutions'
// systems with OAuth 2.0 access tokens (JWTs) from their own provider, and
// subjects with the tokens of the provider they sign in with. Each issuer
// is discovered (/.well-known/openid-configuration) on first use, its keys
// (JWKS) fetched and cached, and refreshed when a token names a key id the
// cache lacks, at most once every KeyRefresh. Signatures, issuer and
// audience are checked by github.com/coreos/go-oidc; token parsing is
// github.com/go-jose/go-jose's.
package idp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/probity-dev/probity"
)

// Algorithms are the only signature algorithms accepted: asymmetric ones.
// A token signed with none, or with an HMAC whose secret could be the
// issuer's public key, is refused before anything else is read from it.
var Algorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}

// algorithmNames are Algorithms as go-oidc takes them.
func algorithmNames() []string {
	out := make([]string, len(Algorithms))
	for i, a := range Algorithms {
		out[i] = string(a)
	}
	return out
}

// anyAlgorithm lets a refused token be parsed far enough to name its
// algorithm in the refusal; nothing is ever verified with these.
var anyAlgorithm = []jose.SignatureAlgorithm{"none", jose.HS256, jose.HS384, jose.HS512, jose.RS384, jose.RS512,
	jose.ES384, jose.ES512, jose.PS256, jose.PS384, jose.PS512, jose.RS256, jose.ES256, jose.EdDSA}

// Issuer is one trusted identity provider: its issuer URL, exactly as its
// discovery document and its tokens' iss claim write it, and the audience
// its tokens must name for this installation.
type Issuer struct {
	URL      string
	Audience string
}

// Config configures a Verifier.
type Config struct {
	Issuers []Issuer
	// SubjectClaim names the claim that carries a subject's identifier in
	// Probity's scheme:value form; "" if tokens never name subjects.
	SubjectClaim string
	// Skew is the clock skew allowed on exp, nbf and iat (default 60s, at
	// most 5 minutes).
	Skew time.Duration
	// KeyRefresh is the least time between two fetches of an issuer's keys
	// for a key id the cache lacks (default 30s): a caller inventing key
	// ids cannot make the server hammer the provider.
	KeyRefresh time.Duration
	// Client fetches discovery documents and keys (default: 10s timeout).
	Client *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// MaxSkew bounds Config.Skew.
const MaxSkew = 5 * time.Minute

// Verifier checks identity providers' tokens; see probity.ExternalVerifier.
type Verifier struct {
	cfg     Config
	issuers map[string]*issuer
	proofs  *replayCache
}

var _ probity.ExternalVerifier = (*Verifier)(nil)

// New returns a Verifier for cfg. It checks the configuration, not the
// providers: each is discovered on the first token it issued.
func New(cfg Config) (*Verifier, error) {
	if len(cfg.Issuers) == 0 {
		return nil, fmt.Errorf("no identity provider issuer configured")
	}
	switch {
	case cfg.Skew == 0:
		cfg.Skew = time.Minute
	case cfg.Skew < 0 || cfg.Skew > MaxSkew:
		return nil, fmt.Errorf("clock skew %s: want between 0 and %s", cfg.Skew, MaxSkew)
	}
	if cfg.KeyRefresh <= 0 {
		cfg.KeyRefresh = 30 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	v := &Verifier{cfg: cfg, issuers: map[string]*issuer{}, proofs: newReplayCache(100_000)}
	for i, is := range cfg.Issuers {
		if err := CheckIssuer(fmt.Sprintf("issuer %d", i+1), is.URL); err != nil {
			return nil, errors.New(probity.ErrorMessage(err))
		}
		if strings.TrimSpace(is.Audience) == "" {
			return nil, fmt.Errorf("issuer %s: no audience: name the audience its tokens carry for this installation (--oidc-audience)", is.URL)
		}
		if _, dup := v.issuers[is.URL]; dup {
			return nil, fmt.Errorf("issuer %s is configured twice", is.URL)
		}
		v.issuers[is.URL] = &issuer{Issuer: is, v: v}
	}
	return v, nil
}

// Issuers returns the configured issuers' URLs, sorted.
func (v *Verifier) Issuers() []string {
	out := make([]string, 0, len(v.issuers))
	for u := range v.issuers {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

// claims are the claims read from a verified token.
type claims struct {
	Subject   string           `json:"sub"`
	Expiry    *jwt.NumericDate `json:"exp"`
	NotBefore *jwt.NumericDate `json:"nbf"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	Cnf       struct {
		JKT     string `json:"jkt"`
		X5tS256 string `json:"x5t#S256"`
	} `json:"cnf"`
}

// Verify checks an access token presented as p; see
// probity.ExternalVerifier.
func (v *Verifier) Verify(ctx context.Context, raw string, p probity.Presentation) (*probity.ExternalToken, error) {
	tok, err := jwt.ParseSigned(raw, Algorithms)
	if err != nil {
		if other, err2 := jwt.ParseSigned(raw, anyAlgorithm); err2 == nil && len(other.Headers) == 1 {
			return nil, refused("the token is signed with %s; accepted: RS256, ES256, EdDSA", other.Headers[0].Algorithm)
		}
		return nil, refused("the token is not a signed JWT: %v", err)
	}
	var unverified struct {
		Issuer string `json:"iss"`
	}
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return nil, refused("the token's claims cannot be read: %v", err)
	}
	is := v.issuers[unverified.Issuer]
	if is == nil {
		return nil, refused("issuer %s is not configured here (trusted: %s)", probity.Quote(unverified.Issuer), strings.Join(v.Issuers(), ", "))
	}
	verifier, err := is.verifier(ctx)
	if err != nil {
		return nil, err
	}
	var keyErr error // what the key set said, which go-oidc wraps as text
	idt, err := verifier.Verify(context.WithValue(ctx, keyErrKey{}, &keyErr), raw)
	if err != nil {
		return nil, is.explain(tok, err, keyErr)
	}
	var c claims
	extra := map[string]any{}
	if err := idt.Claims(&c); err != nil {
		return nil, refused("the token's claims cannot be read: %v", err)
	}
	if err := idt.Claims(&extra); err != nil {
		return nil, refused("the token's claims cannot be read: %v", err)
	}
	now := v.cfg.Now()
	switch {
	case c.Subject == "":
		return nil, refused("the token from %s has no subject (sub)", is.URL)
	case c.Expiry == nil:
		return nil, refused("the token from %s has no expiry (exp)", is.URL)
	case c.NotBefore != nil && c.NotBefore.Time().After(now.Add(v.cfg.Skew)):
		return nil, refused("the token is not valid before %s", c.NotBefore.Time().UTC().Format(time.RFC3339))
	case c.IssuedAt != nil && c.IssuedAt.Time().After(now.Add(v.cfg.Skew)):
		return nil, refused("the token says it was issued at %s, in the future", c.IssuedAt.Time().UTC().Format(time.RFC3339))
	}
	if err := v.checkBinding(raw, &c, p, now); err != nil {
		return nil, err
	}
	t := &probity.ExternalToken{Issuer: is.URL, Subject: c.Subject, Expiry: c.Expiry.Time()}
	if v.cfg.SubjectClaim != "" {
		if id, ok := extra[v.cfg.SubjectClaim].(string); ok {
			t.SubjectID = id
		}
	}
	return t, nil
}

// refused is an EUNAUTHORIZED error saying why.
func refused(format string, args ...any) error {
	return probity.Errorf(probity.EUNAUTHORIZED, "token refused: "+format, args...)
}

// issuer is one trusted provider and, once discovered, its verifier.
type issuer struct {
	Issuer
	v *Verifier

	mu       sync.Mutex
	checker  *oidc.IDTokenVerifier
	keys     *keySet
	failedAt time.Time
	failure  error
}

// retryDiscovery is how long a failed discovery is remembered: tokens of
// an unreachable provider are refused quickly, and it is tried again after.
const retryDiscovery = 10 * time.Second

// verifier discovers the issuer on first use.
func (is *issuer) verifier(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	is.mu.Lock()
	defer is.mu.Unlock()
	if is.checker != nil {
		return is.checker, nil
	}
	if now := is.v.cfg.Now(); now.Sub(is.failedAt) < retryDiscovery {
		return nil, is.failure
	}
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, is.v.cfg.Client), is.URL)
	if err != nil {
		is.failedAt = is.v.cfg.Now()
		is.failure = probity.Errorf(probity.EUNAVAILABLE, "identity provider %s cannot be reached to check the token: %v", is.URL, err)
		return nil, is.failure
	}
	var meta struct {
		JWKS string `json:"jwks_uri"`
	}
	if err := provider.Claims(&meta); err != nil || meta.JWKS == "" {
		is.failedAt = is.v.cfg.Now()
		is.failure = probity.Errorf(probity.EUNAVAILABLE, "identity provider %s publishes no jwks_uri in its discovery document", is.URL)
		return nil, is.failure
	}
	is.keys = &keySet{url: meta.JWKS, client: is.v.cfg.Client, refresh: is.v.cfg.KeyRefresh, now: is.v.cfg.Now}
	skew := is.v.cfg.Skew
	is.checker = oidc.NewVerifier(is.URL, is.keys, &oidc.Config{ClientID: is.Audience, SupportedSigningAlgs: algorithmNames(),
		Now: func() time.Time { return is.v.cfg.Now().Add(-skew) }})
	return is.checker, nil
}

// explain turns go-oidc's refusal into words a caller can act on.
func (is *issuer) explain(tok *jwt.JSONWebToken, err, keyErr error) error {
	var expired *oidc.TokenExpiredError
	var unknown *unknownKeyError
	var fetch *fetchError
	switch msg := err.Error(); {
	case errors.As(err, &expired):
		return refused("the token expired at %s", expired.Expiry.UTC().Format(time.RFC3339))
	case errors.As(keyErr, &unknown):
		return refused("the token is signed with key %s, which issuer %s does not publish", probity.Quote(unknown.kid), is.URL)
	case errors.As(keyErr, &fetch):
		return probity.Errorf(probity.EUNAVAILABLE, "identity provider %s: its keys cannot be fetched to check the token: %v", is.URL, fetch.err)
	case strings.Contains(msg, "expected audience"):
		var aud struct {
			Audience jwt.Audience `json:"aud"`
		}
		_ = tok.UnsafeClaimsWithoutVerification(&aud)
		return refused("the token is for audience %s, not %s (this installation's audience for issuer %s)",
			probity.Quote(strings.Join(aud.Audience, ", ")), probity.Quote(is.Audience), is.URL)
	case strings.Contains(msg, "failed to verify signature"):
		return refused("the token's signature does not verify with the key issuer %s publishes for it", is.URL)
	case strings.Contains(msg, "issued by a different provider"):
		return refused("the token's issuer does not match its provider's discovery document (%s)", is.URL)
	}
	return refused("%v", err)
}
