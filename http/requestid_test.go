package http_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"

	phttp "github.com/probity-dev/probity/http"
)

// TestRequestID: a caller's X-Request-Id (a plain token) is kept, any other
// is replaced by a minted one; the answer echoes it, an error's body names
// it, and the access log line carries it, so that a report and the log meet.
func TestRequestID(t *testing.T) {
	logs := &lockedBuffer{}
	srv, _ := startServerWith(t, slog.New(slog.NewJSONHandler(logs, nil)), 0)
	get := func(id string) (*http.Response, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL()+"/v1/nothing", nil)
		if id != "" {
			req.Header.Set(phttp.RequestIDHeader, id)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		return resp, body
	}
	for _, tc := range []struct {
		name, sent string
		kept       bool
	}{
		{"Kept", "lb-7f3a.42", true},
		{"ErrIdentifier", alice, false},
		{"ErrToken", "prb_0011223344556677_ab", false},
		{"Minted", "", false},
		{"ErrNotPlain", "a b level=ERROR;x", false},
		{"ErrTooLong", strings.Repeat("x", 65), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(tc.sent)
			id := resp.Header.Get(phttp.RequestIDHeader)
			switch {
			case tc.kept && id != tc.sent:
				t.Fatalf("X-Request-Id %q answered as %q; want it kept", tc.sent, id)
			case !tc.kept && !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id):
				t.Fatalf("X-Request-Id %q answered as %q; want a minted one", tc.sent, id)
			}
			if got := body["error"].(map[string]any)["request_id"]; got != id {
				t.Fatalf("the error body's request_id = %v; want %q", got, id)
			}
			if !strings.Contains(logs.String(), `"request_id":"`+id+`"`) {
				t.Fatalf("the access log has no line with request_id %q:\n%s", id, logs.String())
			}
		})
	}
}
