package bureau

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/identity"
)

var _ probity.OfficialService = (*Bureau)(nil)

// RecordTerm records that a subject held an office (P7): their adverse
// entries that occurred in office count with the spec's officials factor.
func (b *Bureau) RecordTerm(ctx context.Context, req probity.TermRequest) (*probity.OfficialTerm, error) {
	if err := b.authorize(ctx, "recording official terms", role(probity.RoleAdmin, req.Domain)); err != nil {
		return nil, err
	}
	subject, err := identity.Parse(req.Subject)
	if err != nil {
		return nil, prefixed("subject", err)
	}
	if err := probity.CheckText("office", req.Office, 200, true, `e.g. "mayor of Springfield"`); err != nil {
		return nil, err
	}
	if err := screenTexts([]probity.Subject{subject}, "office", req.Office); err != nil {
		return nil, err
	}
	t := &probity.OfficialTerm{Domain: req.Domain, Office: req.Office}
	if t.From, err = ParseTime(req.From); err != nil {
		return nil, prefixed("from", err)
	}
	if req.To != "" {
		if t.To, err = ParseTime(req.To); err != nil {
			return nil, prefixed("to", err)
		}
		if err := probity.CheckEnd("to", t.To); err != nil {
			return nil, err
		}
		if !t.To.After(t.From) {
			return nil, probity.Errorf(probity.EINVALID, "to: %s is not after from", req.To)
		}
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	t.ID = hex.EncodeToString(id)
	err = b.store.Update(ctx, func(tx probity.Tx) error {
		_, cur, err := currentVersion(tx, req.Domain)
		if err != nil {
			return err
		}
		if !cur.Spec.Rates(subject.Kind) {
			return probity.Errorf(probity.EINVALID, "subject: %s does not rate %s subjects", req.Domain, subject.Kind)
		}
		t.Subject = b.keys.Pseudonym(req.Domain, subject)
		if err := tx.InsertTerm(t); err != nil {
			return err
		}
		return b.log.Record(tx, probity.AuditLeaf{Actor: probity.ActorFromContext(ctx).ID, Action: probity.ActionTermRecorded,
			Domain: req.Domain, Subject: &t.Subject, Ref: t.ID, Digest: audit.TermDigest(t)})
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Terms returns a domain's roster of official terms, without identifiers.
func (b *Bureau) Terms(ctx context.Context, domain string) ([]probity.OfficialTerm, error) {
	if err := b.authorize(ctx, "reading the officials roster", role(probity.RoleAdmin, domain)); err != nil {
		return nil, err
	}
	var out []probity.OfficialTerm
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		if _, _, err := currentVersion(tx, domain); err != nil {
			return err
		}
		var err error
		out, err = tx.DomainTerms(domain)
		return err
	})
	return out, err
}
