package bureau

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/probity-dev/probity"
)

// Token prefixes: a principal's token, and a subject's, which also carries
// the subject's identifier sealed with a key only this installation holds.
const (
	tokenPrefix        = "prb_"
	subjectTokenPrefix = "prs_"
	idBytes            = 8
	secretBytes        = 32
	// MaxTokenLength bounds a token before it is parsed.
	MaxTokenLength = 512
)

// Token is a parsed bearer token.
type Token struct {
	ID      string
	Secret  []byte
	Sealed  []byte // a subject token's sealed identifier
	Subject bool
}

var b64 = base64.RawURLEncoding

// ParseToken parses a bearer token without looking it up. Its errors never
// echo the token.
func ParseToken(s string) (*Token, error) {
	bad := func(why string) error {
		return probity.Errorf(probity.EUNAUTHORIZED, "malformed token: %s; send Authorization: Bearer <token>, a token being prb_<id>_<secret> (or prs_... for a subject) as issued", why)
	}
	if len(s) > MaxTokenLength {
		return nil, bad("too long")
	}
	t := &Token{}
	var rest string
	var ok bool
	if rest, ok = strings.CutPrefix(s, tokenPrefix); !ok {
		if rest, ok = strings.CutPrefix(s, subjectTokenPrefix); !ok {
			return nil, bad("unknown prefix")
		}
		t.Subject = true
	}
	want := map[bool]int{false: 2, true: 3}[t.Subject]
	parts := strings.SplitN(rest, "_", want) // the sealed part, last, may hold '_'
	if len(parts) != want {
		return nil, bad("wrong number of parts")
	}
	if id, err := hex.DecodeString(parts[0]); err != nil || len(id) != idBytes || parts[0] != hex.EncodeToString(id) {
		return nil, bad("bad id")
	}
	t.ID = parts[0]
	secret, err := hex.DecodeString(parts[1])
	if err != nil || len(secret) != secretBytes || parts[1] != hex.EncodeToString(secret) {
		return nil, bad("bad secret")
	}
	t.Secret = secret
	if t.Subject {
		if t.Sealed, err = b64.DecodeString(parts[2]); err != nil || len(t.Sealed) < 12+16 || b64.EncodeToString(t.Sealed) != parts[2] {
			return nil, bad("bad subject part")
		}
	}
	return t, nil
}

// String writes the token as issued.
func (t *Token) String() string {
	if t.Subject {
		return subjectTokenPrefix + t.ID + "_" + hex.EncodeToString(t.Secret) + "_" + b64.EncodeToString(t.Sealed)
	}
	return tokenPrefix + t.ID + "_" + hex.EncodeToString(t.Secret)
}

// newToken draws a fresh id and secret.
func newToken() (*Token, error) {
	buf := make([]byte, idBytes+secretBytes)
	if _, err := rand.Read(buf); err != nil {
		return nil, err
	}
	return &Token{ID: hex.EncodeToString(buf[:idBytes]), Secret: buf[idBytes:]}, nil
}

func secretHash(secret []byte) []byte {
	h := sha256.Sum256(secret)
	return h[:]
}

// seal encrypts a subject's identifier into the token with AES-256-GCM,
// bound to the token id, so that no identifier is stored at rest.
func seal(key []byte, id, identifier string) ([]byte, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, []byte(identifier), []byte(id)), nil
}

func unseal(key []byte, id string, sealed []byte) (string, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return "", err
	}
	n := aead.NonceSize()
	plain, err := aead.Open(nil, sealed[:n], sealed[n:], []byte(id))
	if err != nil {
		return "", probity.Errorf(probity.EUNAUTHORIZED, "token not recognised")
	}
	return string(plain), nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
