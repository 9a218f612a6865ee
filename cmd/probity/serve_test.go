package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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
// writes an operator token to a 0600 file there and prints the file's path,
// never the token; a serve that fails to start creates none.
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
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	first, err := serveOnce(t, "--data", data, "--addr", "127.0.0.1:0")
	file, ferr := filepath.Abs(filepath.Join(data, OperatorTokenFile))
	if err != nil || ferr != nil || !strings.Contains(first, "the operator's token (it creates every other token) is in\n  "+file+"\n") {
		t.Fatalf("first serve does not name the token's file %s: %v\n%s", file, err, first)
	}
	token := readOperatorToken(t, data)
	if strings.Contains(first, token) || strings.Contains(first, "prb_") {
		t.Fatalf("first serve printed the operator's token:\n%s", first)
	}
	if out := mustRun(t, "token", "list", "--data", data); !strings.Contains(out, "operator") {
		t.Fatalf("no operator after the first serve:\n%s", out)
	}
	second, err := serveOnce(t, "--data", data, "--addr", "127.0.0.1:0")
	if err != nil || strings.Contains(second, OperatorTokenFile) || readOperatorToken(t, data) != token {
		t.Fatalf("second serve made a token again: %v\n%s", err, second)
	}
}

// readOperatorToken returns the operator's token from its file in data,
// failing the test unless the file is mode 0600 and holds one token.
func readOperatorToken(tb testing.TB, data string) string {
	tb.Helper()
	path := filepath.Join(data, OperatorTokenFile)
	info, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		tb.Fatalf("%s has mode %04o, want 0600", path, got)
	}
	buf, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	token := strings.TrimSuffix(string(buf), "\n")
	if !strings.HasPrefix(token, "prb_") || strings.ContainsAny(token, " \n") {
		tb.Fatalf("%s holds %q, want one token", path, buf)
	}
	return token
}
