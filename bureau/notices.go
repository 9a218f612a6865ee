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
