package witness

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
)

func TestParseWitness(t *testing.T) {
	c := newCosigner(t, "witness.example/w1")
	vkey := c.vkey()
	_, logKey, err := note.GenerateKey(rand.Reader, "example.org/probity/_installation")
	if err != nil {
		t.Fatal(err)
	}
	name, hash, key := splitVkey(vkey)
	rawKey, _ := base64.StdEncoding.DecodeString(key)
	tests := []struct {
		name    string
		spec    string
		wantURL string
		wantErr string
	}{
		{"OK", "https://witness.example/w1=" + vkey, "https://witness.example/w1", ""},
		{"OKTrailingSlash", "http://127.0.0.1:7380/=" + vkey, "http://127.0.0.1:7380", ""},
		{"ErrNoKey", "https://witness.example/w1", "", "want URL=VKEY"},
		{"ErrEmptyURL", "=" + vkey, "", "want URL=VKEY"},
		{"ErrScheme", "witness.example/w1=" + vkey, "", "absolute http or https URL"},
		{"ErrQuery", "https://witness.example/w1?x=" + vkey, "", "no query"},
		{"ErrLogKey", "https://witness.example/w1=" + logKey, "", "plain Ed25519 note key (type 0x01)"},
		{"ErrKeyType", "https://w.example=" + name + "+" + hash + "+" + base64.StdEncoding.EncodeToString(append([]byte{0x06}, rawKey[1:]...)), "", "only cosignature/v1 Ed25519 keys (type 0x04)"},
		{"ErrKeyLength", "https://w.example=" + name + "+" + hash + "+" + base64.StdEncoding.EncodeToString(rawKey[:32]), "", "1+32 bytes, got 32"},
		{"ErrKeyID", "https://w.example=" + name + "+00000000+" + key, "", "does not match the name and key"},
		{"ErrKeyIDNotHex", "https://w.example=" + name + "+zz+" + key, "", "8 hex digits"},
		{"ErrOtherName", "https://w.example=witness.example/w2+" + hash + "+" + key, "", "does not match the name and key"},
		{"ErrBase64", "https://w.example=" + name + "+" + hash + "+%%%", "", "not standard base64"},
		{"ErrParts", "https://w.example=" + name, "", "want name+keyid+base64key"},
		{"ErrNameSpace", "https://w.example=a b+" + hash + "+" + key, "", "without spaces"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := ParseWitness(tt.spec)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseWitness(%q) error %v, want it to say %q", tt.spec, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseWitness(%q): %v", tt.spec, err)
			}
			if got, want := w.URL, tt.wantURL; got != want {
				t.Errorf("URL=%q, want %q", got, want)
			}
			if got, want := w.Name(), "witness.example/w1"; got != want {
				t.Errorf("Name()=%q, want %q", got, want)
			}
			if got, want := w.Key.String(), vkey; got != want {
				t.Errorf("Key=%q, want %q", got, want)
			}
		})
	}
}

func splitVkey(vkey string) (name, hash, key string) {
	parts := strings.SplitN(vkey, "+", 3)
	return parts[0], parts[1], parts[2]
}

func TestVerifyCosignature(t *testing.T) {
	lg := newTestLog(t, testOrigin, "a", "b", "c")
	c := newCosigner(t, "witness.example/w1")
	at := time.Unix(1767225600, 0)
	c.now = func() time.Time { return at }
	w := mustWitness(t, "https://witness.example/w1", c)
	signed := lg.checkpoint(t, 3)
	line := c.cosign(t, signed)
	text, _ := splitNote(signed)
	impostor := newCosigner(t, "witness.example/w1") // same name, other key
	renamed := *c
	renamed.name = "witness.example/w2"
	tampered := flipSignatureBit(t, line)

	tests := []struct {
		name       string
		checkpoint []byte
		line       []byte
		wantErr    string
		wantIs     error
	}{
		{name: "OK", checkpoint: signed, line: line},
		{name: "OKText", checkpoint: text, line: bytes.TrimSuffix(line, []byte("\n"))},
		{name: "ErrOtherCheckpoint", checkpoint: lg.checkpoint(t, 2), line: line, wantErr: "does not verify"},
		{name: "ErrTampered", checkpoint: signed, line: tampered, wantErr: "does not verify"},
		{name: "ErrOtherKey", checkpoint: signed, line: impostor.cosign(t, signed), wantIs: ErrNotThisWitness},
		{name: "ErrOtherName", checkpoint: signed, line: renamed.cosign(t, signed), wantIs: ErrNotThisWitness},
		{name: "ErrLogSignature", checkpoint: signed, line: signed[len(text)+1:], wantIs: ErrNotThisWitness},
		{name: "ErrNotALine", checkpoint: signed, line: []byte("- witness.example/w1 AAAA"), wantErr: "does not start with"},
		{name: "ErrNotACheckpoint", checkpoint: []byte("hello\n"), line: line, wantErr: "origin, a tree size and a root hash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := VerifyCosignature(w, tt.checkpoint, tt.line)
			switch {
			case tt.wantIs != nil:
				if !errors.Is(err, tt.wantIs) {
					t.Fatalf("VerifyCosignature error %v, want %v", err, tt.wantIs)
				}
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("VerifyCosignature error %v, want it to say %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatalf("VerifyCosignature: %v", err)
			case !got.Equal(at):
				t.Fatalf("time %v, want %v", got, at)
			}
		})
	}
}

// TestVerifierIsNoteVerifier checks that the key plugs into note.Open, the
// way tlog-witness suggests clients check a witness's answer.
func TestVerifierIsNoteVerifier(t *testing.T) {
	lg := newTestLog(t, testOrigin, "a", "b", "c")
	c := newCosigner(t, "witness.example/w1")
	w := mustWitness(t, "https://witness.example/w1", c)
	signed := lg.checkpoint(t, 3)
	merged, err := MergeCosignatures(signed, c.cosign(t, signed))
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(merged, note.VerifierList(w.Key, lg.verifier))
	if err != nil {
		t.Fatalf("note.Open: %v", err)
	}
	if got, want := len(n.Sigs), 2; got != want {
		t.Fatalf("%d verified signatures, want %d (the log's and the witness's)", got, want)
	}
}

// flipSignatureBit returns the signature line with one bit of its Ed25519
// signature flipped, still well-formed.
func flipSignatureBit(tb testing.TB, line []byte) []byte {
	tb.Helper()
	i := bytes.LastIndexByte(line, ' ')
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(line[i+1:])))
	if err != nil {
		tb.Fatal(err)
	}
	raw[len(raw)-1] ^= 1
	return []byte(string(line[:i+1]) + base64.StdEncoding.EncodeToString(raw) + "\n")
}
