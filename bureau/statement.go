package bureau

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/statement"
)

var _ probity.StatementService = (*Bureau)(nil)

// statementKeyDomain names the key statements are signed with, derived
// from the master key like a domain's: every server of an installation
// signs with it, and no file needs copying. '!' starts no domain id.
const statementKeyDomain = "!statements"

// statementKey returns the installation's statement signing key and its
// key id (its RFC 7638 thumbprint).
func (b *Bureau) statementKey() (ed25519.PrivateKey, string) {
	key := ed25519.NewKeyFromSeed(b.keys.DomainKey(statementKeyDomain)[:ed25519.SeedSize])
	jwk := jose.JSONWebKey{Key: key.Public()}
	tp, _ := jwk.Thumbprint(crypto.SHA256)
	return key, base64.RawURLEncoding.EncodeToString(tp)
}

// StatementKeys returns the public key statements and status lists are
// signed with, as a JWK set.
func (b *Bureau) StatementKeys() map[string]any {
	key, kid := b.statementKey()
	jwk := jose.JSONWebKey{Key: key.Public(), KeyID: kid, Algorithm: string(jose.EdDSA), Use: "sig"}
	raw, _ := jwk.MarshalJSON()
	var m map[string]any
	json.Unmarshal(raw, &m)
	return map[string]any{"keys": []any{m}}
}

// IssueStatement issues a statement of the caller's standing in a domain:
// an SD-JWT VC whose claims (domain, spec version, status, grade, score,
// as-of date, identifier) are each selectively disclosable, bound to the
// holder's key, with its place in the domain's status list. The
// statement's record and its leaf are written in one transaction; the
// store keeps none of its content.
func (b *Bureau) IssueStatement(ctx context.Context, req probity.StatementRequest) (*probity.IssuedStatement, error) {
	subject, err := b.subjectOfCaller(ctx, req.Subject, "issuing a statement", req.Domain)
	if err != nil {
		return nil, err
	}
	var made map[string]any
	if req.HolderKey == nil {
		if req.HolderKey, made, err = newHolderKey(); err != nil {
			return nil, err
		}
	}
	claims, holder, err := checkStatementRequest(req)
	if err != nil {
		return nil, err
	}
	a := probity.ActorFromContext(ctx)
	var out *probity.IssuedStatement
	err = b.store.Update(ctx, func(tx probity.Tx) error {
		versions, cur, err := currentVersion(tx, req.Domain)
		if err != nil {
			return err
		}
		if !cur.Spec.Rates(subject.Kind) {
			return probity.Errorf(probity.EINVALID, "domain: %s does not rate %s subjects", req.Domain, subject.Kind)
		}
		expires, err := statementExpiry(req, cur.Spec, tx.Now())
		if err != nil {
			return err
		}
		batch := b.log.Begin(tx)
		pseudonym := b.keys.Pseudonym(req.Domain, subject)
		suspended, err := b.settleDisputes(tx, batch, req.Domain, pseudonym)
		if err != nil {
			return err
		}
		score, _, err := compute(ctx, tx, versions, cur, subject.Kind, pseudonym, suspended, tx.Now(), paging{})
		if err != nil {
			return err
		}
		if err := tx.LockLog(req.Domain, b.log.Origin(req.Domain)); err != nil {
			return err // the status list's next index is this domain's to give
		}
		var id [12]byte
		rand.Read(id[:])
		rec := &probity.StatementRecord{ID: hex.EncodeToString(id[:]), Domain: req.Domain, Subject: pseudonym,
			IssuedAt: tx.Now(), ExpiresAt: expires}
		if err := tx.InsertStatement(rec); err != nil {
			return err
		}
		values := map[string]any{"domain": req.Domain, "spec_version": cur.Version, "status": string(score.Status),
			"grade": score.Grade, "score": score.Score, "as_of": score.AsOf.UTC().Format(time.DateOnly), "subject": subject.String()}
		disclosed := map[string]any{}
		for _, c := range claims {
			disclosed[c] = values[c]
		}
		key, kid := b.statementKey()
		sdjwt, err := statement.Issue(key, jose.EdDSA, kid, map[string]any{
			"iss": req.Issuer, "iat": rec.IssuedAt.Unix(), "exp": rec.ExpiresAt.Unix(), "vct": statement.VCT,
			"cnf":    map[string]any{"jwk": holder},
			"status": map[string]any{"status_list": map[string]any{"idx": rec.Index, "uri": StatusListURI(req.Issuer, req.Domain)}},
		}, disclosed)
		if err != nil {
			return err
		}
		if err := batch.Add(probity.AuditLeaf{Actor: a.ID, Action: probity.ActionStatementIssued, Domain: req.Domain, Subject: &pseudonym,
			Ref: rec.ID, Digest: audit.ReadDigest(sdjwt)}); err != nil {
			return err
		}
		out = &probity.IssuedStatement{ID: rec.ID, Domain: req.Domain, SDJWT: sdjwt, Claims: claims, IssuedAt: rec.IssuedAt,
			ExpiresAt: rec.ExpiresAt, StatusIndex: rec.Index, HolderJWK: made}
		return batch.Commit()
	})
	return out, err
}

// StatusListURI is where a domain's status list is served.
func StatusListURI(issuer, domain string) string {
	return strings.TrimRight(issuer, "/") + "/statuslists/" + domain
}

