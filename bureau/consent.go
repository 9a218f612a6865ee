package bureau

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/identity"
)

var _ probity.ConsentService = (*Bureau)(nil)

// GrantConsent lets a subject open their score and grade in one domain to
// another domain's readers, for a purpose of that domain, until a date.
func (b *Bureau) GrantConsent(ctx context.Context, req probity.ConsentRequest) (*probity.ConsentGrant, error) {
	subject, err := b.subjectOfCaller(ctx, req.Subject, "granting consent", req.Domain)
	if err != nil {
		return nil, err
	}
	until, err := ParseTime(req.Until)
	if err != nil {
		return nil, prefixed("until", err)
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	g := &probity.ConsentGrant{ID: hex.EncodeToString(id), Domain: req.Domain, Grantee: req.Grantee, Purpose: req.Purpose, Until: until}
	err = b.store.Update(ctx, func(tx probity.Tx) error {
		if _, cur, err := currentVersion(tx, req.Domain); err != nil {
			return err
		} else if !cur.Spec.Rates(subject.Kind) {
			return probity.Errorf(probity.EINVALID, "domain: %s does not rate %s subjects", req.Domain, subject.Kind)
		}
		if req.Grantee == req.Domain {
			return probity.Errorf(probity.EINVALID, "grantee: the domain's own readers need no consent; name another domain")
		}
		_, grantee, err := currentVersion(tx, req.Grantee)
		if err != nil {
			return prefixed("grantee", err)
		}
		if !grantee.Spec.HasPurpose(req.Purpose) {
			return probity.Errorf(probity.EINVALID, "purpose: %s is not a purpose of %s; allowed: %s", probity.Quote(req.Purpose), req.Grantee, strings.Join(grantee.Spec.Purposes, ", "))
		}
		g.CreatedAt, g.Subject = tx.Now(), b.keys.Pseudonym(req.Domain, subject)
		if !g.Until.After(g.CreatedAt) {
			return probity.Errorf(probity.EINVALID, "until: %s is not in the future", req.Until)
		}
		if err := tx.InsertConsent(g); err != nil {
			return err
		}
		return b.logConsent(ctx, tx, probity.ActionConsentGranted, g)
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

func (b *Bureau) logConsent(ctx context.Context, tx probity.Tx, action string, g *probity.ConsentGrant) error {
	return b.log.Record(tx, probity.AuditLeaf{Actor: probity.ActorFromContext(ctx).ID, Action: action, Domain: g.Domain,
		Subject: &g.Subject, Ref: g.ID, Digest: audit.ConsentDigest(g)})
}

// RevokeConsent revokes a subject's grant at once.
func (b *Bureau) RevokeConsent(ctx context.Context, domain, id, asked string) (*probity.ConsentGrant, error) {
	subject, err := b.subjectOfCaller(ctx, asked, "revoking consent", domain)
	if err != nil {
		return nil, err
	}
	var g *probity.ConsentGrant
	err = b.store.Update(ctx, func(tx probity.Tx) error {
		var err error
		if g, err = tx.Consent(domain, id); err != nil || g.Subject != b.keys.Pseudonym(domain, subject) {
			return probity.Errorf(probity.ENOTFOUND, "you have no consent %s in %s", probity.Quote(id), domain)
		}
		if err := tx.RevokeConsent(domain, id); err != nil {
			return err
		}
		g.RevokedAt = tx.Now()
		return b.logConsent(ctx, tx, probity.ActionConsentRevoked, g)
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// ConsentedScore lets a reader of another domain see a subject's status,
// score and grade in domain, under a live grant of the subject naming the
// reader's domain and purpose. The read is an inquiry the subject sees.
func (b *Bureau) ConsentedScore(ctx context.Context, domain, asked, purpose string) (*probity.ConsentedScore, error) {
	a := probity.ActorFromContext(ctx)
	var readerOf []string
	if a.Principal != nil {
		readerOf = a.Principal.Domains(probity.RoleReader)
	}
	if len(readerOf) == 0 && !a.Local {
		return nil, b.authorize(ctx, "reading a score under consent", role(probity.RoleReader, anyDomain))
	}
	subject, err := b.namedSubject(asked)
	if err != nil {
		return nil, err
	}
	var out *probity.ConsentedScore
	err = b.store.Update(ctx, func(tx probity.Tx) error {
		pseudonym := b.keys.Pseudonym(domain, subject)
		grants, err := tx.SubjectConsents(domain, pseudonym)
		if err != nil {
			return err
		}
		var g *probity.ConsentGrant
		for i := range grants {
			// the installation's own command line reads as any grantee
			if grants[i].Live(tx.Now()) && grants[i].Purpose == purpose && (a.Local || contains(readerOf, grants[i].Grantee)) {
				g = &grants[i]
			}
		}
		if g == nil {
			return errNoConsent
		}
		batch := b.log.Begin(tx)
		suspended, err := b.settleDisputes(tx, batch, domain, pseudonym)
		if err != nil {
			return err
		}
		score, _, err := b.score(ctx, tx, probity.ScoreRequest{Domain: domain, Subject: asked, Purpose: SubjectPurpose}, subject, pseudonym, suspended, true)
		if err != nil {
			return err
		}
		out = &probity.ConsentedScore{Domain: domain, Status: score.Status, Score: score.Score, Grade: score.Grade, Consent: g.ID}
		if err := batch.Add(probity.AuditLeaf{Actor: a.ID, Action: probity.ActionScoreRead, Domain: domain, Subject: &pseudonym,
			Purpose: fmt.Sprintf("consent %s (%s for %s)", g.ID, purpose, g.Grantee), Digest: audit.ReadDigest(out)}); err != nil {
			return err
		}
		return batch.Commit()
	})
	if err == errNoConsent {
		return nil, b.deny(ctx, "reading a score under consent", domain, probity.Errorf(probity.EFORBIDDEN,
			"no live consent of this subject lets readers of %s see their score in %s for %s", strings.Join(readerOf, " or "), domain, probity.Quote(purpose)))
	}
	return out, err
}

var errNoConsent = fmt.Errorf("no consent")

// namedSubject parses a subject identifier named in a request.
func (b *Bureau) namedSubject(asked string) (probity.Subject, error) {
	if asked == "" {
		return probity.Subject{}, probity.Errorf(probity.EINVALID, "subject: required, as scheme:value")
	}
	s, err := identity.Parse(asked)
	if err != nil {
		return s, prefixed("subject", err)
	}
	return s, nil
}
