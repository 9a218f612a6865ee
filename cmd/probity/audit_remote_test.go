package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/eventfile"
)

// serveInstallation serves a data directory on 127.0.0.1:0 in-process.
func serveInstallation(t *testing.T, data string) (*installation, string) {
	t.Helper()
	in, err := open(context.Background(), testLocation(t, data))
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{Stdout: &syncBuffer{}, Stderr: &syncBuffer{}, Getenv: func(string) string { return "" }}
	srv, err := m.listen(in, "127.0.0.1:0", serveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close(context.Background())
		in.Close()
	})
	return in, srv.URL()
}

func ingestVia(t *testing.T, in *installation, keyPrefix string) {
	t.Helper()
	r, err := eventfile.NewReader(strings.NewReader(`{"key":"` + keyPrefix + `-1","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-01-10","fields":{"amount":12000}}
{"key":"` + keyPrefix + `-2","type":"loan_repaid","subject":"` + acmeCo + `","occurred_at":"2025-02-10","fields":{"amount":100}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.bureau.Ingest(cliContext(context.Background()), "acme.lending", r, probity.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestRemoteVerify plays the outside auditor: keep a checkpoint, let the
// log grow, then prove from the server alone that it only grew and that a
// kept leaf is in it; a server whose log forked from the kept one fails.
func TestRemoteVerify(t *testing.T) {
	data := t.TempDir()
	mustRun(t, "domain", "apply", "--data", data, lendingSpec)
	kept := filepath.Join(t.TempDir(), "kept.note")
	if err := os.WriteFile(kept, []byte(mustRun(t, "audit", "checkpoint", "--data", data, "--log", "acme.lending")), 0o600); err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(mustRun(t, "audit", "key", "--data", data, "--log", "acme.lending"))

	// A fork: a copy of the installation that goes its own way.
	fork := t.TempDir()
	copyInstallation(t, data, fork)

	in, url := serveInstallation(t, data)
	ingestVia(t, in, "grow")
	out := mustRun(t, "audit", "verify", "--url", url, "--log", "acme.lending", "--checkpoint", kept, "--key", key)
	for _, want := range []string{"consistent: the log grew from 1 to 3 leaves", "included: leaf 0 (spec.applied)", "OK"} {
		if !strings.Contains(out, want) {
			t.Errorf("remote verify lacks %q:\n%s", want, out)
		}
	}

	// The auditor's checkpoint from the fork does not match the server's log.
	forked, _ := serveInstallation(t, fork)
	ingestVia(t, forked, "fork")
	forkKept := filepath.Join(t.TempDir(), "fork.note")
	cp, err := forked.bureau.Checkpoint(context.Background(), "acme.lending")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(forkKept, []byte(cp.Note), 0o600)
	ingestVia(t, in, "more")
	_, _, err = run(t, nil, "", "audit", "verify", "--url", url, "--log", "acme.lending", "--checkpoint", forkKept, "--key", key)
	if err == nil || !strings.Contains(err.Error(), "rewritten") {
		t.Fatalf("verify against a forked checkpoint: %v, want a consistency failure", err)
	}
	// A checkpoint signed by another key is refused.
	other := t.TempDir()
	mustRun(t, "domain", "apply", "--data", other, lendingSpec)
	otherKept := filepath.Join(t.TempDir(), "other.note")
	os.WriteFile(otherKept, []byte(mustRun(t, "audit", "checkpoint", "--data", other, "--log", "acme.lending")), 0o600)
	if _, _, err := run(t, nil, "", "audit", "verify", "--url", url, "--log", "acme.lending", "--checkpoint", otherKept, "--key", key); err == nil {
		t.Fatal("a checkpoint of another log verified")
	}
}
