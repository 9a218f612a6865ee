package http_test

import (
	"context"
	"io"
	"net/http"
	"net/netip"
	"testing"

	phttp "github.com/probity-dev/probity/http"
	"github.com/probity-dev/probity/sqlite"
)

// TestTrustedProxies: behind a trusted proxy, each client is rate-limited
// by the address the proxy saw (X-Forwarded-For, read from the right) and a
// request the proxy received over TLS (X-Forwarded-Proto) is one; the same
// headers from anyone else change nothing.
func TestTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trusted string
		believe bool
	}{
		{"Trusted", "127.0.0.0/8", true},
		{"ErrNotTrusted", "10.0.0.0/8", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			db, err := sqlite.Open(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			serveOver(t, dir, db.DB, nil, 1)
			prefix, err := phttp.ParseProxy(tc.trusted)
			if err != nil {
				t.Fatal(err)
			}
			srv := phttp.NewServer(svc, nil)
			srv.Rate, srv.Burst, srv.TrustedProxies = 1, 1, []netip.Prefix{prefix}
			defer srv.Close(context.Background())
			srv.Pages = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.TLS != nil {
					io.WriteString(w, "https")
				} else {
					io.WriteString(w, "http")
				}
			})
			if err := srv.Open("127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			get := func(path, forwardedFor, proto string) (int, string) {
				t.Helper()
				req, _ := http.NewRequest("GET", srv.URL()+path, nil)
				req.Header.Set("X-Forwarded-For", forwardedFor)
				req.Header.Set("X-Forwarded-Proto", proto)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(body)
			}
			if _, scheme := get("/", "203.0.113.7", "https"); (scheme == "https") != tc.believe {
				t.Fatalf("X-Forwarded-Proto: https made the request %s; believed = %v", scheme, tc.believe)
			}
			// one request a second, burst 1: a second client behind the
			// proxy has its own bucket only if its address is believed
			get("/v1/domains", "198.51.100.1, 203.0.113.8", "http")
			status, _ := get("/v1/domains", "198.51.100.2, 203.0.113.9", "http")
			if (status == 200) != tc.believe {
				t.Fatalf("a second client behind the proxy = %d; its own bucket believed = %v", status, tc.believe)
			}
			if tc.believe {
				// the address the client wrote itself (the left one) is not
				// believed: the proxy's hop, on the right, is
				if status, _ := get("/v1/domains", "203.0.113.8", "http"); status != http.StatusTooManyRequests {
					t.Fatalf("the first client again = %d; want 429, its bucket spent", status)
				}
			}
		})
	}
}
