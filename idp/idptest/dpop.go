package idptest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Thumbprint is the RFC 7638 thumbprint of a key, as a DPoP-bound token's
// cnf.jkt has it.
func Thumbprint(tb testing.TB, key *ecdsa.PrivateKey) string {
	tb.Helper()
	tp, err := (&jose.JSONWebKey{Key: &key.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		tb.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

// DPoPProof is a DPoP proof (RFC 9449) by key for one request (method and
// URL) and access token, with its jti and issue time.
func DPoPProof(tb testing.TB, key *ecdsa.PrivateKey, method, url, token, jti string, iat time.Time) string {
	tb.Helper()
	ath := sha256.Sum256([]byte(token))
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"))
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := jwt.Signed(s).Claims(map[string]any{"jti": jti, "htm": method, "htu": url, "iat": iat.Unix(),
		"ath": base64.RawURLEncoding.EncodeToString(ath[:])}).Serialize()
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}
