// Package idptest runs a real OpenID provider on 127.0.0.1 for tests:
// github.com/zitadel/oidc's op package, serving a real discovery document,
// a real JWKS and a real token endpoint, with the in-memory storage of its
// example server, to which it adds clients whose client-credentials grant
// yields JWT access tokens for a chosen audience, lifetime and extra claims,
// and signing keys that can be rotated.
package idptest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Provider is a running OpenID provider.
type Provider struct {
	// URL is the issuer: http://127.0.0.1:PORT, no trailing slash.
	URL   string
	store *store
}

// Client is a client-credentials client of the provider.
type Client struct {
	ID, Secret string
	// Audience is the aud of its access tokens.
	Audience string
	// Lifetime of its tokens (default 5 minutes); negative: already expired.
	Lifetime time.Duration
	// Claims are added to its tokens (cnf, a subject claim, ...).
	Claims map[string]any
}

// Start runs a provider until the test ends.
func Start(tb testing.TB) *Provider {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	s := &store{Storage: storage.NewStorageWithClients(storage.NewUserStore(issuer), map[string]*storage.Client{}), clients: map[string]*Client{},
		portals: map[string]*portalClient{}, userClaims: map[string]map[string]any{}}
	s.rotate(false)
	// the example server of zitadel/oidc: its provider (PKCE required of
	// the code flow) and its username and password login pages
	handler := exampleop.SetupServer(issuer, s, nil, false)
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	return &Provider{URL: issuer, store: s}
}

// AddClient registers a client.
func (p *Provider) AddClient(c Client) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	if c.Lifetime == 0 {
		c.Lifetime = 5 * time.Minute
	}
	p.store.clients[c.ID] = &c
}

// Token asks the provider's token endpoint for an access token by the
// client-credentials grant, as an institution's system would.
func (p *Provider) Token(tb testing.TB, clientID string) string {
	tb.Helper()
	p.store.mu.Lock()
	c := p.store.clients[clientID]
	p.store.mu.Unlock()
	if c == nil {
		tb.Fatalf("no client %s", clientID)
	}
	form := url.Values{"grant_type": {string(oidc.GrantTypeClientCredentials)}, "scope": {"openid"}}
	req, err := http.NewRequest(http.MethodPost, p.URL+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.Secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AccessToken == "" {
		tb.Fatalf("token for %s: %s %v %s: %s", clientID, resp.Status, err, out.Error, out.Description)
	}
	return out.AccessToken
}

// User is the provider's user the login page accepts: its username, and
// its password is Password. Its ID token carries the claims of SetClaims.
func (p *Provider) User() string {
	host, _, _ := strings.Cut(strings.TrimPrefix(p.URL, "http://"), ":")
	return "test-user@" + host
}

// Password is the password of User.
const Password = "verysecure"

// userID is the store's id of User.
const userID = "id1"

// SetClaims sets claims of User's ID tokens (the subject claim, say).
func (p *Provider) SetClaims(claims map[string]any) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.userClaims[userID] = claims
}

// AddPortal registers a web client of the authorization code flow, whose
// users sign in on the provider's login page and come back to redirect.
func (p *Provider) AddPortal(id, secret, redirect string) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.portals[id] = &portalClient{Client: storage.WebClient(id, secret, redirect), secret: secret}
}

// Rotate makes a new key the signing key. With keepOld the previous keys
// stay published (a rotation with overlap); without, only the new one is.
func (p *Provider) Rotate(keepOld bool) { p.store.rotate(keepOld) }

// SigningKey returns the current signing key, for tests that forge tokens
// with it (an HMAC keyed with its public key, say).
func (p *Provider) SigningKey() *rsa.PrivateKey {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	return p.store.keys[len(p.store.keys)-1].key
}

// store is the example server's storage with this package's clients and
// keys.
type store struct {
	*storage.Storage

	mu         sync.Mutex
	clients    map[string]*Client
	portals    map[string]*portalClient
	userClaims map[string]map[string]any
	keys       []*key // published; the last one signs
	serial     int
}

