package audit

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/probity-dev/probity"
	"golang.org/x/mod/sumdb/note"
)

// KeyFile is the checkpoint signing key's file in the data directory.
const KeyFile = "audit.key"

// Signer signs checkpoints with the installation's Ed25519 note key.
type Signer struct {
	signer   note.Signer
	verifier note.Verifier
	public   string
}

// LoadOrCreateSigner reads the signing key from dir, creating it (mode 0600)
// on first use. The key's name is the log's origin.
func LoadOrCreateSigner(dir string) (*Signer, bool, error) {
	path := filepath.Join(dir, KeyFile)
	buf, err := os.ReadFile(path)
	created := false
	if os.IsNotExist(err) {
		if buf, err = createKey(dir, path); err != nil {
			return nil, false, err
		}
		created = true
	} else if err != nil {
		return nil, false, err
	} else if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o077 != 0 {
		return nil, false, fmt.Errorf("%s has mode %04o; the signing key must be private: chmod 600 %s", path, info.Mode().Perm(), path)
	}
	lines := strings.Split(strings.TrimSpace(string(buf)), "\n")
	if len(lines) != 2 {
		return nil, false, fmt.Errorf("%s: want the private key and the public key on two lines", path)
	}
	s, err := note.NewSigner(lines[0])
	if err != nil {
		return nil, false, fmt.Errorf("%s: %v", path, err)
	}
	v, err := note.NewVerifier(lines[1])
	if err != nil || v.Name() != s.Name() || v.KeyHash() != s.KeyHash() {
		return nil, false, fmt.Errorf("%s: the public key does not match the private key", path)
	}
	return &Signer{signer: s, verifier: v, public: lines[1]}, created, nil
}

func createKey(dir, path string) ([]byte, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	id := make([]byte, 4)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, fmt.Sprintf("probity-%x", id))
	if err != nil {
		return nil, err
	}
	buf := []byte(skey + "\n" + vkey + "\n")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if os.IsExist(err) {
		return os.ReadFile(path)
	} else if err != nil {
		return nil, err
	}
	if _, err := f.Write(buf); err != nil {
		f.Close()
		return nil, err
	}
	return buf, f.Close()
}

// PublicKey returns the note verifier key, to be published.
func (s *Signer) PublicKey() string { return s.public }

// Origin returns the log's origin line, the name of its key.
func (s *Signer) Origin() string { return s.signer.Name() }

// Verifier returns the verifier of the signer's notes.
func (s *Signer) Verifier() note.Verifier { return s.verifier }

// Sign returns the checkpoint of size with root, signed.
func (s *Signer) Sign(size uint64, root []byte, prev uint64, at time.Time, rng [][]byte) (*probity.Checkpoint, error) {
	text := fmt.Sprintf("%s\n%d\n%s\nprev %d\ntime %s\n", s.Origin(), size, base64.StdEncoding.EncodeToString(root), prev, at.UTC().Format(time.RFC3339Nano))
	signed, err := note.Sign(&note.Note{Text: text}, s.signer)
	if err != nil {
		return nil, err
	}
	return &probity.Checkpoint{Size: size, Root: root, At: at.UTC(), Note: string(signed), Range: rng}, nil
}

// SignedCheckpoint is what a verified checkpoint note says.
type SignedCheckpoint struct {
	Origin string
	Size   uint64
	Root   []byte
	Prev   uint64
	At     time.Time
}

// OpenCheckpoint verifies a checkpoint note's signature with vkey and parses it.
func OpenCheckpoint(signed []byte, verifier note.Verifier) (*SignedCheckpoint, error) {
	n, err := note.Open(signed, note.VerifierList(verifier))
	if err != nil {
		return nil, fmt.Errorf("signature: %v", err)
	}
	if err := canonicalSignatures(signed, n.Text); err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) < 3 {
		return nil, fmt.Errorf("want origin, size and root lines, got %d lines", len(lines))
	}
	c := &SignedCheckpoint{Origin: lines[0]}
	if c.Size, err = strconv.ParseUint(lines[1], 10, 64); err != nil {
		return nil, fmt.Errorf("size line %q: %v", lines[1], err)
	}
	if c.Root, err = base64.StdEncoding.DecodeString(lines[2]); err != nil || len(c.Root) != 32 {
		return nil, fmt.Errorf("root line %q is not a base64 SHA-256 hash", lines[2])
	}
	for _, l := range lines[3:] {
		if v, ok := strings.CutPrefix(l, "prev "); ok {
			if c.Prev, err = strconv.ParseUint(v, 10, 64); err != nil {
				return nil, fmt.Errorf("prev line %q: %v", l, err)
			}
		} else if v, ok := strings.CutPrefix(l, "time "); ok {
			if c.At, err = time.Parse(time.RFC3339Nano, v); err != nil {
				return nil, fmt.Errorf("time line %q: %v", l, err)
			}
		}
	}
	return c, nil
}

// NewVerifier parses a published note verifier key.
func NewVerifier(vkey string) (note.Verifier, error) {
	return note.NewVerifier(strings.TrimSpace(vkey))
}

// rangeBytes joins a compact range for comparison.
func rangeBytes(rng [][]byte) []byte { return bytes.Join(rng, nil) }

// canonicalSignatures refuses signature lines whose base64 is not in the
// one form the signer writes: decoders ignore the unused low bits of the
// last character, so a changed note could otherwise still verify.
func canonicalSignatures(signed []byte, text string) error {
	for _, line := range strings.Split(strings.TrimSuffix(string(signed[len(text):]), "\n"), "\n") {
		if line == "" {
			continue
		}
		parts := strings.Split(line, " ")
		if len(parts) != 3 {
			return fmt.Errorf("signature line %q is malformed", line)
		}
		sig, err := base64.StdEncoding.DecodeString(parts[2])
		if err != nil || base64.StdEncoding.EncodeToString(sig) != parts[2] {
			return fmt.Errorf("signature of %s is not in canonical base64", parts[1])
		}
	}
	return nil
}
