package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// serveOnce runs probity serve until it says it is serving, then stops it,
// returning what it printed and its error.
func serveOnce(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	m := &Main{Stdout: &stdout, Stderr: &stderr, Getenv: testGetenv(t, nil, args)}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, append([]string{"serve"}, args...)) }()
	deadline := time.After(30 * time.Second)
	for !strings.Contains(stdout.String(), "serving") {
		select {
		case err := <-done:
			return stdout.String(), err
		case <-deadline:
			t.Fatalf("serve did not start:\n%s", stdout.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	return stdout.String(), <-done
}

// TestServeBootstrapsTheOperator: the first serve of a new data directory
// prints an operator token once; a serve that fails to start creates none.
func TestServeBootstrapsTheOperator(t *testing.T) {
	data := t.TempDir()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := serveOnce(t, "--data", data, "--addr", busy.Addr().String()); err == nil {
		t.Fatal("serve on a busy port succeeded")
	}
	busy.Close()
	if out := mustRun(t, "token", "list", "--data", data); strings.Contains(out, "operator") {
		t.Fatalf("a serve that never started created an operator:\n%s", out)
	}
	first, err := serveOnce(t, "--data", data, "--addr", "127.0.0.1:0")
	if err != nil || !strings.Contains(first, "the operator's token, shown once") || !strings.Contains(first, "prb_") {
		t.Fatalf("first serve: %v\n%s", err, first)
	}
	second, err := serveOnce(t, "--data", data, "--addr", "127.0.0.1:0")
	if err != nil || strings.Contains(second, "prb_") {
		t.Fatalf("second serve printed a token again: %v\n%s", err, second)
	}
}
