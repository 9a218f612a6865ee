package idp_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/idp"
	"github.com/probity-dev/probity/idp/idptest"
)

const audience = "https://probity.example/api"

// newVerifier trusts the providers given, with audience for each.
func newVerifier(t *testing.T, cfg idp.Config, providers ...*idptest.Provider) *idp.Verifier {
	t.Helper()
	for _, p := range providers {
		cfg.Issuers = append(cfg.Issuers, idp.Issuer{URL: p.URL, Audience: audience})
	}
	v, err := idp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var bearer = probity.Presentation{Method: "GET", URL: "http://127.0.0.1/v1/domains", Scheme: "Bearer"}

// refusedWith checks that err is an EUNAUTHORIZED refusal saying want.
func refusedWith(t *testing.T, err error, want string) {
	t.Helper()
	if probity.ErrorCode(err) != probity.EUNAUTHORIZED || !strings.Contains(probity.ErrorMessage(err), want) {
		t.Fatalf("err = %v (%s); want EUNAUTHORIZED saying %q", err, probity.ErrorCode(err), want)
	}
}

func TestVerify(t *testing.T) {
	p := idptest.Start(t)
	p.AddClient(idptest.Client{ID: "acme-credit", Secret: "s1", Audience: audience})
	p.AddClient(idptest.Client{ID: "other-aud", Secret: "s2", Audience: "https://elsewhere.example"})
	p.AddClient(idptest.Client{ID: "expired", Secret: "s3", Audience: audience, Lifetime: -10 * time.Minute})
	p.AddClient(idptest.Client{ID: "citizen", Secret: "s4", Audience: audience, Claims: map[string]any{"probity_subject": "person:alice"}})
	other := idptest.Start(t)
	other.AddClient(idptest.Client{ID: "acme-credit", Secret: "s1", Audience: audience})
	v := newVerifier(t, idp.Config{SubjectClaim: "probity_subject"}, p)
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		got, err := v.Verify(ctx, p.Token(t, "acme-credit"), bearer)
		if err != nil {
			t.Fatal(err)
		}
		if got.Issuer != p.URL || got.Subject != "acme-credit" || got.SubjectID != "" {
			t.Fatalf("Verify = %+v; want issuer %s, subject acme-credit, no subject id", got, p.URL)
		}
	})
	t.Run("SubjectClaim", func(t *testing.T) {
		got, err := v.Verify(ctx, p.Token(t, "citizen"), bearer)
		if err != nil || got.SubjectID != "person:alice" {
			t.Fatalf("Verify = %+v, %v; want the subject claim person:alice", got, err)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		_, err := v.Verify(ctx, p.Token(t, "expired"), bearer)
		refusedWith(t, err, "expired at")
	})
	t.Run("ErrAudience", func(t *testing.T) {
		_, err := v.Verify(ctx, p.Token(t, "other-aud"), bearer)
		refusedWith(t, err, `for audience "https://elsewhere.example"`)
	})
	t.Run("ErrIssuerNotConfigured", func(t *testing.T) {
		_, err := v.Verify(ctx, other.Token(t, "acme-credit"), bearer)
		refusedWith(t, err, "is not configured here")
	})
	t.Run("ErrAlgNone", func(t *testing.T) {
		good := p.Token(t, "acme-credit")
		parts := strings.Split(good, ".")
		none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
		_, err := v.Verify(ctx, none, bearer)
		refusedWith(t, err, "signed with none")
	})
	t.Run("ErrHS256WithPublicKey", func(t *testing.T) {
		// the classic confusion: an HMAC keyed with the issuer's public key
		pub, err := x509.MarshalPKIXPublicKey(&p.SigningKey().PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		forged := sign(t, jose.SigningKey{Algorithm: jose.HS256, Key: pub}, claimsOf(t, p.Token(t, "acme-credit")), nil)
		_, err = v.Verify(ctx, forged, bearer)
		refusedWith(t, err, "signed with HS256")
	})
	t.Run("ErrForeignKey", func(t *testing.T) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		forged := sign(t, jose.SigningKey{Algorithm: jose.ES256, Key: k}, claimsOf(t, p.Token(t, "acme-credit")), nil)
		_, err := v.Verify(ctx, forged, bearer)
		refusedWith(t, err, "token refused")
	})
	t.Run("ErrTampered", func(t *testing.T) {
		good := p.Token(t, "acme-credit")
		parts := strings.Split(good, ".")
		c := claimsOf(t, good)
		c["sub"] = "someone-else"
		body, _ := json.Marshal(c)
		_, err := v.Verify(ctx, parts[0]+"."+base64.RawURLEncoding.EncodeToString(body)+"."+parts[2], bearer)
		refusedWith(t, err, "signature does not verify")
	})
}

