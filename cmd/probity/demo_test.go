package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemo runs the demo on a small population, then pastes each curl
// command it printed and checks that the API answers it.
func TestDemo(t *testing.T) {
	data := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, done := runUntilServing(t, ctx, "demo", "--data", data, "--subjects", "1000", "--addr", "127.0.0.1:0")
	out := stdout.String()
	for _, want := range []string{"acme.lending", "city.rent-utilities", "gov.tax-compliance", "gov.public-integrity", "population: 1000 subjects",
		"reviewer of every example domain", "person:showcase-grace", "person:showcase-dispute", "person:showcase-order", "person:showcase-official"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	curls := regexp.MustCompile(`curl -s -X POST (\S+) -H 'Authorization: Bearer (\S+)' -H 'Content-Type: application/json' -d '([^']*)'`).FindAllStringSubmatch(out, -1)
	if len(curls) != 4 {
		t.Fatalf("demo printed %d JSON curl commands, want 3 reads and the subject's own:\n%s", len(curls), out)
	}
	events := regexp.MustCompile(`curl -s -X POST (\S+) -H 'Authorization: Bearer (\S+)' -H 'Content-Type: application/x-ndjson' --data-binary '([^']*)'`).FindStringSubmatch(out)
	if events == nil {
		t.Fatalf("demo printed no events curl:\n%s", out)
	}
	curls = append(curls, events)
	client := &http.Client{Timeout: 10 * time.Second}
	for _, c := range curls {
		req, _ := http.NewRequest("POST", c[1], strings.NewReader(c[3]))
		req.Header.Set("Authorization", "Bearer "+c[2])
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s %s: status %d, %v %v", c[1], c[3], resp.StatusCode, body, err)
		}
		if strings.HasSuffix(c[1], "/scores") && body["status"] != "rated" {
			t.Errorf("%s: status %v, want a rated example", c[3], body["status"])
		}
		if strings.HasSuffix(c[1], "/decisions") && body["allowed"] == nil {
			t.Errorf("%s: no decision in %v", c[3], body)
		}
		if strings.HasSuffix(c[1], "/events") && body["accepted"] != 1.0 {
			t.Errorf("%s: %v, want the event accepted", c[3], body)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("demo did not stop cleanly: %v", err)
	}
	// A second run on the same directory reuses the population and the
	// tokens, and adds no second dispute or order to the showcase.
	out2, _, err := run(t, nil, "", "demo", "--data", data, "--subjects", "1000", "--no-serve")
	if err != nil || !strings.Contains(out2, "accepted 0, already present") || !strings.Contains(out2, "those of the last run") {
		t.Fatalf("second demo run: %v\n%s", err, out2)
	}
	reader := regexp.MustCompile(`reader of every example domain:\s+(\S+)`)
	if a, b := reader.FindStringSubmatch(out), reader.FindStringSubmatch(out2); a == nil || b == nil || a[1] != b[1] {
		t.Fatalf("the second run printed another reader token: %v, %v", a, b)
	}
	if verify, _, err := run(t, nil, "", "audit", "verify", "--data", data); err != nil {
		t.Fatalf("audit verify after two demo runs: %v\n%s", err, verify)
	}
}

// TestDemoBusyPort: the demo binds its port before it makes the
// population, so a port in use fails at once.
func TestDemoBusyPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	out, _, err := run(t, nil, "", "demo", "--data", t.TempDir(), "--subjects", "1000", "--addr", l.Addr().String())
	if err == nil || strings.Contains(out, "population:") {
		t.Fatalf("demo on a busy port: %v; want it to fail before making the population:\n%s", err, out)
	}
}

// runUntilServing runs a command of the CLI in this process (serve or
// demo) until it prints that it is serving, and returns its output so far
// and the channel its error arrives on once ctx ends. It fails the test if
// the command ends first or does not serve within two minutes.
func runUntilServing(t *testing.T, ctx context.Context, args ...string) (*syncBuffer, <-chan error) {
	t.Helper()
	stdout, _, done := runServing(t, ctx, args...)
	return stdout, done
}

// servingURL returns the base URL a serve command said it serves on.
func servingURL(t *testing.T, stdout *syncBuffer) string {
	t.Helper()
	m := regexp.MustCompile(`serving .* on (https?://\S+);`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no URL in %q", stdout.String())
	}
	return m[1]
}

// runServing is runUntilServing, returning the command's standard error
// too (the server's log).
func runServing(t *testing.T, ctx context.Context, args ...string) (*syncBuffer, *syncBuffer, <-chan error) {
	t.Helper()
	var stdout, stderr syncBuffer
	m := &Main{Stdout: &stdout, Stderr: &stderr, Getenv: testGetenv(t, nil, args[1:])}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, args) }()
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(stdout.String(), "serving") {
		select {
		case err := <-done:
			t.Fatalf("%s ended early: %v\n%s%s", args[0], err, stdout.String(), stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not start serving:\n%s", args[0], stdout.String())
		}
	}
	return &stdout, &stderr, done
}
