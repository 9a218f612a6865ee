package statement

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Verified is what a verifier learns from a presentation: the statement's
// public claims and the claims the holder disclosed, nothing else.
type Verified struct {
	Issuer    string         `json:"iss"`
	IssuedAt  time.Time      `json:"issued_at"`
	ExpiresAt time.Time      `json:"expires_at"`
	VCT       string         `json:"vct"`
	Claims    map[string]any `json:"claims"`
	// StatusURI and StatusIndex place the statement in its status list.
	StatusURI   string `json:"status_uri,omitempty"`
	StatusIndex int    `json:"status_index"`
}

// Options are what a verifier brings to Verify.
type Options struct {
	// Keys are the issuer's public keys (its /.well-known/jwt-vc-issuer).
	Keys jose.JSONWebKeySet
	// Audience and Nonce are what the verifier asked the holder to sign;
	// empty, they are not checked (and a replay cannot be ruled out).
	Audience, Nonce string
	Now             time.Time
	// Skew is the clock difference allowed; 0 is a minute.
	Skew time.Duration
	// Status fetches a status list (a statuslist+jwt) by its URI; nil
	// skips the status check, which only a verifier offline should do.
	Status func(uri string) (string, error)
}

// reserved are the claims that are never disclosures.
var reserved = []string{"iss", "iat", "exp", "nbf", "vct", "cnf", "status", "_sd", "_sd_alg", "sub"}

// Verify checks a presentation: the issuer's signature with Keys, the
// expiry, each disclosure against the digests the issuer signed, the
// holder's key-binding JWT with the key the statement binds (cnf) for
// Audience and Nonce, and the statement's status. It returns the claims
// disclosed; an error says what failed.
func Verify(presentation string, o Options) (*Verified, error) {
	if o.Skew == 0 {
		o.Skew = time.Minute
	}
	jwt, disclosures, kb, err := Split(presentation)
	if err != nil {
		return nil, err
	}
	if kb == "" {
		return nil, errors.New("holder binding: no key-binding JWT; a statement is presented signed with the holder's key (probity statement present)")
	}
	payload, err := verifyJWS(jwt, Type, o.Keys)
	if err != nil {
		return nil, fmt.Errorf("issuer's signature: %w", err)
	}
	var p struct {
		Iss    string   `json:"iss"`
		Iat    int64    `json:"iat"`
		Exp    int64    `json:"exp"`
		VCT    string   `json:"vct"`
		SD     []string `json:"_sd"`
		SDAlg  string   `json:"_sd_alg"`
		Cnf    struct{ JWK json.RawMessage }
		Status struct {
			StatusList struct {
				Idx int    `json:"idx"`
				URI string `json:"uri"`
			} `json:"status_list"`
		} `json:"status"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, fmt.Errorf("payload: %v", err)
	}
	v := &Verified{Issuer: p.Iss, IssuedAt: time.Unix(p.Iat, 0).UTC(), ExpiresAt: time.Unix(p.Exp, 0).UTC(), VCT: p.VCT,
		Claims: map[string]any{}, StatusURI: p.Status.StatusList.URI, StatusIndex: p.Status.StatusList.Idx}
	switch {
	case p.SDAlg != "sha-256":
		return nil, fmt.Errorf("payload: _sd_alg %q; only sha-256 is used", p.SDAlg)
	case p.Exp == 0:
		return nil, errors.New("payload: no exp; a statement always expires")
	case o.Now.After(v.ExpiresAt.Add(o.Skew)):
		return nil, fmt.Errorf("expired on %s", v.ExpiresAt.Format(time.RFC3339))
	case v.IssuedAt.After(o.Now.Add(o.Skew)):
		return nil, fmt.Errorf("issued in the future (%s)", v.IssuedAt.Format(time.RFC3339))
	}
	if err := disclose(v, p.SD, disclosures); err != nil {
		return nil, err
	}
	withoutKB := jwt + "~" + strings.Join(disclosures, "~")
	if len(disclosures) > 0 {
		withoutKB += "~"
	}
	if err := checkKeyBinding(kb, p.Cnf.JWK, withoutKB, o); err != nil {
		return nil, fmt.Errorf("holder binding: %w", err)
	}
	if o.Status != nil && v.StatusURI != "" {
		if err := checkStatus(v, o); err != nil {
			return nil, fmt.Errorf("status: %w", err)
		}
	}
	return v, nil
}

// disclose checks each disclosure against the signed digests and keeps
// its claim.
func disclose(v *Verified, sd []string, disclosures []string) error {
	for _, enc := range disclosures {
		d, err := parseDisclosure(enc)
		if err != nil {
			return err
		}
		if !slices.Contains(sd, d.Digest()) {
			return fmt.Errorf("disclosure of %q: its digest is not among those the issuer signed (altered or not of this statement)", d.Name)
		}
		if slices.Contains(reserved, d.Name) {
			return fmt.Errorf("disclosure of %q: a claim that is never disclosed", d.Name)
		}
		if _, dup := v.Claims[d.Name]; dup {
			return fmt.Errorf("disclosure of %q: given twice", d.Name)
		}
		v.Claims[d.Name] = d.Value
	}
	return nil
}

// checkKeyBinding checks the holder's key-binding JWT: signed with the
// key the statement binds, for the audience and nonce asked, over the
// very presentation (sd_hash), recently.
func checkKeyBinding(kb string, cnf json.RawMessage, withoutKB string, o Options) error {
	if len(cnf) == 0 {
		return errors.New("the statement binds no key (cnf)")
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(cnf); err != nil || !jwk.IsPublic() {
		return fmt.Errorf("the statement's cnf.jwk is not a public key: %v", err)
	}
	payload, err := verifyJWS(kb, KeyBindingType, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk}})
	if err != nil {
		return fmt.Errorf("not signed with the key the statement binds: %w", err)
	}
	var p struct {
		Iat    int64  `json:"iat"`
		Aud    string `json:"aud"`
		Nonce  string `json:"nonce"`
		SDHash string `json:"sd_hash"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return err
	}
	at := time.Unix(p.Iat, 0)
	switch {
	case o.Audience != "" && p.Aud != o.Audience:
		return fmt.Errorf("made for audience %q, not %q", p.Aud, o.Audience)
	case o.Nonce != "" && p.Nonce != o.Nonce:
		return fmt.Errorf("made for nonce %q, not %q", p.Nonce, o.Nonce)
	case p.SDHash != digest(withoutKB):
		return errors.New("sd_hash does not match the presentation (disclosures added or removed after signing)")
	case at.After(o.Now.Add(o.Skew)) || at.Before(o.Now.Add(-10*time.Minute)):
		return fmt.Errorf("signed at %s, not just now", at.UTC().Format(time.RFC3339))
	}
	return nil
}

