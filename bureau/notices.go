package bureau

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/probity-dev/probity"
)

// expiryNotice is how far ahead a subject is told that an entry stops counting.
const expiryNotice = 90 * 24 * time.Hour

// Notices returns what concerns the caller's subject ahead: adverse entries
// in their grace period with how to cure them, disputes and their outcome,
// court orders, spec versions applied but not yet in effect, entries that
// stop counting soon, newest first. They are read from the subject's
// report (each domain's part carries its own), which logs the read.
func (b *Bureau) Notices(ctx context.Context, subject string) ([]probity.Notice, error) {
	r, err := b.Report(ctx, subject)
	if err != nil {
		return nil, err
	}
	notices := []probity.Notice{}
	for _, d := range r.Domains {
		notices = append(notices, d.Notices...)
	}
	sort.SliceStable(notices, func(i, j int) bool { return notices[i].At.After(notices[j].At) })
	return notices, nil
}

// domainNotices are the notices of one domain's part of a report, newest
// first; versions are the domain's spec versions.
func domainNotices(d *probity.DomainReport, versions []probity.SpecVersion, now time.Time) []probity.Notice {
	notices := append([]probity.Notice{}, entryNotices(*d, now)...)
	for _, ds := range d.Disputes {
		text := fmt.Sprintf("your dispute filed on %s is open: the entry does not count; a reviewer decides by %s, or it is resolved for you", ds.FiledAt.Format(time.DateOnly), ds.DueAt.Format(time.DateOnly))
		at := ds.FiledAt
		if ds.Status != probity.DisputeOpen {
			text, at = fmt.Sprintf("your dispute filed on %s: %s", ds.FiledAt.Format(time.DateOnly), disputeOutcome(ds)), ds.ResolvedAt
		}
		notices = append(notices, probity.Notice{Kind: "dispute", Domain: d.Domain, At: at, Key: ds.EventKey, Text: text})
	}
	for _, o := range d.Orders {
		switch {
		case o.EffectiveAt.After(now):
			notices = append(notices, probity.Notice{Kind: "court_order", Domain: d.Domain, At: o.EffectiveAt, Key: o.ID,
				Text: fmt.Sprintf("a court order (%s) restricts %s from %s until %s, unless the obligation is met before", o.Citation, plainList(o.Restrictions, ", "), o.EffectiveAt.Format(time.DateOnly), o.EndsAt.Format(time.DateOnly))})
		case o.ActiveAt(now):
			notices = append(notices, probity.Notice{Kind: "court_order", Domain: d.Domain, At: o.EffectiveAt, Key: o.ID,
				Text: fmt.Sprintf("a court order (%s) restricts %s until %s, or until the obligation is met", o.Citation, plainList(o.Restrictions, ", "), o.EndsAt.Format(time.DateOnly))})
		}
	}
	for _, v := range versions {
		if v.EffectiveAt.After(now) {
			notices = append(notices, probity.Notice{Kind: "spec_change", Domain: d.Domain, At: v.EffectiveAt,
				Text: fmt.Sprintf("version %d of the rules of %s takes effect on %s; the registry (and GET /v1/domains/%s) shows it", v.Version, d.Name, v.EffectiveAt.Format(time.DateOnly), d.Domain)})
		}
	}
	sort.SliceStable(notices, func(i, j int) bool { return notices[i].At.After(notices[j].At) })
	return notices
}

// entryNotices tells of pending adverse entries and of entries that stop
// counting within expiryNotice.
func entryNotices(d probity.DomainReport, now time.Time) []probity.Notice {
	var out []probity.Notice
	for _, e := range d.Score.Pending {
		if e.CountsFrom == nil {
			continue
		}
		cure := "it cannot be cured, but you may dispute it"
		if len(e.CureWith) > 0 {
			cure = "if your " + plainList(e.CureWith, " or ") + " is reported before then, it never counts; you may also dispute it"
		}
		out = append(out, probity.Notice{Kind: "adverse_entry", Domain: d.Domain, At: *e.CountsFrom, Key: e.Key,
			Text: fmt.Sprintf("a %s entry of %s counts against you from %s: %s", plain(e.Type), e.OccurredAt.Format(time.DateOnly), e.CountsFrom.Format(time.DateOnly), cure)})
	}
	for _, e := range d.Score.Contributions {
		if e.CountsUntil != nil && e.CountsUntil.Sub(now) <= expiryNotice {
			out = append(out, probity.Notice{Kind: "expiry", Domain: d.Domain, At: *e.CountsUntil, Key: e.Key,
				Text: fmt.Sprintf("the %s entry of %s stops counting on %s", plain(e.Type), e.OccurredAt.Format(time.DateOnly), e.CountsUntil.Format(time.DateOnly))})
		}
	}
	return out
}

