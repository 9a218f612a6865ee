package http_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestProblemDetails: an error is an RFC 9457 problem
// (application/problem+json: type, title, status, detail) that keeps the
// code and the error object; a refused spec lists every fault in errors,
// each with its field path.
func TestProblemDetails(t *testing.T) {
	srv := startServer(t)

	spec := strings.Replace(string(lendingSpec(t)), "category: finance", "category: social", 1)
	spec = strings.Replace(spec, "opt_out: allowed", "opt_out: maybe", 1)
	req, _ := http.NewRequest("PUT", srv.URL()+"/v1/domains/acme.lending", bytes.NewReader([]byte(spec)))
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p struct {
		Type, Title, Detail, Code string
		Status                    int
		Errors                    []struct {
			Field, Message string
			Line           int
		}
		Error struct{ Code, Message string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 400 || ct != "application/problem+json" {
		t.Fatalf("an invalid spec = %d %s; want 400 application/problem+json", resp.StatusCode, ct)
	}
	if p.Type != "about:blank" || p.Title != "Bad Request" || p.Status != 400 || p.Code != "invalid" || p.Error.Code != "invalid" || p.Detail != p.Error.Message {
		t.Fatalf("problem = %+v; want type, title, status, detail, and the code and error object kept", p)
	}
	fields := map[string]bool{}
	for _, e := range p.Errors {
		fields[e.Field] = e.Line > 0 // the spec's line of the fault
	}
	if len(p.Errors) < 2 || !fields["category"] || !fields["opt_out"] {
		t.Fatalf("errors = %+v; want each fault, with the fields category and opt_out and their lines", p.Errors)
	}
}