// verifyJWS verifies a compact JWS of type typ with the key its kid
// names in keys (or the only key), and returns its payload.
func verifyJWS(token, typ string, keys jose.JSONWebKeySet) ([]byte, error) {
	jws, err := jose.ParseSigned(token, Algorithms)
	if err != nil {
		return nil, err
	}
	h := jws.Signatures[0].Protected
	if got, _ := h.ExtraHeaders[jose.HeaderType].(string); got != typ {
		return nil, fmt.Errorf("typ %q, want %q", got, typ)
	}
	candidates := keys.Keys
	if h.KeyID != "" {
		candidates = keys.Key(h.KeyID)
	}
	if len(candidates) == 0 {
		return nil, fmt.Errorf("no key %q among the issuer's", h.KeyID)
	}
	var last error
	for _, k := range candidates {
		payload, err := jws.Verify(k.Key)
		if err == nil {
			return payload, nil
		}
		last = err
	}
	return nil, last
}

// checkStatus fetches the statement's status list, checks the issuer
// signed it, and reads the statement's bit: 0 valid, 1 revoked.
func checkStatus(v *Verified, o Options) error {
	jwt, err := o.Status(v.StatusURI)
	if err != nil {
		return err
	}
	payload, err := verifyJWS(strings.TrimSpace(jwt), StatusListType, o.Keys)
	if err != nil {
		return fmt.Errorf("status list %s: %w", v.StatusURI, err)
	}
	var p struct {
		Sub        string `json:"sub"`
		StatusList struct {
			Bits int    `json:"bits"`
			Lst  string `json:"lst"`
		} `json:"status_list"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return err
	}
	if p.Sub != v.StatusURI {
		return fmt.Errorf("status list for %q served at %q", p.Sub, v.StatusURI)
	}
	status, err := StatusAt(p.StatusList.Lst, p.StatusList.Bits, v.StatusIndex)
	if err != nil {
		return err
	}
	if status != 0 {
		return errors.New("revoked")
	}
	return nil
}

// EncodeStatusList encodes a one-bit status list of size entries with the
// revoked indexes set (index 0 the least significant bit of the first
// byte), zlib-compressed and base64url: the status_list claim's lst.
func EncodeStatusList(size int, revoked []int) (string, error) {
	bits := make([]byte, (size+7)/8)
	for _, i := range revoked {
		if i >= 0 && i < size {
			bits[i/8] |= 1 << (i % 8)
		}
	}
	var buf bytes.Buffer
	w, err := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	if err != nil {
		return "", err
	}
	w.Write(bits)
	if err := w.Close(); err != nil {
		return "", err
	}
	return b64.EncodeToString(buf.Bytes()), nil
}

// StatusAt reads the status of index in an encoded one-bit status list.
func StatusAt(lst string, bits, index int) (int, error) {
	if bits != 1 {
		return 0, fmt.Errorf("bits %d; Probity's lists have 1", bits)
	}
	raw, err := b64.DecodeString(lst)
	if err != nil {
		return 0, err
	}
	r, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return 0, err
	}
	list, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return 0, err
	}
	if index < 0 || index/8 >= len(list) {
		return 0, fmt.Errorf("index %d is past the list's %d entries", index, len(list)*8)
	}
	return int(list[index/8]>>(index%8)) & 1, nil
}
