package witness

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// KeyTypeCosignatureV1 is the signed-note signature type of timestamped Ed25519
// checkpoint cosignatures (c2sp.org/tlog-cosignature). A witness key carries
// it in its vkey; the log's own checkpoint key is a plain Ed25519 note key
// (type 0x01) and is refused here, so the two can never be swapped by mistake.
const KeyTypeCosignatureV1 = 0x04

// cosignatureSize is timestamp (8 bytes, big-endian) || Ed25519 signature.
const cosignatureSize = 8 + ed25519.SignatureSize

// CosignatureVerifier verifies cosignature/v1 signatures of one witness key.
// It implements golang.org/x/mod/sumdb/note.Verifier, so a verifier list
// handed to note.Open checks witness cosignatures with no adapter. It is built
// only by ParseVerifierKey, so its name, key hash and key always agree.
type CosignatureVerifier struct {
	name string
	hash uint32
	key  ed25519.PublicKey
}

// ParseVerifierKey parses a C2SP vkey of a cosignature/v1 witness key,
// "<name>+<hex key ID>+<base64(0x04 || 32-byte Ed25519 key)>", as litewitness
// prints it at start-up. It checks that the key ID is the one signed-note and
// tlog-cosignature derive from name, type and key, so a mistyped key fails
// here rather than as a cosignature that never verifies.
func ParseVerifierKey(vkey string) (*CosignatureVerifier, error) {
	name, rest, ok1 := strings.Cut(vkey, "+")
	hash16, key64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("witness key %q: want name+keyid+base64key (a C2SP vkey, as litewitness prints it)", vkey)
	}
	if !validKeyName(name) {
		return nil, fmt.Errorf("witness key %q: the name must be non-empty UTF-8 without spaces or '+'", vkey)
	}
	if len(hash16) != 8 {
		return nil, fmt.Errorf("witness key %q: the key ID must be 8 hex digits, got %q", vkey, hash16)
	}
	hashBytes, err := hex.DecodeString(hash16)
	if err != nil {
		return nil, fmt.Errorf("witness key %q: the key ID must be 8 hex digits, got %q", vkey, hash16)
	}
	key, err := base64.StdEncoding.DecodeString(key64)
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("witness key %q: the key is not standard base64", vkey)
	}
	switch {
	case key[0] == 0x01:
		return nil, fmt.Errorf("witness key %q is a plain Ed25519 note key (type 0x01), such as a log's checkpoint key; a witness key is a cosignature/v1 key (type 0x04)", vkey)
	case key[0] != KeyTypeCosignatureV1:
		return nil, fmt.Errorf("witness key %q has signature type 0x%02x; only cosignature/v1 Ed25519 keys (type 0x04) are supported", vkey, key[0])
	case len(key) != 1+ed25519.PublicKeySize:
		return nil, fmt.Errorf("witness key %q: a cosignature/v1 key is 1+%d bytes, got %d", vkey, ed25519.PublicKeySize, len(key))
	}
	v := &CosignatureVerifier{name: name, key: ed25519.PublicKey(key[1:])}
	v.hash = keyID(name, key)
	if got := binary.BigEndian.Uint32(hashBytes); got != v.hash {
		return nil, fmt.Errorf("witness key %q: the key ID %08x does not match the name and key (want %08x); copy the vkey again from the witness", vkey, got, v.hash)
	}
	return v, nil
}

// keyID is SHA-256(name || "\n" || type || key)[:4], as signed-note recommends
// and tlog-cosignature requires.
func keyID(name string, typedKey []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte("\n"))
	h.Write(typedKey)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

func validKeyName(name string) bool {
	return name != "" && utf8.ValidString(name) &&
		strings.IndexFunc(name, unicode.IsSpace) < 0 && !strings.Contains(name, "+")
}

// Name is the key name the witness signs as: the name in its signature lines.
func (v *CosignatureVerifier) Name() string { return v.name }

// KeyHash is the key ID that, with Name, marks this witness's signature lines.
func (v *CosignatureVerifier) KeyHash() uint32 { return v.hash }

// Verify reports whether sig (the signature line's bytes after the key ID:
// timestamp || Ed25519 signature) is this key's cosignature/v1 over the note
// text msg. A zero timestamp is refused: tlog-witness forbids it, and it would
// make no statement about when the witness saw the checkpoint.
func (v *CosignatureVerifier) Verify(msg, sig []byte) bool {
	_, ok := v.verify(msg, sig)
	return ok
}

