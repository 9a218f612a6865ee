// Package statement makes and checks statements of standing: SD-JWT VCs
// (RFC 9901 SD-JWT, IETF SD-JWT VC, typ dc+sd-jwt) whose claims are each
// selectively disclosable, bound to a key the holder keeps, with a status
// in a Token Status List. The JSON Web Signatures are go-jose's; this
// package does what the SD-JWT format adds: disclosures, their digests,
// the key-binding JWT and its sd_hash.
package statement

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Media types and token types of the formats.
const (
	Type           = "dc+sd-jwt"      // the issuer-signed JWT of an SD-JWT VC
	KeyBindingType = "kb+jwt"         // the holder's key-binding JWT
	StatusListType = "statuslist+jwt" // a Token Status List
	// VCT is the type of Probity's statements of standing.
	VCT = "urn:probity-dev:vct:standing:1"
)

// Algorithms are the signature algorithms accepted from issuers and
// holders.
var Algorithms = []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256}

var b64 = base64.RawURLEncoding

// Disclosure is one selectively disclosable claim: its salt, name and
// value, and its encoding, whose digest the signed payload lists.
type Disclosure struct {
	Salt, Name string
	Value      any
	Encoded    string
}

// Digest is the disclosure's digest as listed in _sd.
func (d Disclosure) Digest() string { return digest(d.Encoded) }

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return b64.EncodeToString(sum[:])
}

// NewDisclosure makes a disclosure of name with value under a fresh
// 128-bit salt.
func NewDisclosure(name string, value any) (Disclosure, error) {
	var salt [16]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return Disclosure{}, err
	}
	d := Disclosure{Salt: b64.EncodeToString(salt[:]), Name: name, Value: value}
	raw, err := json.Marshal([]any{d.Salt, d.Name, d.Value})
	if err != nil {
		return Disclosure{}, err
	}
	d.Encoded = b64.EncodeToString(raw)
	return d, nil
}

// parseDisclosure decodes an encoded disclosure.
func parseDisclosure(enc string) (Disclosure, error) {
	raw, err := b64.DecodeString(enc)
	if err != nil {
		return Disclosure{}, fmt.Errorf("disclosure %.20q: not base64url", enc)
	}
	var parts []any
	if err := json.Unmarshal(raw, &parts); err != nil || len(parts) != 3 {
		return Disclosure{}, fmt.Errorf("disclosure %.20q: not a [salt, name, value] array", enc)
	}
	salt, ok1 := parts[0].(string)
	name, ok2 := parts[1].(string)
	if !ok1 || !ok2 {
		return Disclosure{}, fmt.Errorf("disclosure %.20q: salt and name must be strings", enc)
	}
	return Disclosure{Salt: salt, Name: name, Value: parts[2], Encoded: enc}, nil
}

// Issue signs a statement: claims are public in the payload (iss, iat,
// exp, vct, cnf, status), disclosed ones are made selectively
// disclosable. It returns the SD-JWT with every disclosure, ending in ~.
func Issue(key crypto.Signer, alg jose.SignatureAlgorithm, kid string, claims map[string]any, disclosed map[string]any) (string, error) {
	payload := map[string]any{}
	for k, v := range claims {
		payload[k] = v
	}
	names := make([]string, 0, len(disclosed))
	for n := range disclosed {
		names = append(names, n)
	}
	sort.Strings(names)
	var encoded, digests []string
	for _, n := range names {
		d, err := NewDisclosure(n, disclosed[n])
		if err != nil {
			return "", err
		}
		encoded = append(encoded, d.Encoded)
		digests = append(digests, d.Digest())
	}
	sort.Strings(digests) // the order tells nothing of the names
	payload["_sd"] = digests
	payload["_sd_alg"] = "sha-256"
	jwt, err := sign(key, alg, kid, Type, payload)
	if err != nil {
		return "", err
	}
	return jwt + "~" + strings.Join(encoded, "~") + "~", nil
}

// sign makes a compact JWS of payload with typ and kid in its header.
func sign(key crypto.Signer, alg jose.SignatureAlgorithm, kid, typ string, payload any) (string, error) {
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ))
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(body)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// SignJWT signs a plain JWT (a status list) with typ in its header.
func SignJWT(key crypto.Signer, alg jose.SignatureAlgorithm, kid, typ string, payload any) (string, error) {
	return sign(key, alg, kid, typ, payload)
}

// Split parses an SD-JWT or a presentation: the issuer-signed JWT, the
// disclosures, and the key-binding JWT ("" when it ends in ~).
func Split(s string) (jwt string, disclosures []string, kb string, err error) {
	parts := strings.Split(strings.TrimSpace(s), "~")
	if len(parts) < 2 {
		return "", nil, "", errors.New("not an SD-JWT: no ~ after the issuer-signed JWT")
	}
	jwt, kb = parts[0], parts[len(parts)-1]
	for _, d := range parts[1 : len(parts)-1] {
		if d == "" {
			return "", nil, "", errors.New("not an SD-JWT: an empty disclosure")
		}
		disclosures = append(disclosures, d)
	}
	return jwt, disclosures, kb, nil
}

// Present keeps the disclosures of the claims in reveal (and no other),
// and appends a key-binding JWT signed with the holder's key for the
// audience and nonce the verifier gave: the presentation a verifier
// checks with Verify.
func Present(sdjwt string, reveal []string, holder crypto.Signer, alg jose.SignatureAlgorithm, aud, nonce string, now time.Time) (string, error) {
	jwt, disclosures, kb, err := Split(sdjwt)
	if err != nil {
		return "", err
	}
	if kb != "" {
		return "", errors.New("this is a presentation already: present the statement as issued")
	}
	kept := []string{jwt}
	have := map[string]bool{}
	for _, enc := range disclosures {
		d, err := parseDisclosure(enc)
		if err != nil {
			return "", err
		}
		have[d.Name] = true
		if slices.Contains(reveal, d.Name) {
			kept = append(kept, enc)
		}
	}
	for _, r := range reveal {
		if !have[r] {
			return "", fmt.Errorf("reveal: the statement holds no claim %q; it holds %s", r, strings.Join(sortedKeys(have), ", "))
		}
	}
	withoutKB := strings.Join(kept, "~") + "~"
	kbJWT, err := sign(holder, alg, "", KeyBindingType, map[string]any{
		"iat": now.Unix(), "aud": aud, "nonce": nonce, "sd_hash": digest(withoutKB)})
	if err != nil {
		return "", err
	}
	return withoutKB + kbJWT, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
