package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity/idp/idptest"
)

// TestServeWithIdentityProvider is issue 16's first item as an operator
// would try it: a real OpenID provider on 127.0.0.1; principals bound to
// its clients with probity token create --issuer --external-subject; serve
// with --oidc-issuer over mutual TLS. The provider's tokens act as their
// principals; a token bound to a client certificate only over a connection
// made with it; a revoked principal's tokens are refused at once, saying so.
func TestServeWithIdentityProvider(t *testing.T) {
	const aud = "https://probity.test/api"
	p := idptest.Start(t)
	dir := t.TempDir()
	pki := newTestPKI(t, dir)
	p.AddClient(idptest.Client{ID: "acme-systems", Secret: "s1", Audience: aud})
	holder, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p.AddClient(idptest.Client{ID: "acme-dpop", Secret: "s3", Audience: aud,
		Claims: map[string]any{"cnf": map[string]any{"jkt": idptest.Thumbprint(t, holder)}}})
	p.AddClient(idptest.Client{ID: "acme-mtls", Secret: "s2", Audience: aud,
		Claims: map[string]any{"cnf": map[string]any{"x5t#S256": pki.clientThumbprint}}})
	data := filepath.Join(dir, "data")

	out := mustRun(t, "token", "create", "--data", data, "--name", "ACME systems", "--grant", "auditor", "--issuer", p.URL, "--external-subject", "acme-systems")
	if !strings.Contains(out, `bound to subject "acme-systems" of issuer `+p.URL) || strings.Contains(out, "prb_") {
		t.Fatalf("token create --issuer printed:\n%s\nwant the binding and no token", out)
	}
	id := regexp.MustCompile(`principal (\S+) `).FindStringSubmatch(out)[1]
	mustRun(t, "token", "create", "--data", data, "--name", "ACME mTLS", "--grant", "auditor", "--issuer", p.URL, "--external-subject", "acme-mtls")
	mustRun(t, "token", "create", "--data", data, "--name", "ACME DPoP", "--grant", "auditor", "--issuer", p.URL, "--external-subject", "acme-dpop")
	if list := mustRun(t, "token", "list", "--data", data); !strings.Contains(list, "acme-mtls at "+p.URL) {
		t.Fatalf("token list does not say whose tokens the bound principal takes:\n%s", list)
	}
	if _, _, err := run(t, nil, "", "token", "create", "--data", data, "--name", "again", "--grant", "auditor", "--issuer", p.URL, "--external-subject", "acme-systems"); err == nil ||
		!strings.Contains(err.Error(), "already bound") {
		t.Fatalf("a second principal bound to the same identity: %v; want a conflict", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, done := runUntilServing(t, ctx, "serve", "--data", data, "--addr", "127.0.0.1:0", "--oidc-issuer", p.URL, "--oidc-audience", aud,
		"--tls-cert", pki.serverCert, "--tls-key", pki.serverKey, "--tls-client-ca", pki.caFile,
		"--oidc-subject-claim", "probity_subject", "--oidc-client-id", "probity-portal")
	base := servingURL(t, stdout)
	get := func(t *testing.T, client *http.Client, auth string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+"/v1/principals", nil)
		req.Header.Set("Authorization", auth)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	plain, withCert := pki.clients(t)

	t.Run("OK", func(t *testing.T) {
		if status, body := get(t, plain, "Bearer "+p.Token(t, "acme-systems")); status != 200 || !strings.Contains(body, `"external_subject":"acme-systems"`) {
			t.Fatalf("GET /v1/principals with the provider's token = %d %s; want 200 listing the bound principals", status, body)
		}
	})
	t.Run("PortalOffersProvider", func(t *testing.T) {
		resp, err := plain.Get(base + "/signin")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(page), "Sign in with "+p.URL) {
			t.Fatalf("serve --oidc-client-id: the sign-in page does not offer the provider:\n%s", page)
		}
	})
	t.Run("MTLSBound", func(t *testing.T) {
		tok := p.Token(t, "acme-mtls")
		if status, body := get(t, plain, "Bearer "+tok); status != 401 || !strings.Contains(body, "presented none") {
			t.Fatalf("a certificate-bound token without the certificate = %d %s; want 401 saying none was presented", status, body)
		}
		if status, body := get(t, withCert, "Bearer "+tok); status != 200 {
			t.Fatalf("a certificate-bound token with its certificate = %d %s; want 200", status, body)
		}
	})
	t.Run("DPoPBound", func(t *testing.T) {
		tok := p.Token(t, "acme-dpop")
		req, _ := http.NewRequest("GET", base+"/v1/principals", nil)
		req.Header.Set("Authorization", "DPoP "+tok)
		req.Header.Set("DPoP", idptest.DPoPProof(t, holder, "GET", base+"/v1/principals", tok, "p-1", time.Now()))
		resp, err := plain.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("a DPoP-bound token with its proof for this very request = %d %s; want 200", resp.StatusCode, body)
		}
		if status, body := get(t, plain, "Bearer "+tok); status != 401 || !strings.Contains(body, "DPoP") {
			t.Fatalf("the DPoP-bound token sent as Bearer = %d %s; want 401 asking for DPoP", status, body)
		}
	})
	t.Run("ErrRevokedAtOnce", func(t *testing.T) {
		tok := p.Token(t, "acme-systems")
		req, _ := http.NewRequest("DELETE", base+"/v1/principals/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+readOperatorToken(t, data))
		resp, err := plain.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("revoke: %v %v", resp, err)
		}
		resp.Body.Close()
		status, body := get(t, plain, "Bearer "+tok)
		var e struct {
			Error struct{ Message string } `json:"error"`
		}
		json.Unmarshal([]byte(body), &e)
		if status != 401 || !strings.Contains(e.Error.Message, "was revoked at") {
			t.Fatalf("a revoked principal's still unexpired token = %d %s; want 401 saying it was revoked", status, body)
		}
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestServeIdentityProviderFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"ErrNoAudience", []string{"--oidc-issuer", "https://login.example.com"}, "--oidc-audience"},
		{"ErrAudienceAlone", []string{"--oidc-audience", "x"}, "need an --oidc-issuer"},
		{"ErrPlainHTTP", []string{"--oidc-issuer", "http://login.example.com", "--oidc-audience", "x"}, "plain http"},
		{"ErrAudiences", []string{"--oidc-issuer", "https://a.example", "--oidc-issuer", "https://b.example", "--oidc-issuer", "https://c.example",
			"--oidc-audience", "x", "--oidc-audience", "y"}, "2 --oidc-audience for 3"},
		{"ErrClientCAWithoutTLS", []string{"--tls-client-ca", "ca.pem"}, "--tls-client-ca needs --tls-cert"},
		{"ErrPortalWithoutClaim", []string{"--oidc-issuer", "https://a.example", "--oidc-audience", "x", "--oidc-client-id", "portal"}, "--oidc-subject-claim"},
		{"ErrPortalWithoutIssuer", []string{"--oidc-client-id", "portal"}, "needs an --oidc-issuer"},
		{"ErrSecretWithoutClient", []string{"--oidc-client-secret-file", "secret"}, "needs --oidc-client-id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := run(t, nil, "", append([]string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("serve %v: %v; want an error saying %q", tc.args, err, tc.want)
			}
		})
	}
}