// checkStatementRequest checks what a statement request asks for: its
// claims (all by default), its issuer and the holder's public key.
func checkStatementRequest(req probity.StatementRequest) ([]string, *jose.JSONWebKey, error) {
	claims := req.Claims
	if len(claims) == 0 {
		claims = slices.Clone(probity.StatementClaims)
	}
	for i, c := range claims {
		if !slices.Contains(probity.StatementClaims, c) {
			return nil, nil, probity.Errorf(probity.EINVALID, "claims[%d]: %s; allowed: %s", i, probity.Quote(c), strings.Join(probity.StatementClaims, ", "))
		}
		if slices.Index(claims, c) != i {
			return nil, nil, probity.Errorf(probity.EINVALID, "claims[%d]: %s is named twice", i, probity.Quote(c))
		}
	}
	if req.Issuer == "" {
		return nil, nil, probity.Errorf(probity.EINVALID, "issuer: the installation's public URL is not known; statements are issued through the server")
	}
	raw, _ := json.Marshal(req.HolderKey)
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(raw); err != nil {
		return nil, nil, probity.Errorf(probity.EINVALID, "holder_key: not a JWK (%v); want an Ed25519 (OKP) or P-256 (EC) public key", err)
	}
	if !jwk.IsPublic() {
		return nil, nil, probity.Errorf(probity.EINVALID, "holder_key: a private key; send only the public part, and keep the private key to yourself")
	}
	switch jwk.Key.(type) {
	case ed25519.PublicKey:
	default:
		if raw, _ := jwk.MarshalJSON(); !strings.Contains(string(raw), `"crv":"P-256"`) {
			return nil, nil, probity.Errorf(probity.EINVALID, "holder_key: want an Ed25519 (OKP) or P-256 (EC) public key")
		}
	}
	return claims, &jose.JSONWebKey{Key: jwk.Key}, nil
}

// statementExpiry reads the expiry asked, as a validity ("30d") or a date
// or time (expires_at), at most the spec's statements.max_validity from
// now; neither asks for that maximum.
func statementExpiry(req probity.StatementRequest, s *probity.Spec, now time.Time) (time.Time, error) {
	most := s.StatementMaxValidity()
	latest := now.Add(time.Duration(most) * 24 * time.Hour)
	switch {
	case req.Validity != "" && req.ExpiresAt != "":
		return time.Time{}, probity.Errorf(probity.EINVALID, "expires_at: give validity or expires_at, not both")
	case req.ExpiresAt != "":
		t, err := ParseTime(req.ExpiresAt)
		if err != nil {
			return time.Time{}, prefixed("expires_at", err)
		}
		if !t.After(now) || t.After(latest) {
			return time.Time{}, probity.Errorf(probity.EINVALID, "expires_at: %s; want a time after now and at most %dd ahead (%s's statements.max_validity)", req.ExpiresAt, most, s.ID)
		}
		return t, nil
	case req.Validity == "":
		return latest, nil
	}
	d, err := probity.ParseDuration(req.Validity)
	if err != nil || d <= 0 {
		return time.Time{}, probity.Errorf(probity.EINVALID, "validity: %s is not a duration; write days or years, such as 30d, at most %dd", probity.Quote(req.Validity), most)
	}
	if d > most {
		return time.Time{}, probity.Errorf(probity.EINVALID, "validity: %s is longer than %s allows (statements.max_validity %dd)", req.Validity, s.ID, most)
	}
	return now.Add(time.Duration(d) * 24 * time.Hour), nil
}

// newHolderKey makes a key pair for a subject who sent no key: its public
// JWK for the statement, its private JWK for them, shown once.
func newHolderKey() (pub, priv map[string]any, err error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	asMap := func(k jose.JSONWebKey) map[string]any {
		raw, _ := k.MarshalJSON()
		var m map[string]any
		json.Unmarshal(raw, &m)
		return m
	}
	return asMap(jose.JSONWebKey{Key: key.Public()}), asMap(jose.JSONWebKey{Key: key}), nil
}

// RevokeStatement revokes one of the caller's statements: its bit in the
// domain's status list is set from now on. Revoking it again does nothing.
func (b *Bureau) RevokeStatement(ctx context.Context, domain, id string) error {
	subject, err := b.subjectOfCaller(ctx, "", "revoking a statement", domain)
	if err != nil {
		return err
	}
	a := probity.ActorFromContext(ctx)
	return b.store.Update(ctx, func(tx probity.Tx) error {
		pseudonym := b.keys.Pseudonym(domain, subject)
		rec, err := tx.Statement(domain, id)
		if err != nil || rec.Subject != pseudonym {
			return probity.Errorf(probity.ENOTFOUND, "you have no statement %s in %s", probity.Quote(id), domain)
		}
		n, err := tx.RevokeStatements(domain, pseudonym, id)
		if err != nil || n == 0 {
			return err
		}
		return b.log.Record(tx, probity.AuditLeaf{Actor: a.ID, Action: probity.ActionStatementRevoked, Domain: domain, Subject: &pseudonym,
			Ref: id, Digest: audit.ReadDigest(map[string]any{"domain": domain, "statement": id, "revoked_at": tx.Now()})})
	})
}

// StatusList returns the domain's status list, signed: a statuslist+jwt
// whose bit at a statement's index is 1 once it is revoked. It is public:
// a verifier learns one bit of a list, nothing of whose it is.
func (b *Bureau) StatusList(ctx context.Context, domain, uri string) (string, error) {
	var size int
	var revoked []int
	var now time.Time
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		if _, _, err := currentVersion(tx, domain); err != nil {
			return err
		}
		var err error
		size, revoked, err = tx.RevokedStatements(domain)
		now = tx.Now()
		return err
	})
	if err != nil {
		return "", err
	}
	lst, err := statement.EncodeStatusList(max(size, 8), revoked)
	if err != nil {
		return "", err
	}
	key, kid := b.statementKey()
	return statement.SignJWT(key, jose.EdDSA, kid, statement.StatusListType, map[string]any{
		"sub": uri, "iat": now.Unix(), "ttl": 300, "status_list": map[string]any{"bits": 1, "lst": lst}})
}
