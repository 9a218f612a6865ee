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
// spec versions applied but not yet in effect, entries that stop counting
// soon. They are read from the subject's report, which logs the read.
func (b *Bureau) Notices(ctx context.Context, subject string) ([]probity.Notice, error) {
	r, err := b.Report(ctx, subject)
	if err != nil {
		return nil, err
	}
	notices := []probity.Notice{}
	for _, d := range r.Domains {
		notices = append(notices, entryNotices(d, r.AsOf)...)
		for _, ds := range d.Disputes {
			text := fmt.Sprintf("your dispute of entry %s is open: the entry does not count; a reviewer decides by %s, or it is resolved for you", ds.EventKey, ds.DueAt.Format(time.DateOnly))
			at := ds.FiledAt
			if ds.Status != probity.DisputeOpen {
				text, at = fmt.Sprintf("your dispute of entry %s: %s", ds.EventKey, disputeOutcome(ds)), ds.ResolvedAt
			}
			notices = append(notices, probity.Notice{Kind: "dispute", Domain: d.Domain, At: at, Key: ds.EventKey, Text: text})
		}
		for _, o := range d.Orders {
			switch {
			case o.EffectiveAt.After(r.AsOf):
				notices = append(notices, probity.Notice{Kind: "court_order", Domain: d.Domain, At: o.EffectiveAt, Key: o.ID,
					Text: fmt.Sprintf("a court order (%s) restricts %s from %s until %s, unless the obligation is met before", o.Citation, strings.Join(o.Restrictions, ", "), o.EffectiveAt.Format(time.DateOnly), o.EndsAt.Format(time.DateOnly))})
			case o.ActiveAt(r.AsOf):
				notices = append(notices, probity.Notice{Kind: "court_order", Domain: d.Domain, At: o.EffectiveAt, Key: o.ID,
					Text: fmt.Sprintf("a court order (%s) restricts %s until %s, or until the obligation is met", o.Citation, strings.Join(o.Restrictions, ", "), o.EndsAt.Format(time.DateOnly))})
			}
		}
		dom, err := b.Domain(ctx, d.Domain)
		if err != nil {
			return nil, err
		}
		for _, v := range dom.Versions {
			if v.EffectiveAt.After(r.AsOf) {
				notices = append(notices, probity.Notice{Kind: "spec_change", Domain: d.Domain, At: v.EffectiveAt,
					Text: fmt.Sprintf("version %d of the rules of %s takes effect on %s; GET /v1/domains/%s shows it", v.Version, d.Domain, v.EffectiveAt.Format(time.DateOnly), d.Domain)})
			}
		}
	}
	sort.SliceStable(notices, func(i, j int) bool { return notices[i].At.After(notices[j].At) })
	return notices, nil
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
			cure = "an event of type " + strings.Join(e.CureWith, " or ") + " reported before then cures it, and you may dispute it"
		}
		out = append(out, probity.Notice{Kind: "adverse_entry", Domain: d.Domain, At: *e.CountsFrom, Key: e.Key,
			Text: fmt.Sprintf("a %s entry of %s counts against you from %s: %s", e.Type, e.OccurredAt.Format(time.DateOnly), e.CountsFrom.Format(time.DateOnly), cure)})
	}
	for _, e := range d.Score.Contributions {
		if e.CountsUntil != nil && e.CountsUntil.Sub(now) <= expiryNotice {
			out = append(out, probity.Notice{Kind: "expiry", Domain: d.Domain, At: *e.CountsUntil, Key: e.Key,
				Text: fmt.Sprintf("the %s entry of %s stops counting on %s", e.Type, e.OccurredAt.Format(time.DateOnly), e.CountsUntil.Format(time.DateOnly))})
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
