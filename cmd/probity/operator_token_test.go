package main

import (
	"context"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDemoOperatorTokenInFile: the demo, like serve, writes a new
// installation's operator token to a 0600 file and prints only its path,
// and the token there is the operator's (it lists the principals); the
// demo's own 30-day tokens are still printed for its curl examples.
func TestDemoOperatorTokenInFile(t *testing.T) {
	data := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, done := runUntilServing(t, ctx, "demo", "--data", data, "--subjects", "50", "--addr", "127.0.0.1:0")
	out := stdout.String()
	file, err := filepath.Abs(filepath.Join(data, OperatorTokenFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "the operator's token (it creates every other token) is in\n  "+file+"\n") {
		t.Errorf("demo does not name the operator token's file %s:\n%s", file, out)
	}
	token := readOperatorToken(t, data)
	if strings.Contains(out, token) {
		t.Errorf("demo printed the operator's token:\n%s", out)
	}
	if !regexp.MustCompile(`reader of every example domain:\n    prb_`).MatchString(out) {
		t.Errorf("demo no longer prints its reader token for the examples:\n%s", out)
	}
	url := regexp.MustCompile(`serving .* on (http://\S+);`).FindStringSubmatch(out)
	if url == nil {
		t.Fatalf("no server URL in:\n%s", out)
	}
	req, _ := http.NewRequest("GET", url[1]+"/v1/principals", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /v1/principals with the token from %s = %d, want 200", file, resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("demo did not stop cleanly: %v", err)
	}
}
