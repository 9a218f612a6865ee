package bureau

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/identity"
)

var _ probity.DisputeService = (*Bureau)(nil)

// MaxDisputeReason bounds a dispute's or a resolution's written reason.
const MaxDisputeReason = 2000

// slaActor is who resolves a dispute whose SLA ran out: the rule itself.
const slaActor = "probity:dispute_sla"

// FileDispute lets a subject dispute one of their entries: it stops
// counting at once, until a reviewer resolves it or the domain's
// dispute_sla runs out (P4).
func (b *Bureau) FileDispute(ctx context.Context, req probity.DisputeRequest) (*probity.Dispute, error) {
	a := probity.ActorFromContext(ctx)
	subject, err := b.subjectOfCaller(ctx, req.Subject, "filing a dispute", req.Domain)
	if err != nil {
		return nil, err
	}
	if err := probity.CheckText("reason", req.Reason, MaxDisputeReason, true, "say what is wrong with the entry"); err != nil {
		return nil, err
	}
	if err := screenTexts([]probity.Subject{subject}, "reason", req.Reason); err != nil {
		return nil, err
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	d := &probity.Dispute{ID: hex.EncodeToString(id), Domain: req.Domain, EventKey: req.EventKey, Reason: req.Reason, Status: probity.DisputeOpen}
	err = b.store.Update(ctx, func(tx probity.Tx) error {
		_, cur, err := currentVersion(tx, req.Domain)
		if err != nil {
			return err
		}
		d.Subject = b.keys.Pseudonym(req.Domain, subject)
		e, err := tx.EventByKey(req.Domain, req.EventKey)
		if err != nil || e.Subject != d.Subject {
			return probity.Errorf(probity.ENOTFOUND, "key: your record in %s has no entry %s (GET /v1/me/report lists your entries)", req.Domain, probity.Quote(req.EventKey))
		}
		mine, err := tx.SubjectDisputes(req.Domain, d.Subject)
		if err != nil {
			return err
		}
		for _, other := range mine {
			if other.EventKey == req.EventKey && other.Status == probity.DisputeOpen {
				return probity.Errorf(probity.ECONFLICT, "entry %s is already disputed (dispute %s, due %s)", req.EventKey, other.ID, other.DueAt.Format(time.RFC3339))
			}
		}
		d.FiledAt = tx.Now()
		d.DueAt = d.FiledAt.Add(cur.Spec.DisputeSLA.Std())
		if err := tx.InsertDispute(d); err != nil {
			return err
		}
		return b.log.Record(tx, probity.AuditLeaf{Actor: a.ID, Action: probity.ActionDisputeFiled, Domain: d.Domain, Subject: &d.Subject,
			Ref: d.ID, Digest: audit.DisputeDigest(d)})
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// subjectOfCaller returns the subject a request is about: the subject of a
// subject token (who may only name themselves), or at the command line the
// subject named.
func (b *Bureau) subjectOfCaller(ctx context.Context, asked, op, domain string) (probity.Subject, error) {
	a := probity.ActorFromContext(ctx)
	switch {
	case a.Subject != nil && (asked == "" || ownRecord(a.Subject, asked)):
		return *a.Subject, nil
	case a.Local && asked != "":
		s, err := identity.Parse(asked)
		if err != nil {
			return s, prefixed("subject", err)
		}
		return s, nil
	case a.Principal == nil:
		return probity.Subject{}, b.deny(ctx, op, domain, probity.Errorf(probity.EUNAUTHORIZED,
			"%s needs a bearer token: the subject's own token (Authorization: Bearer prs_...)", op))
	}
	return probity.Subject{}, b.deny(ctx, op, domain, probity.Errorf(probity.EFORBIDDEN,
		"%s needs the subject's own token: only subjects act on their own record", op))
}

// Disputes returns the reviewers' queue: a domain's open disputes, after
// resolving for the subject those whose SLA ran out.
func (b *Bureau) Disputes(ctx context.Context, domain string) ([]probity.Dispute, error) {
	if err := b.authorize(ctx, "reading the dispute queue", role(probity.RoleReviewer, domain)); err != nil {
		return nil, err
	}
	out := []probity.Dispute{}
	err := b.store.Update(ctx, func(tx probity.Tx) error {
		if _, _, err := currentVersion(tx, domain); err != nil {
			return err
		}
		batch := b.log.Begin(tx)
		open, err := tx.OpenDisputes(domain)
		if err != nil {
			return err
		}
		for i := range open {
			if expired, err := b.expire(tx, batch, &open[i]); err != nil {
				return err
			} else if !expired {
				out = append(out, open[i])
			}
		}
		return batch.Commit()
	})
	return out, err
}

// ResolveDispute records a reviewer's decision: upheld retracts the entry;
// rejected needs a written reason, shown to the subject.
func (b *Bureau) ResolveDispute(ctx context.Context, domain, id string, r probity.Resolution) (*probity.Dispute, error) {
	if err := b.authorize(ctx, "resolving disputes", role(probity.RoleReviewer, domain)); err != nil {
		return nil, err
	}
	switch {
	case r.Outcome != probity.DisputeUpheld && r.Outcome != probity.DisputeRejected:
		return nil, probity.Errorf(probity.EINVALID, "outcome: %s; allowed: upheld (the entry is retracted) or rejected (with a reason)", probity.Quote(r.Outcome))
	case r.Outcome == probity.DisputeRejected && strings.TrimSpace(r.Reason) == "":
		return nil, probity.Errorf(probity.EINVALID, "reason: required to reject a dispute; the subject is shown it")
	}
	if err := probity.CheckText("reason", r.Reason, MaxDisputeReason, false, ""); err != nil {
		return nil, err
	}
	if err := screenTexts(nil, "reason", r.Reason); err != nil {
		return nil, err
	}
	a := probity.ActorFromContext(ctx)
	var d *probity.Dispute
	err := b.store.Update(ctx, func(tx probity.Tx) error {
		var err error
		if d, err = tx.Dispute(domain, id); err != nil {
			return err
		}
		batch := b.log.Begin(tx)
		if expired, err := b.expire(tx, batch, d); err != nil {
			return err
		} else if expired {
			if err := batch.Commit(); err != nil {
				return err
			}
			return errExpired
		}
		if d.Status != probity.DisputeOpen {
			return probity.Errorf(probity.ECONFLICT, "dispute %s was %s at %s", id, d.Status, d.ResolvedAt.Format(time.RFC3339))
		}
		d.Status, d.ResolvedAt, d.Reviewer, d.Resolution = r.Outcome, tx.Now(), a.ID, r.Reason
		if err := b.close(tx, batch, d, a.ID); err != nil {
			return err
		}
		return batch.Commit()
	})
	if err == errExpired {
		return nil, probity.Errorf(probity.ECONFLICT, "dispute %s was not resolved within the domain's dispute_sla and was resolved for the subject", id)
	}
	return d, err
}

var errExpired = fmt.Errorf("dispute expired")

// expire resolves an open dispute past its due time for the subject.
func (b *Bureau) expire(tx probity.Tx, batch *audit.Batch, d *probity.Dispute) (bool, error) {
	if d.Status != probity.DisputeOpen || tx.Now().Before(d.DueAt) {
		return false, nil
	}
	d.Status, d.ResolvedAt, d.Reviewer = probity.DisputeExpired, tx.Now(), slaActor
	d.Resolution = "not resolved within the domain's dispute_sla: resolved for the subject, and the entry retracted"
	return true, b.close(tx, batch, d, slaActor)
}

// close stores a dispute's outcome, retracting its entry unless rejected.
func (b *Bureau) close(tx probity.Tx, batch *audit.Batch, d *probity.Dispute, actor string) error {
	if err := tx.ResolveDispute(d); err != nil {
		return err
	}
	if err := batch.Add(probity.AuditLeaf{Actor: actor, Action: probity.ActionDisputeResolved, Domain: d.Domain, Subject: &d.Subject,
		Ref: d.ID, Digest: audit.DisputeDigest(d)}); err != nil {
		return err
	}
	if d.Status == probity.DisputeRejected {
		return nil
	}
	if err := tx.RetractEvent(d.Domain, d.EventKey); probity.ErrorCode(err) == probity.ECONFLICT {
		return nil // the domain retracted or corrected the entry already
	} else if err != nil {
		return err
	}
	return batch.Add(probity.AuditLeaf{Actor: actor, Action: probity.ActionEventRetracted, Domain: d.Domain, Subject: &d.Subject,
		Ref: d.EventKey, Digest: audit.RetractionDigest(d.Domain, d.EventKey, tx.Now())})
}

// settleDisputes resolves a subject's overdue disputes in a domain and
// returns the keys of the entries still under open dispute.
func (b *Bureau) settleDisputes(tx probity.Tx, batch *audit.Batch, domain string, subject probity.Pseudonym) (map[string]bool, error) {
	mine, err := tx.SubjectDisputes(domain, subject)
	if err != nil {
		return nil, err
	}
	suspended := map[string]bool{}
	for i := range mine {
		expired, err := b.expire(tx, batch, &mine[i])
		if err != nil {
			return nil, err
		}
		if mine[i].Status == probity.DisputeOpen && !expired {
			suspended[mine[i].EventKey] = true
		}
	}
	return suspended, nil
}

// openDisputes returns the entries a subject's open disputes suspend, and
// whether one of those disputes is past its SLA and must be settled (in a
// write transaction) before the subject is scored.
func openDisputes(tx probity.ReadTx, domain string, subject probity.Pseudonym) (map[string]bool, bool, error) {
	mine, err := tx.SubjectDisputes(domain, subject)
	if err != nil {
		return nil, false, err
	}
	suspended := map[string]bool{}
	for _, d := range mine {
		if d.Status != probity.DisputeOpen {
			continue
		}
		if !tx.Now().Before(d.DueAt) {
			return nil, true, nil
		}
		suspended[d.EventKey] = true
	}
	return suspended, false, nil
}

// DisputeFigures returns a domain's public dispute figures. Disputes past
// their SLA count as expired, resolved or not yet written so.
func (b *Bureau) DisputeFigures(ctx context.Context, domain string) (*probity.DisputeFigures, error) {
	f := &probity.DisputeFigures{Domain: domain}
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		if _, _, err := currentVersion(tx, domain); err != nil {
			return err
		}
		all, err := tx.DomainDisputes(domain)
		if err != nil {
			return err
		}
		var times []time.Duration
		for _, d := range all {
			f.Filed++
			switch {
			case d.Status == probity.DisputeOpen && !tx.Now().Before(d.DueAt):
				f.Expired++
				times = append(times, d.DueAt.Sub(d.FiledAt))
			case d.Status == probity.DisputeOpen:
				f.Open++
			default:
				times = append(times, d.ResolvedAt.Sub(d.FiledAt))
				switch d.Status {
				case probity.DisputeUpheld:
					f.Upheld++
				case probity.DisputeRejected:
					f.Rejected++
				case probity.DisputeExpired:
					f.Expired++
				}
			}
		}
		if len(times) > 0 {
			slices.Sort(times)
			f.MedianResolve = times[len(times)/2]
			if len(times)%2 == 0 {
				f.MedianResolve = (times[len(times)/2-1] + times[len(times)/2]) / 2
			}
			f.MedianResolveHours = f.MedianResolve.Hours()
		}
		return nil
	})
	return f, err
}

// Retract withdraws an entry a domain reported in error: it stops counting,
// stays for the record, and its retraction is logged. Only the domain's
// reporters retract.
func (b *Bureau) Retract(ctx context.Context, domain, key, reason string) error {
	if err := b.authorize(ctx, "retracting events", role(probity.RoleReporter, domain)); err != nil {
		return err
	}
	if strings.TrimSpace(reason) == "" || len(reason) > MaxDisputeReason {
		return probity.Errorf(probity.EINVALID, "reason: required, at most %d bytes: say why the entry is withdrawn", MaxDisputeReason)
	}
	if err := screenTexts(nil, "reason", reason); err != nil {
		return err
	}
	a := probity.ActorFromContext(ctx)
	return b.store.Update(ctx, func(tx probity.Tx) error {
		if _, _, err := currentVersion(tx, domain); err != nil {
			return err
		}
		e, err := tx.EventByKey(domain, key)
		if err != nil {
			return err
		}
		if err := tx.RetractEvent(domain, key); err != nil {
			return err
		}
		batch := b.log.Begin(tx)
		if err := batch.Add(probity.AuditLeaf{Actor: a.ID, Action: probity.ActionEventRetracted, Domain: domain, Subject: &e.Subject,
			Purpose: "retracted by the domain", Ref: key, Digest: audit.RetractionDigest(domain, key, tx.Now())}); err != nil {
			return err
		}
		if err := b.settleRetracted(tx, batch, e, a.ID, "the domain retracted the entry: "+reason); err != nil {
			return err
		}
		return batch.Commit()
	})
}

// settleRetracted resolves for the subject the open disputes of an entry the
// domain retracted: the entry no longer counts, which is what they asked.
func (b *Bureau) settleRetracted(tx probity.Tx, batch *audit.Batch, e *probity.Event, actor, resolution string) error {
	mine, err := tx.SubjectDisputes(e.Domain, e.Subject)
	if err != nil {
		return err
	}
	for i := range mine {
		d := &mine[i]
		if d.EventKey != e.Key || d.Status != probity.DisputeOpen {
			continue
		}
		d.Status, d.ResolvedAt, d.Reviewer, d.Resolution = probity.DisputeUpheld, tx.Now(), actor, resolution
		if err := b.close(tx, batch, d, actor); err != nil {
			return err
		}
	}
	return nil
}

// DisputedEntry shows a reviewer the entry a dispute is about: as
// reported, under which rule, by whom, and its history in the log. The
// read is an inquiry the subject sees (purpose dispute_review), in the
// same transaction.
func (b *Bureau) DisputedEntry(ctx context.Context, domain, id string) (*probity.DisputedEntry, error) {
	if err := b.authorize(ctx, "reading a disputed entry", role(probity.RoleReviewer, domain)); err != nil {
		return nil, err
	}
	a := probity.ActorFromContext(ctx)
	var out *probity.DisputedEntry
	err := b.store.Update(ctx, func(tx probity.Tx) error {
		d, err := tx.Dispute(domain, id)
		if err != nil {
			return err
		}
		e, err := tx.EventByKey(domain, d.EventKey)
		if err != nil {
			return err
		}
		_, cur, err := currentVersion(tx, domain)
		if err != nil {
			return err
		}
		out = &probity.DisputedEntry{Dispute: *d, Type: e.Type, OccurredAt: e.OccurredAt, RecordedAt: e.RecordedAt,
			Fields: e.Fields, Cures: e.Cures, History: []probity.EntryStep{}}
		if r := cur.Spec.Rule(e.Type); r != nil {
			out.Basis, out.Code, out.Reason = r.Basis, r.Code, r.Reason
		}
		if err := entryHistory(tx, d, out); err != nil {
			return err
		}
		batch := b.log.Begin(tx)
		if err := batch.Add(probity.AuditLeaf{Actor: a.ID, Action: probity.ActionEntryRead, Domain: domain, Subject: &d.Subject,
			Purpose: probity.ReviewPurpose, Ref: d.ID, Digest: audit.ReadDigest(out)}); err != nil {
			return err
		}
		return batch.Commit()
	})
	return out, err
}

// entryHistory fills who reported a disputed entry, whether it still
// counts, and the leaves about it: its own (reported, retracted,
// corrected) and its disputes'.
func entryHistory(tx probity.Tx, d *probity.Dispute, out *probity.DisputedEntry) error {
	retracted, err := tx.RetractedEvents(d.Domain, d.Subject)
	if err != nil {
		return err
	}
	for _, r := range retracted {
		out.Retracted = out.Retracted || r.Key == d.EventKey
	}
	disputes, err := tx.SubjectDisputes(d.Domain, d.Subject)
	if err != nil {
		return err
	}
	refs := map[string]bool{d.EventKey: true}
	for _, other := range disputes {
		if other.EventKey == d.EventKey {
			refs[other.ID] = true
		}
	}
	return audit.SubjectLeaves(tx, d.Domain, d.Subject, func(l *probity.AuditEntry) error {
		if !refs[l.Ref] || l.Action == probity.ActionEntryRead {
			return nil
		}
		if l.Action == probity.ActionEventAccepted && out.ReportedBy == "" {
			out.ReportedBy = l.Actor
		}
		out.History = append(out.History, probity.EntryStep{At: l.At, Action: l.Action, Actor: l.Actor, Leaf: l.Index})
		return nil
	})
}