func disputeOutcome(d probity.Dispute) string {
	out := map[string]string{probity.DisputeUpheld: "upheld, the entry is retracted", probity.DisputeRejected: "rejected",
		probity.DisputeExpired: "resolved for you, the entry is retracted"}[d.Status]
	if d.Resolution != "" {
		out += " (" + d.Resolution + ")"
	}
	return out
}

// plain writes a name of the spec (an event type, a restriction) in words
// for a notice: payment_settled is "payment settled".
func plain(name string) string { return strings.ReplaceAll(name, "_", " ") }

// plainList writes names in words, joined by sep.
func plainList(names []string, sep string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = plain(n)
	}
	return strings.Join(out, sep)
}

// adverseWindow is how far back the subject's notices tell of refusals,
// and maxAdverse how many of them at most (each is a score recomputed).
const (
	adverseWindow = 365 * 24 * time.Hour
	maxAdverse    = 10
)

// adverseNotices are the adverse-action notices of the decisions that
// refused the subject a benefit in the last year (their leaves say so):
// the score used, as computed on that day, its range, who decided, the
// key factors and the subject's rights.
func (b *Bureau) adverseNotices(ctx context.Context, tx probity.ReadTx, versions []probity.SpecVersion, kind probity.SubjectKind,
	pseudonym probity.Pseudonym, reads []probity.AuditLeaf, now time.Time) ([]probity.Notice, error) {
	var out []probity.Notice
	for i := len(reads) - 1; i >= 0 && len(out) < maxAdverse; i-- {
		l := reads[i]
		benefit, refused := strings.CutPrefix(l.Ref, "benefit/")
		if l.Action != probity.ActionDecisionRead || !refused || !strings.HasSuffix(benefit, "/refused") || now.Sub(l.At) > adverseWindow {
			continue
		}
		benefit = strings.TrimSuffix(benefit, "/refused")
		v := probity.VersionAt(versions, l.At)
		if v == nil {
			v = &versions[0] // a leaf's time is whole seconds: a moment before the first version took effect
		}
		// a leaf's time is whole seconds: the decision was made within that second
		at := l.At.Add(time.Second - time.Nanosecond)
		score, _, err := compute(ctx, tx, versions, v, kind, pseudonym, nil, at, paging{})
		if err != nil {
			return nil, err
		}
		c, err := b.compile(v)
		if err != nil {
			return nil, err
		}
		d, err := decide(score, c, probity.DecisionRequest{Domain: l.Domain, Benefit: benefit})
		if err != nil {
			continue // a benefit the rules of that day no longer name
		}
		a := adverseAction(d, score, v.Spec, actorName(l.Actor))
		text := fmt.Sprintf("on %s, %s refused %s: the score used was %d (from %d to %d, grade %s)", l.At.Format(time.DateOnly), a.DecidedBy,
			plain(benefit), a.Score, a.Min, a.Max, a.Grade)
		if len(a.KeyFactors) > 0 {
			text += "; key factors: " + strings.Join(a.KeyFactors, "; ")
		}
		out = append(out, probity.Notice{Kind: "adverse_action", Domain: l.Domain, At: l.At, Text: text + ". " + a.Rights})
	}
	return out, nil
}

// actorName is the name in a logged actor ("principal:ID (Name)"), or the
// actor as logged.
func actorName(actor string) string {
	if i := strings.Index(actor, " ("); i > 0 && strings.HasSuffix(actor, ")") {
		return actor[i+2 : len(actor)-1]
	}
	return actor
}
