package bureau

import (
	"context"
	"maps"
	"slices"
	"sort"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

var _ probity.ReportService = (*Bureau)(nil)

// Report returns everything each domain holds about the caller's subject:
// the score with its explanation, every inquiry into the record, and the
// openings of every leaf about them with inclusion proofs to the latest
// checkpoint, to be checked offline (audit.CheckBundle). Reading
// it is itself an inquiry, one leaf per domain shown. It shows every list
// whole (the command line, notices); ReportPage shows one page.
func (b *Bureau) Report(ctx context.Context, asked string) (*probity.Report, error) {
	return b.report(ctx, asked, probity.ReportOptions{}, false)
}

// ReportPage is Report showing page opts.Page of each long list of each
// domain, of limits.entries_per_page items each (limits.events_per_subject
// for an export). A page past the last of every domain is refused.
func (b *Bureau) ReportPage(ctx context.Context, asked string, opts probity.ReportOptions) (*probity.Report, error) {
	if opts.Page < 0 {
		return nil, probity.Errorf(probity.EINVALID, "page: %d is not a page; pages are numbered from 1", opts.Page)
	}
	return b.report(ctx, asked, opts, true)
}

func (b *Bureau) report(ctx context.Context, asked string, opts probity.ReportOptions, paged bool) (*probity.Report, error) {
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
		if paged {
			r.Page, r.Pages = max(opts.Page, 1), 1
		}
		batch := b.log.Begin(tx)
		for _, id := range ids {
			if err := ctx.Err(); err != nil {
				return err // the caller left
			}
			d, err := b.domainReport(ctx, tx, batch, id, subject, opts, paged)
			if err != nil || d == nil {
				if err != nil {
					return err
				}
				continue
			}
			pseudonym := b.keys.Pseudonym(id, subject)
			if err := c.subjectOpenings(ctx, id, pseudonym, d); err != nil {
				return err
			}
			if d.Page != nil {
				r.Pages = max(r.Pages, d.Page.Pages)
			}
			if err := batch.Add(probity.AuditLeaf{Actor: a.ID, Action: probity.ActionReportRead, Domain: id, Subject: &pseudonym,
				Purpose: SubjectPurpose, Digest: audit.ReadDigest(d)}); err != nil {
				return err
			}
			r.Domains = append(r.Domains, *d)
		}
		if r.Page > r.Pages {
			return probity.Errorf(probity.EINVALID, "page: %d is past the last page of this report (%d)", r.Page, r.Pages)
		}
		return batch.Commit()
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// domainReport returns a domain's part of a subject's report, or nil if the
// domain holds nothing about the subject (no event, no inquiry).
func (b *Bureau) domainReport(ctx context.Context, tx probity.Tx, batch *audit.Batch, id string, subject probity.Subject, opts probity.ReportOptions, paged bool) (*probity.DomainReport, error) {
	versions, cur, err := currentVersion(tx, id)
	if err != nil || !cur.Spec.Rates(subject.Kind) {
		return nil, err
	}
	pg := paging{page: opts.Page}
	switch {
	case paged && opts.Export:
		pg.perPage = cur.Spec.EventsPerSubject()
	case paged:
		pg.perPage = cur.Spec.EntriesPerPage()
	}
	pseudonym := b.keys.Pseudonym(id, subject)
	suspended, err := b.settleDisputes(tx, batch, id, pseudonym) // before reading: an expired dispute retracts its entry
	if err != nil {
		return nil, err
	}
	score, events, err := compute(ctx, tx, versions, cur, subject.Kind, pseudonym, suspended, tx.Now(), pg)
	if err != nil {
		return nil, err
	}
	d := &probity.DomainReport{Domain: id, Name: cur.Spec.Name, Owner: cur.Spec.Owner, LegalBasis: cur.Spec.LegalBasis,
		OptOut: cur.Spec.OptOut, Score: score}
	if d.Benefits, err = b.benefits(cur, score); err != nil {
		return nil, err
	}
	lo, hi := pg.window(len(events))
	d.Entries = make([]probity.Event, hi-lo)
	for i := range d.Entries {
		d.Entries[i] = events[lo+i].Event
	}
	reads, err := tx.Inquiries(id, pseudonym)
	if err != nil {
		return nil, err
	}
	lo, hi = pg.window(len(reads))
	d.Inquiries = make([]probity.Inquiry, hi-lo)
	for i, l := range reads[lo:hi] {
		d.Inquiries[i] = probity.Inquiry{At: l.At, Actor: l.Actor, Action: l.Action, Purpose: l.Purpose, Leaf: l.Index}
	}
	if err := subjectRows(tx, id, pseudonym, d); err != nil {
		return nil, err
	}
	d.Notices = domainNotices(d, versions, tx.Now())
	adverse, err := b.adverseNotices(ctx, tx, versions, subject.Kind, pseudonym, reads, tx.Now())
	if err != nil {
		return nil, err
	}
	if len(adverse) > 0 {
		d.Notices = append(d.Notices, adverse...)
		sort.SliceStable(d.Notices, func(i, j int) bool { return d.Notices[i].At.After(d.Notices[j].At) })
	}
	retracted := len(d.Retracted)
	lo, hi = pg.window(retracted)
	d.Retracted = d.Retracted[lo:hi]
	if len(events) == 0 && len(reads) == 0 && score.Status != probity.StatusOptedOut && len(d.Disputes) == 0 && len(d.Consents) == 0 &&
		len(d.Orders) == 0 && len(d.Terms) == 0 && retracted == 0 {
		return nil, nil // the domain holds nothing about the subject
	}
	if paged {
		d.Page = &probity.DomainPage{Page: max(pg.page, 1), PerPage: pg.perPage, Entries: len(events), Retracted: retracted, Inquiries: len(reads),
			Pages: max(pg.pages(len(events)), pg.pages(retracted), pg.pages(len(reads)), score.Page.Pages)}
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
// subject in a domain's log that the chain's checkpoints cover: those of
// the report's page when d shows one page, counting them all in d.Page.
func (c *chain) subjectOpenings(ctx context.Context, domain string, p probity.Pseudonym, d *probity.DomainReport) error {
	if c == nil {
		return nil
	}
	proofs, err := c.log(domain)
	if err != nil || proofs == nil {
		return err
	}
	pg := paging{}
	if d.Page != nil {
		pg = paging{page: d.Page.Page, perPage: d.Page.PerPage}
	}
	n := 0
	opened, err := proofs.openAll(func(fn func(*probity.AuditEntry) error) error {
		return audit.SubjectLeaves(c.tx, domain, p, func(e *probity.AuditEntry) error {
			if e.Index >= proofs.size {
				return nil // not yet in the checkpoint the proofs lead to
			}
			if n++; n%checkEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if pg.shows(n - 1) {
				return fn(e)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	c.bundle.Openings = append(c.bundle.Openings, opened...)
	if d.Page != nil {
		d.Page.Openings = n
		d.Page.Pages = max(d.Page.Pages, pg.pages(n))
	}
	return nil
}

// checkEvery is how many leaves a report opens between two looks at
// whether its caller has left.
const checkEvery = 256

// benefits decides each benefit of the domain for score, as a decision
// would: an unrated or opted-out subject as the base score (P6).
func (b *Bureau) benefits(v *probity.SpecVersion, score *probity.Score) ([]probity.BenefitOutcome, error) {
	c, err := b.compile(v)
	if err != nil {
		return nil, err
	}
	s := v.Spec
	value := s.Score.Base
	if score.Status == probity.StatusRated && score.Score != nil {
		value = *score.Score
	}
	out := []probity.BenefitOutcome{}
	for _, name := range slices.Sorted(maps.Keys(s.Benefits)) {
		ok, err := c.Benefit(name, value, s.GradeFor(value))
		if err != nil {
			return nil, err
		}
		out = append(out, probity.BenefitOutcome{Benefit: name, Allowed: ok})
	}
	return out, nil
}
