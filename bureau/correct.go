package bureau

import (
	"context"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/identity"
)

// Correct rectifies an entry: the correction is a new entry, validated like
// any other and about the same subject, that supersedes the old one, which
// is retracted in the same transaction. Only the domain's reporters correct.
func (b *Bureau) Correct(ctx context.Context, domain, oldKey string, input probity.EventInput, reason string) (*probity.Event, error) {
	if err := b.authorize(ctx, "correcting events", role(probity.RoleReporter, domain)); err != nil {
		return nil, err
	}
	if err := probity.CheckText("reason", reason, MaxDisputeReason, true, "say what the correction corrects"); err != nil {
		return nil, err
	}
	var own []probity.Subject
	if s, err := identity.Parse(input.Subject); err == nil {
		own = append(own, s) // the entry's subject: the correction must be about it
	}
	if err := screenTexts(own, "reason", reason); err != nil {
		return nil, err
	}
	actor := probity.ActorFromContext(ctx).ID
	var e *probity.Event
	err := b.store.Update(ctx, func(tx probity.Tx) error {
		in, err := b.newIntake(tx, domain)
		if err != nil {
			return err
		}
		in.tx, in.rtx = tx, tx
		old, err := tx.EventByKey(domain, oldKey)
		if err != nil {
			return prefixed("key", err)
		}
		var points []probity.Points
		if e, points, err = in.validate(input); err != nil {
			return prefixed("correction", err)
		}
		if e.Subject != old.Subject {
			return probity.Errorf(probity.EINVALID, "correction: about another subject than entry %s; a correction corrects its own subject's entry", oldKey)
		}
		inserted, err := tx.InsertEvents([]*probity.Event{e}, [][]probity.Points{points})
		if err != nil {
			return err
		} else if !inserted[0] {
			return probity.Errorf(probity.ECONFLICT, "correction: key %s is taken; a correction needs a new key", probity.Quote(e.Key))
		}
		if err := tx.RetractEvent(domain, oldKey); err != nil {
			return err
		}
		batch := b.log.Begin(tx)
		if err := batch.Add(
			probity.AuditLeaf{Actor: actor, Action: probity.ActionEventAccepted, Domain: domain, Subject: &e.Subject, Ref: e.Key, Digest: audit.EventDigest(e)},
			probity.AuditLeaf{Actor: actor, Action: probity.ActionEventRetracted, Domain: domain, Subject: &old.Subject, Purpose: "corrected by " + e.Key,
				Ref: oldKey, Digest: audit.RetractionDigest(domain, oldKey, tx.Now())},
		); err != nil {
			return err
		}
		if err := b.settleRetracted(tx, batch, old, actor, "the domain corrected the entry with "+e.Key+": "+reason); err != nil {
			return err
		}
		return batch.Commit()
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}