// testPKI is a certificate authority, a server certificate for 127.0.0.1
// and a client certificate, in PEM files.
type testPKI struct {
	caFile, serverCert, serverKey string
	pool                          *x509.CertPool
	client                        tls.Certificate
	clientThumbprint              string // base64url SHA-256 of its DER
}

func newTestPKI(t *testing.T, dir string) *testPKI {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leaf := func(name string, usage x509.ExtKeyUsage, ip bool) ([]byte, *ecdsa.PrivateKey) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{usage}}
		if ip {
			tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	write := func(name, kind string, der []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	k := &testPKI{caFile: write("ca.pem", "CERTIFICATE", caDER), pool: x509.NewCertPool()}
	k.pool.AddCert(ca)
	srvDER, srvKey := leaf("127.0.0.1", x509.ExtKeyUsageServerAuth, true)
	srvKeyDER, _ := x509.MarshalECPrivateKey(srvKey)
	k.serverCert, k.serverKey = write("server.pem", "CERTIFICATE", srvDER), write("server.key", "EC PRIVATE KEY", srvKeyDER)
	cliDER, cliKey := leaf("acme-mtls", x509.ExtKeyUsageClientAuth, false)
	k.client = tls.Certificate{Certificate: [][]byte{cliDER}, PrivateKey: cliKey}
	sum := sha256.Sum256(cliDER)
	k.clientThumbprint = base64.RawURLEncoding.EncodeToString(sum[:])
	return k
}

// clients returns an HTTPS client without a certificate and one with the
// client certificate, both trusting the test CA.
func (k *testPKI) clients(t *testing.T) (*http.Client, *http.Client) {
	t.Helper()
	mk := func(certs ...tls.Certificate) *http.Client {
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: k.pool, Certificates: certs}}}
	}
	return mk(), mk(k.client)
}
