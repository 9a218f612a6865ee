package bureau

import (
	"context"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/scoring"
)

var _ probity.ReportService = (*Bureau)(nil)

// Report returns everything each domain holds about the caller's subject:
// the score with its explanation and every inquiry into the record. Reading
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
	events, err := tx.SubjectEvents(id, pseudonym, cur.Version, tx.Now())
	if err != nil {
		return nil, err
	}
	reads, err := tx.Inquiries(id, pseudonym)
	if err != nil {
		return nil, err
	}
	later, err := laterVersions(versions, cur, events)
	if err != nil {
		return nil, err
	}
	_, out, err := tx.OptedOut(id, pseudonym)
	if err != nil {
		return nil, err
	}
	disputes, err := tx.SubjectDisputes(id, pseudonym)
	if err != nil {
		return nil, err
	}
	terms, err := tx.SubjectTerms(id, pseudonym)
	if err != nil {
		return nil, err
	}
	consents, err := tx.SubjectConsents(id, pseudonym)
	if err != nil {
		return nil, err
	}
	orders, err := tx.SubjectOrders(id, pseudonym)
	if err != nil {
		return nil, err
	}
	retracted, err := tx.RetractedEvents(id, pseudonym)
	if err != nil {
		return nil, err
	}
	if len(events) == 0 && len(reads) == 0 && !out && len(disputes) == 0 && len(consents) == 0 && len(orders) == 0 && len(terms) == 0 && len(retracted) == 0 {
		return nil, nil
	}
	score := scoring.Compute(scoring.Input{Domain: id, Version: cur.Version, Spec: cur.Spec, Kind: subject.Kind,
		Events: events, AsOf: tx.Now(), Later: later, OptedOut: out, Suspended: suspended, Terms: terms})
	d := &probity.DomainReport{Domain: id, Name: cur.Spec.Name, Owner: cur.Spec.Owner, LegalBasis: cur.Spec.LegalBasis,
		OptOut: cur.Spec.OptOut, Score: score, Disputes: disputes, Consents: consents, Orders: orders, Terms: terms, Retracted: retracted, Inquiries: make([]probity.Inquiry, len(reads)),
		Entries: make([]probity.Event, len(events))}
	for i := range events {
		d.Entries[i] = events[i].Event
	}
	for i, l := range reads {
		d.Inquiries[i] = probity.Inquiry{At: l.At, Actor: l.Actor, Action: l.Action, Purpose: l.Purpose, Leaf: l.Index}
	}
	return d, nil
}
