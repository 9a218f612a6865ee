package http_test

import (
	"strings"
	"testing"
)

// TestExpiryOutOfRange checks that the API refuses an expiry its store cannot
// keep with 400 naming expires_at, on both routes that take one, and that a
// time in range is still accepted.
func TestExpiryOutOfRange(t *testing.T) {
	srv := startServer(t)
	u := srv.URL()
	call(t, "PUT", u+"/v1/domains/acme.lending", "application/yaml", lendingSpec(t))
	for _, expires := range []string{"9999-12-31T00:00:00Z", "2262-04-12T00:00:00Z", "1677-01-01T00:00:00Z"} {
		for _, tt := range []struct{ path, body string }{
			{"/v1/principals", `{"name":"clerk","grants":[{"role":"reader","domain":"acme.lending"}],"expires_at":"` + expires + `"}`},
			{"/v1/subject-tokens", `{"subject":"` + alice + `","expires_at":"` + expires + `"}`},
		} {
			t.Run("Err"+tt.path+expires[:4], func(t *testing.T) {
				status, body := call(t, "POST", u+tt.path, "application/json", []byte(tt.body))
				if status != 400 || errCode(body) != "invalid" || !strings.Contains(errMessage(body), "expires_at") {
					t.Fatalf("POST %s with expires_at %s = %d %v, want 400 invalid naming expires_at", tt.path, expires, status, body)
				}
			})
		}
	}
	t.Run("OK", func(t *testing.T) {
		status, body := call(t, "POST", u+"/v1/principals", "application/json",
			[]byte(`{"name":"clerk","grants":[{"role":"reader","domain":"acme.lending"}],"expires_at":"2200-01-01T00:00:00Z"}`))
		if status != 201 {
			t.Fatalf("POST /v1/principals = %d %v, want 201", status, body)
		}
	})
}
