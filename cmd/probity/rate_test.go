package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServeRate checks --rate as an operator sees it: 0 serves without a
// limit, a negative rate is refused naming the flag.
func TestServeRate(t *testing.T) {
	t.Run("OKNoLimit", func(t *testing.T) {
		url := startServe(t, "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--rate", "0", "--burst", "1")
		for i := range 300 { // past the default burst of 100 and rate of 50 a second
			resp, err := http.Get(url + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("request %d with --rate 0: %d, want 200 (no limit)", i+1, resp.StatusCode)
			}
		}
	})
	t.Run("ErrNegative", func(t *testing.T) {
		args := []string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--rate", "-1"}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second) // should it serve after all
		defer cancel()
		var stdout, stderr syncBuffer
		err := (&Main{Stdout: &stdout, Stderr: &stderr, Getenv: testGetenv(t, nil, args)}).Run(ctx, args)
		if err == nil || !strings.Contains(err.Error(), "--rate -1") || !strings.Contains(err.Error(), "0: no limit") {
			t.Fatalf("serve --rate -1: %v, want it refused naming --rate", err)
		}
	})
}

// startServe runs probity serve until the test ends and returns its URL.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	m := &Main{Stdout: &stdout, Stderr: &stderr, Getenv: testGetenv(t, nil, args)}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, append([]string{"serve"}, args...)) }()
	t.Cleanup(func() { cancel(); <-done })
	deadline := time.After(30 * time.Second)
	for {
		out := stdout.String()
		if i := strings.Index(out, "serving "); i >= 0 && strings.Contains(out[i:], "; Ctrl-C") {
			line := out[i : i+strings.Index(out[i:], "; Ctrl-C")]
			return line[strings.LastIndex(line, " on ")+4:]
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("serve stopped: %v\n%s%s", err, out, stderr.String())
		case <-deadline:
			t.Fatalf("serve did not start:\n%s", out)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
