package bureau

import (
	"context"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

var _ probity.OptOutService = (*Bureau)(nil)

// SetOptOut opts a subject out of a domain, or back in (P6). Only the
// subject (with their token) or the installation's command line may; a
// domain whose spec says opt_out: not_allowed refuses, quoting its legal
// basis.
func (b *Bureau) SetOptOut(ctx context.Context, domain, asked string, out bool) (*probity.OptOutState, error) {
	subject, err := b.subjectOfCaller(ctx, asked, "opting out", domain)
	if err != nil {
		return nil, err
	}
	a := probity.ActorFromContext(ctx)
	state := &probity.OptOutState{Domain: domain, OptedOut: out}
	err = b.store.Update(ctx, func(tx probity.Tx) error {
		_, cur, err := currentVersion(tx, domain)
		if err != nil {
			return err
		}
		if out && cur.Spec.OptOut != probity.OptOutAllowed {
			return probity.Errorf(probity.EFORBIDDEN, "%s does not allow opting out: its lawful basis is %s (%s)",
				domain, cur.Spec.LawfulBasis, cur.Spec.LegalBasis)
		}
		pseudonym := b.keys.Pseudonym(domain, subject)
		if out {
			// a statement of a standing left behind says nothing true now
			if _, err := tx.RevokeStatements(domain, pseudonym, ""); err != nil {
				return err
			}
			err = tx.SetOptOut(domain, pseudonym)
		} else {
			err = tx.ClearOptOut(domain, pseudonym)
		}
		if err != nil {
			return err
		}
		action := probity.ActionOptIn
		if out {
			action, state.Since = probity.ActionOptOut, tx.Now()
		}
		return b.log.Record(tx, probity.AuditLeaf{Actor: a.ID, Action: action, Domain: domain, Subject: &pseudonym,
			Digest: audit.OptOutDigest(domain, pseudonym, state.Since, out)})
	})
	if err != nil {
		return nil, err
	}
	return state, nil
}

// Erase deletes everything a domain whose lawful basis is consent holds
// about the subject, at the subject's request, and shreds the openings of
// the leaves about them: the log keeps only their commitments, covered by
// the erasure's leaf, and still verifies. Domains resting on another basis refuse,
// quoting it.
func (b *Bureau) Erase(ctx context.Context, domain, asked string) (int, error) {
	subject, err := b.subjectOfCaller(ctx, asked, "erasing a record", domain)
	if err != nil {
		return 0, err
	}
	var n int
	err = b.store.Update(ctx, func(tx probity.Tx) error {
		_, cur, err := currentVersion(tx, domain)
		if err != nil {
			return err
		}
		if cur.Spec.LawfulBasis != "consent" {
			return probity.Errorf(probity.EFORBIDDEN, "%s keeps its records on the basis of %s (%s), not consent; erasure on request applies to consent-based domains",
				domain, cur.Spec.LawfulBasis, cur.Spec.LegalBasis)
		}
		pseudonym := b.keys.Pseudonym(domain, subject)
		// the erasure leaf comes next: it covers the openings shredded now
		if err := tx.LockLog(domain, b.log.Origin(domain)); err != nil {
			return err
		}
		at, err := tx.LogSize(domain)
		if err != nil {
			return err
		}
		members, err := tx.ShredMembers(domain, pseudonym, at) // before their rows go
		if err != nil {
			return err
		}
		if n, err = tx.EraseSubject(domain, pseudonym); err != nil {
			return err
		}
		shredded, err := tx.ShredLeaves(domain, pseudonym, at)
		if err != nil {
			return err
		}
		d := audit.NewErasureDigest(domain)
		for _, idx := range shredded {
			d.Add(idx)
		}
		for _, m := range members {
			d.AddMember(m.Index, m.Position)
		}
		return b.log.Record(tx, probity.AuditLeaf{Actor: probity.ActorFromContext(ctx).ID, Action: probity.ActionSubjectErased, Domain: domain,
			Subject: &pseudonym, Digest: d.Sum()})
	})
	return n, err
}
