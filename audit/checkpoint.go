package audit

import (
	"bytes"
	"crypto/ed25519"
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

// Signer signs checkpoints with the installation's Ed25519 note key. One
// key signs every log, each under its own origin as the key's name (C2SP
// tlog-checkpoint: the signature's key name is the log's origin).
type Signer struct {
	signer   note.Signer
	verifier note.Verifier
	public   string
	priv     ed25519.PrivateKey
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
	priv, err := privateKey(lines[0])
	if err != nil {
		return nil, false, fmt.Errorf("%s: %v", path, err)
	}
	return &Signer{signer: s, verifier: v, public: lines[1], priv: priv}, created, nil
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

// privateKey reads the Ed25519 key of a note signer key
// (PRIVATE+KEY+name+hash+base64(0x01 || seed)).
func privateKey(skey string) (ed25519.PrivateKey, error) {
	parts := strings.SplitN(skey, "+", 5) // the key's base64 may hold + too
	if len(parts) != 5 {
		return nil, fmt.Errorf("malformed signer key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return nil, fmt.Errorf("not an Ed25519 signer key")
	}
	return ed25519.NewKeyFromSeed(raw[1:]), nil
}

// PublicKey returns the note verifier key under the key's own name; it
// identifies the key the installation's logs are signed with.
func (s *Signer) PublicKey() string { return s.public }

// LogKey returns the note verifier key of the log whose origin is origin.
func (s *Signer) LogKey(origin string) string {
	vkey, err := note.NewEd25519VerifierKey(origin, s.priv.Public().(ed25519.PublicKey))
	if err != nil {
		panic(err) // only for a malformed origin, which CheckOrigin refuses
	}
	return vkey
}

// KeyName returns the name of the key, from which the default origin
// prefix is made.
func (s *Signer) KeyName() string { return s.signer.Name() }

// Verifier returns the verifiers of every log the key signs.
func (s *Signer) Verifier() note.Verifiers { return KeyVerifiers{s.priv.Public().(ed25519.PublicKey)} }

// Sign returns the checkpoint of a log of size with root, signed under
// the log's origin: a C2SP tlog-checkpoint with no extension lines. The
// time it was made is kept beside it, unsigned.
func (s *Signer) Sign(log, origin string, size uint64, root []byte, at time.Time, rng [][]byte) (*probity.Checkpoint, error) {
	text := fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root))
	signed, err := note.Sign(&note.Note{Text: text}, originSigner{s, origin})
	if err != nil {
		return nil, err
	}
	return &probity.Checkpoint{Log: log, Size: size, Root: root, At: at.UTC(), Note: string(signed), Range: rng}, nil
}

// originSigner signs notes with the key under the name origin.
type originSigner struct {
	s      *Signer
	origin string
}

func (o originSigner) Name() string { return o.origin }

func (o originSigner) KeyHash() uint32 {
	v, err := note.NewVerifier(o.s.LogKey(o.origin))
	if err != nil {
		panic(err)
	}
	return v.KeyHash()
}

func (o originSigner) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(o.s.priv, msg), nil }

// KeyVerifiers verifies signatures of one Ed25519 key under any name: the
// logs of one installation share the key, each under its own origin.
type KeyVerifiers struct{ Public ed25519.PublicKey }

// Verifier returns the verifier of name if hash is the key's hash under
// that name.
func (k KeyVerifiers) Verifier(name string, hash uint32) (note.Verifier, error) {
	vkey, err := note.NewEd25519VerifierKey(name, k.Public)
	if err == nil {
		var v note.Verifier
		if v, err = note.NewVerifier(vkey); err == nil && v.KeyHash() == hash {
			return v, nil
		}
	}
	return nil, &note.UnknownVerifierError{Name: name, KeyHash: hash}
}

// VerifiersOf returns the verifiers of every origin signed with the key of
// vkey (a note verifier key of any one of the installation's logs).
func VerifiersOf(vkey string) (note.Verifiers, error) {
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return nil, fmt.Errorf("%q is not a note verifier key (want name+hash+base64, as GET /v1/audit/key or GET /logs gives it): %v", vkey, err)
	}
	parts := strings.SplitN(strings.TrimSpace(vkey), "+", 3) // name+hash+base64, which may hold + too
	raw, err := base64.StdEncoding.DecodeString(parts[len(parts)-1])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != 1 {
		return nil, fmt.Errorf("key %s is not an Ed25519 note key", v.Name())
	}
	return KeyVerifiers{ed25519.PublicKey(raw[1:])}, nil
}

// SignedCheckpoint is what a verified checkpoint note says.
type SignedCheckpoint struct {
	Origin string
	Size   uint64
	Root   []byte
}

// OpenCheckpoint verifies a checkpoint note's signature and parses it: a
// C2SP tlog-checkpoint (origin, size, base64 root). Extension lines are
// refused: Probity writes none. Signatures of unknown keys (witnesses'
// cosignatures) are ignored here.
func OpenCheckpoint(signed []byte, verifiers note.Verifiers) (*SignedCheckpoint, error) {
	n, err := note.Open(signed, verifiers)
	if err != nil {
		return nil, fmt.Errorf("signature: %v", err)
	}
	if err := canonicalSignatures(signed, n.Text); err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) != 3 {
		return nil, fmt.Errorf("want exactly the origin, size and root lines, got %d lines", len(lines))
	}
	c := &SignedCheckpoint{Origin: lines[0]}
	if n.Sigs[0].Name != c.Origin {
		return nil, fmt.Errorf("signed by key %s, not by the key of its origin %s", n.Sigs[0].Name, c.Origin)
	}
	if c.Size, err = strconv.ParseUint(lines[1], 10, 64); err != nil || strconv.FormatUint(c.Size, 10) != lines[1] {
		return nil, fmt.Errorf("size line %q is not a decimal number", lines[1])
	}
	if c.Root, err = base64.StdEncoding.DecodeString(lines[2]); err != nil || len(c.Root) != 32 {
		return nil, fmt.Errorf("root line %q is not a base64 SHA-256 hash", lines[2])
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
