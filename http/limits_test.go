package http_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	phttp "github.com/probity-dev/probity/http"
)

// restart reopens the last started server's services on a new server
// configured by setup.
func restart(t *testing.T, setup func(*phttp.Server)) *phttp.Server {
	t.Helper()
	srv := phttp.NewServer(svc, nil)
	setup(srv)
	if err := srv.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	return srv
}

// TestRateLimit: beyond its burst a principal gets 429 with Retry-After.
func TestRateLimit(t *testing.T) {
	startServer(t)
	srv := restart(t, func(s *phttp.Server) { s.Rate, s.Burst = 1, 3 })
	statuses := map[int]int{}
	for range 6 {
		status, body := call(t, "GET", srv.URL()+"/v1/domains", "", nil)
		statuses[status]++
		if status == 429 && errCode(body) != "rate_limited" {
			t.Fatalf("429 body %v", body)
		}
	}
	if statuses[200] != 3 || statuses[429] != 3 {
		t.Fatalf("statuses = %v, want 3 allowed then 3 refused", statuses)
	}
	req, _ := http.NewRequest("GET", srv.URL()+"/v1/domains", nil)
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("status %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

// TestTLS serves over TLS with --tls-cert and --tls-key.
func TestTLS(t *testing.T) {
	startServer(t)
	cert, key, pool := selfSigned(t)
	srv := restart(t, func(s *phttp.Server) { s.TLSCert, s.TLSKey = cert, key })
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(srv.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil || srv.URL()[:8] != "https://" {
		t.Fatalf("GET %s/healthz: %d over TLS %v", srv.URL(), resp.StatusCode, resp.TLS != nil)
	}
	if resp, err := http.Get("http://" + srv.URL()[8:] + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("plain HTTP to the TLS server: %d, want 400", resp.StatusCode)
		}
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "probity test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	parsed, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(parsed)
	return certFile, keyFile, pool
}
