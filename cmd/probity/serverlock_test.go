package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity/storetest"
)

// TestSecondServerRefused: a second probity serve on one SQLite data
// directory is refused at start, naming the one that serves it; once that
// one stops, a server starts there again.
func TestSecondServerRefused(t *testing.T) {
	if storetest.Backend() == "postgres" {
		t.Skip("several servers on one PostgreSQL database are allowed (TestSeveralServers)")
	}
	data := t.TempDir()
	mustRun(t, "domain", "apply", "--data", data, lendingSpec)
	url, first := startServerProcess(t, "--data", data)
	second := exec.Command(os.Args[0], "serve", "--data", data, "--addr", "127.0.0.1:0")
	second.Env = append(os.Environ(), "PROBITY_TEST_MAIN=1")
	var out strings.Builder
	second.Stdout, second.Stderr = &out, &out
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- second.Wait() }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(out.String(), "already served by probity serve") || !strings.Contains(out.String(), url) {
			t.Fatalf("a second serve on %s: %v %s; want a refusal naming the server at %s", data, err, out.String(), url)
		}
	case <-time.After(15 * time.Second):
		second.Process.Kill()
		t.Fatalf("a second serve on %s started beside the first: %s", data, out.String())
	}
	// The CLI still works beside the server.
	mustRun(t, "audit", "checkpoint", "--data", data)
	first.Process.Kill()
	first.Wait()
	startServerProcess(t, "--data", data) // the lock ended with the process
}
