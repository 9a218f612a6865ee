package statement_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/probity-dev/probity/statement"
)

// fixture issues a statement of grade, score, domain and subject bound to
// a holder's key, under an issuer's key.
type fixture struct {
	issuer, holder ed25519.PrivateKey
	keys           jose.JSONWebKeySet
	sdjwt          string
	now            time.Time
	revoked        []int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	_, issuer, _ := ed25519.GenerateKey(rand.Reader)
	_, holder, _ := ed25519.GenerateKey(rand.Reader)
	f := &fixture{issuer: issuer, holder: holder, now: time.Now(),
		keys: jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: issuer.Public(), KeyID: "k1", Algorithm: string(jose.EdDSA), Use: "sig"}}}}
	cnf := jose.JSONWebKey{Key: holder.Public()}
	var err error
	f.sdjwt, err = statement.Issue(issuer, jose.EdDSA, "k1", map[string]any{
		"iss": "https://probity.example", "iat": f.now.Unix(), "exp": f.now.Add(24 * time.Hour).Unix(), "vct": statement.VCT,
		"cnf":    map[string]any{"jwk": cnf},
		"status": map[string]any{"status_list": map[string]any{"idx": 3, "uri": "https://probity.example/statuslists/acme.lending"}},
	}, map[string]any{"grade": "B", "score": 708, "domain": "acme.lending", "subject": "cn-rid:11010519491231002X", "as_of": "2026-12-01"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) options() statement.Options {
	return statement.Options{Keys: f.keys, Audience: "landlord", Nonce: "n-1", Now: f.now, Status: func(uri string) (string, error) {
		lst, err := statement.EncodeStatusList(16, f.revoked)
		if err != nil {
			return "", err
		}
		return statement.SignJWT(f.issuer, jose.EdDSA, "k1", statement.StatusListType, map[string]any{
			"sub": uri, "iat": f.now.Unix(), "status_list": map[string]any{"bits": 1, "lst": lst}})
	}}
}

func (f *fixture) present(t *testing.T, reveal ...string) string {
	t.Helper()
	p, err := statement.Present(f.sdjwt, reveal, f.holder, jose.EdDSA, "landlord", "n-1", f.now)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestVerify(t *testing.T) {
	f := newFixture(t)
	t.Run("OKRevealsOnlyWhatIsPresented", func(t *testing.T) {
		v, err := statement.Verify(f.present(t, "grade", "domain", "as_of"), f.options())
		if err != nil {
			t.Fatal(err)
		}
		if v.Claims["grade"] != "B" || v.Claims["domain"] != "acme.lending" || v.Claims["as_of"] != "2026-12-01" || len(v.Claims) != 3 {
			t.Fatalf("claims = %v; want grade, domain and as_of only", v.Claims)
		}
	})
	t.Run("OKUndisclosedNeverInThePresentation", func(t *testing.T) {
		p := f.present(t, "grade")
		for _, secret := range []string{"708", "cn-rid", "11010519491231002X", "score", "subject"} {
			jwt, ds, kb, _ := statement.Split(p)
			all := jwt + strings.Join(ds, "") + kb
			if strings.Contains(decodeAll(t, all), secret) {
				t.Fatalf("a presentation revealing only the grade carries %q", secret)
			}
		}
	})
	t.Run("ErrAnotherHoldersKey", func(t *testing.T) {
		_, other, _ := ed25519.GenerateKey(rand.Reader)
		p, err := statement.Present(f.sdjwt, []string{"grade"}, other, jose.EdDSA, "landlord", "n-1", f.now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := statement.Verify(p, f.options()); err == nil || !strings.Contains(err.Error(), "holder binding") {
			t.Fatalf("a copy presented with another key: %v; want refused for holder binding", err)
		}
	})
	t.Run("ErrNoKeyBinding", func(t *testing.T) {
		if _, err := statement.Verify(f.sdjwt, f.options()); err == nil || !strings.Contains(err.Error(), "key-binding") {
			t.Fatalf("the statement as issued, without the holder's signature: %v", err)
		}
	})
	t.Run("ErrTamperedDisclosure", func(t *testing.T) {
		other, err := statement.NewDisclosure("grade", "A")
		if err != nil {
			t.Fatal(err)
		}
		jwt, _, _, _ := statement.Split(f.sdjwt)
		forged, err := statement.Present(jwt+"~"+other.Encoded+"~", []string{"grade"}, f.holder, jose.EdDSA, "landlord", "n-1", f.now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := statement.Verify(forged, f.options()); err == nil || !strings.Contains(err.Error(), "not among those the issuer signed") {
			t.Fatalf("a grade A disclosure slipped in: %v", err)
		}
	})
	t.Run("ErrWrongNonce", func(t *testing.T) {
		o := f.options()
		o.Nonce = "n-2"
		if _, err := statement.Verify(f.present(t, "grade"), o); err == nil || !strings.Contains(err.Error(), "nonce") {
			t.Fatalf("a replayed presentation: %v", err)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		o := f.options()
		o.Now = f.now.Add(48 * time.Hour)
		if _, err := statement.Verify(f.present(t, "grade"), o); err == nil || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("two days after its expiry: %v", err)
		}
	})
	t.Run("ErrRevoked", func(t *testing.T) {
		f.revoked = []int{3}
		defer func() { f.revoked = nil }()
		if _, err := statement.Verify(f.present(t, "grade"), f.options()); err == nil || !strings.Contains(err.Error(), "revoked") {
			t.Fatalf("a revoked statement: %v", err)
		}
	})
	t.Run("ErrOtherIssuer", func(t *testing.T) {
		o := f.options()
		_, stranger, _ := ed25519.GenerateKey(rand.Reader)
		o.Keys = jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: stranger.Public(), KeyID: "k1"}}}
		if _, err := statement.Verify(f.present(t, "grade"), o); err == nil || !strings.Contains(err.Error(), "issuer's signature") {
			t.Fatalf("verified with another issuer's key: %v", err)
		}
	})
}

func TestStatusList(t *testing.T) {
	lst, err := statement.EncodeStatusList(20, []int{0, 9, 19})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		got, err := statement.StatusAt(lst, 1, i)
		want := 0
		if i == 0 || i == 9 || i == 19 {
			want = 1
		}
		if err != nil || got != want {
			t.Fatalf("status %d = %d, %v; want %d", i, got, err, want)
		}
	}
}

// decodeAll base64url-decodes every dot- or tilde-separated part it can,
// so that a test can look for a value in what a presentation carries.
func decodeAll(t *testing.T, s string) string {
	t.Helper()
	var out strings.Builder
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '~' }) {
		if raw, err := b64decode(part); err == nil {
			out.Write(raw)
		}
		out.WriteString(part)
	}
	return out.String()
}
