package witnesstest

import "testing"

// TestVerifierKey: Start finds the vkey in litewitness's log line whether
// slog quoted it or not, and in no other line.
func TestVerifierKey(t *testing.T) {
	const vkey = "witness.test/probity+1a2b3c4d+BGk0cjNhc2FsdA=="
	for _, tt := range []struct {
		name, line, want string
		ok               bool
	}{
		{"OK", `time=2025-01-10T00:00:00Z level=INFO msg="verifier key" vkey=` + vkey, vkey, true},
		{"OKQuoted", `level=INFO msg="verifier key" vkey="` + vkey + `" extra=1`, vkey, true},
		{"ErrOtherLine", `level=INFO msg="listening" addr=127.0.0.1:1`, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := verifierKey(tt.line); got != tt.want || ok != tt.ok {
				t.Fatalf("verifierKey(%q) = %q, %v; want %q, %v", tt.line, got, ok, tt.want, tt.ok)
			}
		})
	}
}
