package bureau

import (
	"context"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

var _ probity.ReportService = (*Bureau)(nil)

// Report returns everything each domain holds about the caller's subject:
// the score with its explanation, every inquiry into the record, and the
// openings of every leaf about them with inclusion proofs to the latest
// checkpoint, to be checked offline (audit.CheckBundle). Reading
// it is itself an inquiry, one leaf per domain shown.
func (b *Bureau) Report(ctx context.Context, asked string) (*probity.Report, error) {
	subject, err := b.subjectOfCaller(ctx, asked, "reading a report", "")
	if err != nil {
		return nil, err
	}
	a := probity.ActorFromContext(ctx)
	var r *probity.Report
	err = b.store.Update(ctx, func(tx probity.Tx) error {
		r = &probity.Report{Kind: subject.Kind, AsOf: tx.Now(), Domains: []probity.DomainReport{}}
		ids, err := tx.DomainIDs()
		if err != nil {
			return err
		}
		// The proofs first: without witnesses, this seals the domain logs
		// as they are before this read adds its leaves.
		c, err := b.newChain(ctx, tx)
		if probity.ErrorCode(err) == probity.EUNAVAILABLE {
			c = nil // no witnessed checkpoint yet: the report, without proofs
		} else if err != nil {
			return err
		} else {
			r.Log = c.bundle
		}
		batch := b.log.Begin(tx)
		for _, id := range ids {
			d, err := b.domainReport(tx, batch, id, subject)
			if err != nil || d == nil {
				if err != nil {
					return err
				}
				continue
			}
			pseudonym := b.keys.Pseudonym(id, subject)
			if err := c.subjectOpenings(id, pseudonym); err != nil {
				return err
			}
			if err := batch.Add(probity.AuditLeaf{Actor: a.ID, Action: probity.ActionReportRead, Domain: id, Subject: &pseudonym,
				Purpose: SubjectPurpose, Digest: audit.ReadDigest(d)}); err != nil {
				return err
			}
			r.Domains = append(r.Domains, *d)
		}
		return batch.Commit()
	})
	return r, err
}

// domainReport returns a domain's part of a subject's report, or nil if the
// domain holds nothing about the subject (no event, no inquiry).
func (b *Bureau) domainReport(tx probity.Tx, batch *audit.Batch, id string, subject probity.Subject) (*probity.DomainReport, error) {
	versions, cur, err := currentVersion(tx, id)
	if err != nil || !cur.Spec.Rates(subject.Kind) {
		return nil, err
	}
	pseudonym := b.keys.Pseudonym(id, subject)
	suspended, err := b.settleDisputes(tx, batch, id, pseudonym) // before reading: an expired dispute retracts its entry
	if err != nil {
		return nil, err
	}
	score, events, err := compute(tx, versions, cur, subject.Kind, pseudonym, suspended, tx.Now())
	if err != nil {
		return nil, err
	}
	d := &probity.DomainReport{Domain: id, Name: cur.Spec.Name, Owner: cur.Spec.Owner, LegalBasis: cur.Spec.LegalBasis,
		OptOut: cur.Spec.OptOut, Score: score, Entries: make([]probity.Event, len(events))}
	for i := range events {
		d.Entries[i] = events[i].Event
	}
	reads, err := tx.Inquiries(id, pseudonym)
	if err != nil {
		return nil, err
	}
	d.Inquiries = make([]probity.Inquiry, len(reads))
	for i, l := range reads {
		d.Inquiries[i] = probity.Inquiry{At: l.At, Actor: l.Actor, Action: l.Action, Purpose: l.Purpose, Leaf: l.Index}
	}
	if err := subjectRows(tx, id, pseudonym, d); err != nil {
		return nil, err
	}
	if len(events) == 0 && len(reads) == 0 && score.Status != probity.StatusOptedOut && len(d.Disputes) == 0 && len(d.Consents) == 0 &&
		len(d.Orders) == 0 && len(d.Terms) == 0 && len(d.Retracted) == 0 {
		return nil, nil // the domain holds nothing about the subject
	}
	return d, nil
}

// subjectRows fills in the rest of what a domain holds about a subject.
func subjectRows(tx probity.ReadTx, id string, p probity.Pseudonym, d *probity.DomainReport) error {
	var err error
	if d.Disputes, err = tx.SubjectDisputes(id, p); err != nil {
		return err
	}
	if d.Terms, err = tx.SubjectTerms(id, p); err != nil {
		return err
	}
	if d.Consents, err = tx.SubjectConsents(id, p); err != nil {
		return err
	}
	if d.Orders, err = tx.SubjectOrders(id, p); err != nil {
		return err
	}
	d.Retracted, err = tx.RetractedEvents(id, p)
	return err
}

// subjectOpenings adds to the bundle the openings of the leaves about a
// subject in a domain's log that the chain's checkpoints cover.
func (c *chain) subjectOpenings(domain string, p probity.Pseudonym) error {
	if c == nil {
		return nil
	}
	proofs, err := c.log(domain)
	if err != nil || proofs == nil {
		return err
	}
	opened, err := proofs.openAll(func(fn func(*probity.AuditEntry) error) error { return c.tx.SubjectLeaves(domain, p, fn) })
	c.bundle.Openings = append(c.bundle.Openings, opened...)
	return err
}