// claimsOf returns a token's claims, unverified.
func claimsOf(t *testing.T, raw string) map[string]any {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, idp.Algorithms)
	if err != nil {
		t.Fatal(err)
	}
	c := map[string]any{}
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// sign makes a JWS of claims, with extra header fields.
func sign(t *testing.T, key jose.SigningKey, claims any, headers map[jose.HeaderKey]any) string {
	t.Helper()
	opts := &jose.SignerOptions{ExtraHeaders: headers}
	s, err := jose.NewSigner(key, opts.WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// countingClient counts the requests for the provider's keys.
func countingClient(n *atomic.Int64) *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		if strings.HasSuffix(r.URL.Path, "/keys") {
			n.Add(1)
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestKeyRotation(t *testing.T) {
	p := idptest.Start(t)
	p.AddClient(idptest.Client{ID: "acme-credit", Secret: "s1", Audience: audience})
	var fetches atomic.Int64
	now := time.Now()
	clock := func() time.Time { return now }
	v := newVerifier(t, idp.Config{Client: countingClient(&fetches), KeyRefresh: time.Minute, Now: clock}, p)
	ctx := context.Background()
	old := p.Token(t, "acme-credit")
	if _, err := v.Verify(ctx, old, bearer); err != nil {
		t.Fatal(err)
	}

	t.Run("ErrUnknownKeyBounded", func(t *testing.T) {
		// tokens naming keys nobody published cost at most one fetch a minute
		before := fetches.Load()
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		for i := range 20 {
			forged := sign(t, jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: k, KeyID: "invented-" + string(rune('a'+i))}}, claimsOf(t, old), nil)
			_, err := v.Verify(ctx, forged, bearer)
			refusedWith(t, err, "which issuer "+p.URL+" does not publish")
		}
		if got := fetches.Load() - before; got > 1 {
			t.Fatalf("20 tokens with unknown key ids made %d fetches of the keys; want at most 1 a minute", got)
		}
	})
	t.Run("RotationPickedUp", func(t *testing.T) {
		now = now.Add(2 * time.Minute)
		p.Rotate(false) // the old key is withdrawn
		fresh := p.Token(t, "acme-credit")
		if _, err := v.Verify(ctx, fresh, bearer); err != nil {
			t.Fatalf("a token signed with the new key: %v; want it accepted after one refresh", err)
		}
		_, err := v.Verify(ctx, old, bearer)
		refusedWith(t, err, "does not publish")
	})
}

func TestUnreachableIssuer(t *testing.T) {
	p := idptest.Start(t)
	p.AddClient(idptest.Client{ID: "acme-credit", Secret: "s1", Audience: audience})
	tok := p.Token(t, "acme-credit")
	v, err := idp.New(idp.Config{Issuers: []idp.Issuer{{URL: p.URL, Audience: audience}},
		Client: &http.Client{Transport: roundTripper(func(*http.Request) (*http.Response, error) { return nil, context.DeadlineExceeded })}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(context.Background(), tok, bearer)
	if probity.ErrorCode(err) != probity.EUNAVAILABLE || !strings.Contains(probity.ErrorMessage(err), "cannot be reached") {
		t.Fatalf("err = %v; want EUNAVAILABLE: the provider cannot be reached", err)
	}
}

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  idp.Config
		want string
	}{
		{"ErrNoIssuer", idp.Config{}, "no identity provider"},
		{"ErrPlainHTTP", idp.Config{Issuers: []idp.Issuer{{URL: "http://login.example.com", Audience: "a"}}}, "plain http"},
		{"ErrNoAudience", idp.Config{Issuers: []idp.Issuer{{URL: "https://login.example.com"}}}, "no audience"},
		{"ErrSkew", idp.Config{Issuers: []idp.Issuer{{URL: "https://login.example.com", Audience: "a"}}, Skew: time.Hour}, "clock skew"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := idp.New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v; want an error saying %q", err, tc.want)
			}
		})
	}
}

