package idp

import (
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/probity-dev/probity"
)

// checkBinding checks a sender-constrained token against how it was
// presented: a token bound to a key (cnf.jkt, RFC 9449) needs the DPoP
// scheme and a proof signed by that key for this very request; a token
// bound to a certificate (cnf.x5t#S256, RFC 8705) needs a TLS connection
// made with that certificate. An unbound token sent with the DPoP scheme
// is refused: whoever sent it believes it is bound, and it is not.
func (v *Verifier) checkBinding(raw string, c *claims, p probity.Presentation, now time.Time) error {
	if c.Cnf.X5tS256 != "" {
		want, err := base64.RawURLEncoding.DecodeString(c.Cnf.X5tS256)
		switch {
		case err != nil || len(want) != sha256.Size:
			return refused("the token's cnf.x5t#S256 is not a base64url SHA-256")
		case p.CertSHA256 == nil:
			return refused("the token is bound to a client certificate (RFC 8705), and the connection presented none: connect with that certificate over TLS")
		case subtle.ConstantTimeCompare(want, p.CertSHA256) != 1:
			return refused("the token is bound to another client certificate than this connection's (RFC 8705)")
		}
	}
	switch {
	case c.Cnf.JKT != "":
		if !strings.EqualFold(p.Scheme, "DPoP") {
			return refused("the token is bound to a key (DPoP, RFC 9449): send it as Authorization: DPoP <token> with a DPoP proof")
		}
		return v.checkProof(raw, c.Cnf.JKT, p, now)
	case strings.EqualFold(p.Scheme, "DPoP"):
		return refused("Authorization: DPoP with a token not bound to a key (no cnf.jkt); send it as Bearer")
	}
	return nil
}

// proofWindow is how old a DPoP proof may be (its iat), beside the skew.
const proofWindow = time.Minute

// checkProof checks a DPoP proof (RFC 9449 section 4.3) for a token bound
// to the key whose thumbprint is jkt.
func (v *Verifier) checkProof(raw, jkt string, p probity.Presentation, now time.Time) error {
	if p.DPoP == "" {
		return refused("the token is bound to a key (DPoP): the request has no DPoP proof header")
	}
	proof, err := jose.ParseSigned(p.DPoP, Algorithms)
	if err != nil {
		return refused("the DPoP proof is not a JWS signed with RS256, ES256 or EdDSA: %v", err)
	}
	if len(proof.Signatures) != 1 {
		return refused("the DPoP proof has %d signatures; want one", len(proof.Signatures))
	}
	h := proof.Signatures[0].Header
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "dpop+jwt" {
		return refused("the DPoP proof's typ is %s; want dpop+jwt", probity.Quote(typ))
	}
	if h.JSONWebKey == nil || !h.JSONWebKey.Valid() || !h.JSONWebKey.IsPublic() {
		return refused("the DPoP proof carries no public key (jwk) in its header")
	}
	payload, err := proof.Verify(h.JSONWebKey.Key)
	if err != nil {
		return refused("the DPoP proof's signature does not verify with the key in its header")
	}
	thumb, err := h.JSONWebKey.Thumbprint(crypto.SHA256)
	if err != nil || base64.RawURLEncoding.EncodeToString(thumb) != jkt {
		return refused("the DPoP proof is signed by another key than the one the token is bound to")
	}
	var c struct {
		JTI string  `json:"jti"`
		HTM string  `json:"htm"`
		HTU string  `json:"htu"`
		IAT float64 `json:"iat"`
		ATH string  `json:"ath"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return refused("the DPoP proof's claims cannot be read: %v", err)
	}
	ath := sha256.Sum256([]byte(raw))
	iat := time.Unix(int64(c.IAT), 0)
	switch {
	case c.JTI == "":
		return refused("the DPoP proof has no jti")
	case c.HTM != p.Method:
		return refused("the DPoP proof is for method %s, not %s", probity.Quote(c.HTM), p.Method)
	case !sameURL(c.HTU, p.URL):
		return refused("the DPoP proof is for %s, not %s", probity.Quote(c.HTU), p.URL)
	case c.ATH != base64.RawURLEncoding.EncodeToString(ath[:]):
		return refused("the DPoP proof's ath is not the hash of this access token")
	case iat.After(now.Add(v.cfg.Skew)) || iat.Before(now.Add(-proofWindow-v.cfg.Skew)):
		return refused("the DPoP proof was made at %s; it must be at most %s old", iat.UTC().Format(time.RFC3339), proofWindow)
	case !v.proofs.first(jkt+" "+c.JTI, now.Add(proofWindow+2*v.cfg.Skew), now):
		return refused("the DPoP proof was used before (jti %s): make a new proof for every request", probity.Quote(c.JTI))
	}
	return nil
}

// sameURL compares a proof's htu with the request's URL, without query
// and fragment, the scheme and host in any case (RFC 9449 section 4.3).
func sameURL(htu, url string) bool {
	if i := strings.IndexAny(htu, "?#"); i >= 0 {
		htu = htu[:i]
	}
	hs, hr, ok1 := strings.Cut(htu, "://")
	us, ur, ok2 := strings.Cut(url, "://")
	if !ok1 || !ok2 || !strings.EqualFold(hs, us) {
		return false
	}
	hh, hp, _ := strings.Cut(hr, "/")
	uh, up, _ := strings.Cut(ur, "/")
	return strings.EqualFold(hh, uh) && hp == up
}

// replayCache remembers the DPoP proofs seen until they expire, bounded:
// when full, the expired ones are dropped, then any (a flood of fresh
// proofs can at worst let a proof younger than the window be replayed,
// never an old one, which iat refuses).
type replayCache struct {
	mu   sync.Mutex
	max  int
	seen map[string]time.Time
}

func newReplayCache(max int) *replayCache {
	return &replayCache{max: max, seen: map[string]time.Time{}}
}

// first reports whether id is new, and remembers it until until.
func (r *replayCache) first(id string, until, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if exp, ok := r.seen[id]; ok && exp.After(now) {
		return false
	}
	if len(r.seen) >= r.max {
		for k, exp := range r.seen {
			if !exp.After(now) {
				delete(r.seen, k)
			}
		}
		for k := range r.seen {
			if len(r.seen) < r.max {
				break
			}
			delete(r.seen, k)
		}
	}
	r.seen[id] = until
	return true
}
