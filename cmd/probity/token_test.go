package main

import (
	"strings"
	"testing"
)

// TestTokenRevokeLastOperator checks that the command line, too, keeps the
// installation's last operator, and says what to do instead.
func TestTokenRevokeLastOperator(t *testing.T) {
	data := t.TempDir()
	out := mustRun(t, "token", "create", "--data", data, "--name", "night operator", "--grant", "operator")
	id := strings.Fields(strings.TrimPrefix(out, "principal "))[0]
	_, _, err := run(t, nil, "", "token", "revoke", "--data", data, id)
	if err == nil || !strings.Contains(err.Error(), "last operator; create another operator first") {
		t.Fatalf("token revoke of the last operator: %v, want it refused naming the last operator", err)
	}
	mustRun(t, "token", "create", "--data", data, "--name", "day operator", "--grant", "operator")
	if out := mustRun(t, "token", "revoke", "--data", data, id); !strings.HasPrefix(out, "revoked "+id) {
		t.Fatalf("token revoke with another operator printed %q", out)
	}
}