func TestSenderConstrained(t *testing.T) {
	holder, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	thief, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert := []byte("the DER of the client's certificate")
	certSum := sha256.Sum256(cert)
	p := idptest.Start(t)
	p.AddClient(idptest.Client{ID: "dpop-bound", Secret: "s1", Audience: audience,
		Claims: map[string]any{"cnf": map[string]any{"jkt": idptest.Thumbprint(t, holder)}}})
	p.AddClient(idptest.Client{ID: "mtls-bound", Secret: "s2", Audience: audience,
		Claims: map[string]any{"cnf": map[string]any{"x5t#S256": base64.RawURLEncoding.EncodeToString(certSum[:])}}})
	p.AddClient(idptest.Client{ID: "unbound", Secret: "s3", Audience: audience})
	v := newVerifier(t, idp.Config{}, p)
	ctx := context.Background()
	const url = "http://127.0.0.1:8080/v1/domains/acme.lending/scores"
	dpop := func(proof string) probity.Presentation {
		return probity.Presentation{Method: "POST", URL: url, Scheme: "DPoP", DPoP: proof}
	}
	tok := p.Token(t, "dpop-bound")

	t.Run("DPoPOK", func(t *testing.T) {
		if _, err := v.Verify(ctx, tok, dpop(idptest.DPoPProof(t, holder, "POST", url, tok, "j1", time.Now()))); err != nil {
			t.Fatal(err)
		}
	})
	for _, tc := range []struct {
		name string
		pres probity.Presentation
		want string
	}{
		{"ErrDPoPAsBearer", probity.Presentation{Method: "POST", URL: url, Scheme: "Bearer"}, "send it as Authorization: DPoP"},
		{"ErrNoProof", dpop(""), "no DPoP proof"},
		{"ErrReplayed", dpop(idptest.DPoPProof(t, holder, "POST", url, tok, "j1", time.Now())), "used before"},
		{"ErrOtherKey", dpop(idptest.DPoPProof(t, thief, "POST", url, tok, "j2", time.Now())), "another key"},
		{"ErrOtherURL", dpop(idptest.DPoPProof(t, holder, "POST", "http://127.0.0.1:8080/v1/principals", tok, "j3", time.Now())), "not " + url},
		{"ErrOtherMethod", dpop(idptest.DPoPProof(t, holder, "GET", url, tok, "j4", time.Now())), "method"},
		{"ErrOtherToken", dpop(idptest.DPoPProof(t, holder, "POST", url, "another token", "j5", time.Now())), "ath"},
		{"ErrStale", dpop(idptest.DPoPProof(t, holder, "POST", url, tok, "j6", time.Now().Add(-10*time.Minute))), "at most"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(ctx, tok, tc.pres)
			refusedWith(t, err, tc.want)
		})
	}
	t.Run("ErrUnboundAsDPoP", func(t *testing.T) {
		plain := p.Token(t, "unbound")
		_, err := v.Verify(ctx, plain, dpop(idptest.DPoPProof(t, holder, "POST", url, plain, "j7", time.Now())))
		refusedWith(t, err, "not bound to a key")
	})

	mtls := p.Token(t, "mtls-bound")
	t.Run("MTLSOK", func(t *testing.T) {
		if _, err := v.Verify(ctx, mtls, probity.Presentation{Method: "GET", URL: url, Scheme: "Bearer", CertSHA256: certSum[:]}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrMTLSNoCert", func(t *testing.T) {
		_, err := v.Verify(ctx, mtls, bearer)
		refusedWith(t, err, "presented none")
	})
	t.Run("ErrMTLSOtherCert", func(t *testing.T) {
		other := sha256.Sum256([]byte("another certificate"))
		_, err := v.Verify(ctx, mtls, probity.Presentation{Method: "GET", URL: url, Scheme: "Bearer", CertSHA256: other[:]})
		refusedWith(t, err, "another client certificate")
	})
}