func (v *CosignatureVerifier) verify(msg, sig []byte) (time.Time, bool) {
	if len(sig) != cosignatureSize {
		return time.Time{}, false
	}
	t := binary.BigEndian.Uint64(sig)
	if t == 0 || t > math.MaxInt64 {
		return time.Time{}, false
	}
	m := make([]byte, 0, 40+len(msg))
	m = append(m, "cosignature/v1\ntime "...)
	m = strconv.AppendUint(m, t, 10)
	m = append(m, '\n')
	m = append(m, msg...)
	if !ed25519.Verify(v.key, m, sig[8:]) {
		return time.Time{}, false
	}
	return time.Unix(int64(t), 0), true
}

// String is the key's vkey, the form ParseVerifierKey reads.
func (v *CosignatureVerifier) String() string {
	return fmt.Sprintf("%s+%08x+%s", v.name, v.hash,
		base64.StdEncoding.EncodeToString(append([]byte{KeyTypeCosignatureV1}, v.key...)))
}

// signatureLine is one parsed note signature line, "— name base64(id||sig)".
type signatureLine struct {
	name string
	id   uint32
	sig  []byte // after the key ID
}

// parseSignatureLine parses one signature line without its newline.
func parseSignatureLine(line []byte) (signatureLine, error) {
	rest, ok := bytes.CutPrefix(line, []byte("— "))
	if !ok {
		return signatureLine{}, fmt.Errorf("signature line %q does not start with \"— \" (U+2014, space)", snippet(line))
	}
	i := bytes.LastIndexByte(rest, ' ')
	if i < 0 {
		return signatureLine{}, fmt.Errorf("signature line %q: want \"— <key name> <base64 signature>\"", snippet(line))
	}
	name := string(rest[:i])
	if !validKeyName(name) {
		return signatureLine{}, fmt.Errorf("signature line %q: the key name must be non-empty without spaces or '+'", snippet(line))
	}
	raw, err := base64.StdEncoding.DecodeString(string(rest[i+1:]))
	if err != nil || len(raw) < 4 {
		return signatureLine{}, fmt.Errorf("signature line %q: the signature is not base64 of a 4-byte key ID and a signature", snippet(line))
	}
	return signatureLine{name: name, id: binary.BigEndian.Uint32(raw), sig: raw[4:]}, nil
}

// ErrNotThisWitness is returned by VerifyCosignature for a signature line of
// another key (a different name or key ID). Signed-note verifiers must ignore
// such lines, so callers checking a note's lines one by one skip on it.
var ErrNotThisWitness = errors.New("the signature line is not from this witness's key")

// VerifyCosignature checks that sigLine (one note signature line, with or
// without its final newline) is w's cosignature/v1 over checkpoint, and
// returns the time the witness signed at. checkpoint is the checkpoint's note
// text or the whole signed note; its signatures are not looked at. A line of
// another key gives ErrNotThisWitness; a line of w's key that does not verify
// is an error too, and a note carrying one should be rejected whole.
func VerifyCosignature(w *Witness, checkpoint, sigLine []byte) (time.Time, error) {
	if w == nil || w.Key == nil {
		return time.Time{}, errors.New("witness has no key: build it with ParseWitness")
	}
	text, _ := splitNote(checkpoint)
	if err := checkNoteText(text); err != nil {
		return time.Time{}, err
	}
	s, err := parseSignatureLine(bytes.TrimSuffix(sigLine, []byte("\n")))
	if err != nil {
		return time.Time{}, err
	}
	if s.name != w.Key.name || s.id != w.Key.hash {
		return time.Time{}, fmt.Errorf("%w (line of %s+%08x, witness is %s+%08x)", ErrNotThisWitness, s.name, s.id, w.Key.name, w.Key.hash)
	}
	t, ok := w.Key.verify(text, s.sig)
	if !ok {
		return time.Time{}, fmt.Errorf("the cosignature of witness %s does not verify over this checkpoint", w.Key.name)
	}
	return t, nil
}

// snippet returns at most 200 bytes of b, for error messages that quote (with
// %q, which escapes control bytes) what a peer sent.
func snippet(b []byte) string {
	const max = 200
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
