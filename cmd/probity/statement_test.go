package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
)

// TestStatementCommands: a subject gets a statement of their standing from
// a running server with probity statement issue, presents the grade,
// domain and as-of date to a landlord with statement present, and the
// landlord checks it with statement verify, which prints only what was
// revealed; a presentation for another nonce, and one after the subject
// revoked the statement, are NOT VALID.
func TestStatementCommands(t *testing.T) {
	data := t.TempDir()
	mustRun(t, "domain", "apply", "--data", data, lendingSpec)
	in, base := serveInstallation(t, data)
	ingestVia(t, in, "st", 3)
	dir := t.TempDir()
	tok, err := in.bureau.IssueSubjectToken(cliContext(context.Background()), probity.SubjectTokenRequest{Subject: alice})
	if err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "subject.token")
	os.WriteFile(tokenFile, []byte(tok.Token+"\n"), 0o600)
	key, stFile, pFile := filepath.Join(dir, "holder.jwk"), filepath.Join(dir, "standing.sdjwt"), filepath.Join(dir, "for-landlord.sdjwt")
	_, errOut, err := run(t, nil, "", "statement", "issue", "--url", base, "--token-file", tokenFile, "--domain", "acme.lending",
		"--key", key, "--validity", "30d", "--out", stFile)
	if err != nil {
		t.Fatalf("statement issue: %v\n%s", err, errOut)
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the holder's key: %v, mode %v; want a new file of mode 0600", err, fi.Mode())
	}
	id := strings.Fields(errOut)[1]
	mustRun(t, "statement", "present", "--key", key, "--reveal", "grade,as_of,domain", "--aud", "landlord", "--nonce", "n-9", "--out", pFile, stFile)
	out := mustRun(t, "statement", "verify", "--aud", "landlord", "--nonce", "n-9", pFile)
	if !strings.HasPrefix(out, "VALID") || !strings.Contains(out, "acme.lending") || !strings.Contains(out, "as_of") ||
		strings.Contains(out, alice) || strings.Contains(out, "score ") {
		t.Fatalf("statement verify printed:\n%s\nwant VALID with the domain, grade and as-of date only", out)
	}
	if out := mustRun(t, "statement", "verify", pFile); !strings.HasPrefix(out, "VALID") || !strings.Contains(out, "was not checked") {
		t.Fatalf("statement verify without --aud and --nonce printed:\n%s\nwant VALID, saying what it could not check", out)
	}
	if out, _, err := run(t, nil, "", "statement", "verify", "--aud", "landlord", "--nonce", "n-10", pFile); err == nil || !strings.Contains(err.Error(), "nonce") {
		t.Fatalf("a presentation replayed for another nonce: %v\n%s", err, out)
	}
	mustRun(t, "statement", "revoke", "--url", base, "--token-file", tokenFile, "--domain", "acme.lending", id)
	if _, _, err := run(t, nil, "", "statement", "verify", "--aud", "landlord", "--nonce", "n-9", pFile); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("a revoked statement: %v", err)
	}
}