// GetClientByClientID finds the portal clients besides the example's.
func (s *store) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	c := s.portals[id]
	s.mu.Unlock()
	if c != nil {
		return c, nil
	}
	return s.Storage.GetClientByClientID(ctx, id)
}

// AuthorizeClientIDSecret authenticates the portal clients at the token
// endpoint.
func (s *store) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	s.mu.Lock()
	c := s.portals[id]
	s.mu.Unlock()
	if c == nil || c.secret != secret {
		return errors.New("wrong client id or secret")
	}
	return nil
}

// SetUserinfoFromRequest adds the user's extra claims to its ID token.
func (s *store) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, req, scopes); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.userClaims[req.GetSubject()] {
		info.AppendClaims(k, v)
	}
	return nil
}

func (s *store) rotate(keepOld bool) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.serial++
	nk := &key{id: fmt.Sprintf("key-%d", s.serial), key: k}
	if !keepOld {
		s.keys = nil
	}
	s.keys = append(s.keys, nk)
}

func (s *store) client(id string) (*Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.clients[id]
	if c == nil {
		return nil, errors.New("no such client")
	}
	return c, nil
}

// ClientCredentials authenticates a client of the client-credentials grant.
func (s *store) ClientCredentials(ctx context.Context, id, secret string) (op.Client, error) {
	c, err := s.client(id)
	if err != nil || c.Secret != secret {
		return nil, errors.New("wrong client id or secret")
	}
	return &jwtClient{Client: storage.WebClient(c.ID, c.Secret)}, nil
}

// ClientCredentialsTokenRequest makes the token request of a client: its
// subject is its client id, its audience the client's.
func (s *store) ClientCredentialsTokenRequest(ctx context.Context, id string, scopes []string) (op.TokenRequest, error) {
	c, err := s.client(id)
	if err != nil {
		return nil, err
	}
	return &oidc.JWTTokenRequest{Subject: c.ID, Audience: []string{c.Audience}, Scopes: scopes}, nil
}

// CreateAccessToken gives the token the client's lifetime.
func (s *store) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	id, _, err := s.Storage.CreateAccessToken(ctx, req)
	if err != nil {
		return "", time.Time{}, err
	}
	lifetime := 5 * time.Minute
	if c, err := s.client(req.GetSubject()); err == nil {
		lifetime = c.Lifetime
	}
	return id, time.Now().Add(lifetime), nil
}

// GetPrivateClaimsFromScopes adds the client's extra claims.
func (s *store) GetPrivateClaimsFromScopes(ctx context.Context, userID, clientID string, scopes []string) (map[string]any, error) {
	c, err := s.client(userID)
	if err != nil {
		return s.Storage.GetPrivateClaimsFromScopes(ctx, userID, clientID, scopes)
	}
	return c.Claims, nil
}

// SigningKey is the newest key.
func (s *store) SigningKey(context.Context) (op.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[len(s.keys)-1], nil
}

// SignatureAlgorithms are RS256 only.
func (s *store) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// KeySet is every published key.
func (s *store) KeySet(context.Context) ([]op.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]op.Key, len(s.keys))
	for i, k := range s.keys {
		out[i] = publicKey{k}
	}
	return out, nil
}

// key is an RSA signing key.
type key struct {
	id  string
	key *rsa.PrivateKey
}

func (k *key) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *key) Key() any                                    { return k.key }
func (k *key) ID() string                                  { return k.id }

type publicKey struct{ k *key }

func (p publicKey) ID() string                         { return p.k.id }
func (p publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (p publicKey) Use() string                        { return "sig" }
func (p publicKey) Key() any                           { return &p.k.key.PublicKey }

// portalClient is a web client of the code flow on plain http (the test's
// 127.0.0.1), which the provider allows in its development mode only.
type portalClient struct {
	*storage.Client
	secret string
}

func (c *portalClient) DevMode() bool { return true }

// jwtClient is a client whose access tokens are JWTs.
type jwtClient struct{ *storage.Client }

func (c *jwtClient) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeJWT }
func (c *jwtClient) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeClientCredentials}
}
