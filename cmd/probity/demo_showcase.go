package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/eventfile"
)

// The showcase: a few subjects whose records show each safeguard at work,
// made once (their event keys make a second run find them), beside the
// synthetic population, whose subjects are too ordinary to show them.
const (
	showcaseGrace    = "person:showcase-grace"
	showcaseDispute  = "person:showcase-dispute"
	showcaseOrder    = "person:showcase-order"
	showcaseOfficial = "person:showcase-official"
)

// showcaseLine is one showcase subject and what its record shows.
type showcaseLine struct{ subject, domain, shows string }

// showcase records the showcase subjects' entries, and on the first run
// their dispute, court order and term of office; it returns what each
// shows. Domains the installation lacks are left out.
func (c *DemoCommand) showcase(ctx context.Context, in *installation, specs []*probity.Spec, now time.Time) ([]showcaseLine, error) {
	have := map[string]bool{}
	for _, s := range specs {
		have[s.ID] = true
	}
	day := func(d int) string { return now.AddDate(0, 0, -d).Format(time.DateOnly) }
	ev := func(key, typ, subject string, daysAgo int, fields string) string {
		return fmt.Sprintf(`{"key":"showcase-%s","type":%q,"subject":%q,"occurred_at":%q,"fields":%s}`, key, typ, subject, day(daysAgo), fields)
	}
	plan := []struct {
		line   showcaseLine
		events []string
		then   func() error
	}{
		{showcaseLine{showcaseGrace, "acme.lending", "a late payment in its grace period: the portal says when it would count and how to cure it"},
			[]string{ev("g1", "loan_repaid", showcaseGrace, 400, `{"amount":12000}`), ev("g2", "loan_repaid", showcaseGrace, 200, `{"amount":3000}`),
				ev("g3", "payment_late", showcaseGrace, 5, `{"days_late":35}`)}, nil},
		{showcaseLine{showcaseDispute, "acme.lending", "a disputed late payment, suspended until the reviewer (token above) decides"},
			[]string{ev("d1", "loan_repaid", showcaseDispute, 300, `{"amount":8000}`), ev("d2", "payment_late", showcaseDispute, 100, `{"days_late":95}`)},
			func() error {
				_, err := in.bureau.FileDispute(ctx, probity.DisputeRequest{Domain: "acme.lending", EventKey: "showcase-d2", Subject: showcaseDispute,
					Reason: "I paid on time; the bank's own transfer was delayed"})
				return err
			}},
		{showcaseLine{showcaseOrder, "court.civil-judgments", "an unpaid judgment and a court order restricting new credit until it is paid"},
			[]string{ev("o1", "judgment_unpaid", showcaseOrder, 60, `{"amount":20000}`)},
			func() error {
				_, err := in.bureau.IssueOrder(ctx, probity.OrderRequest{Domain: "court.civil-judgments", Subject: showcaseOrder,
					Citation: "Springfield District Court, case 2026-0142", Restrictions: []string{"no_new_credit"},
					EndsAt: now.AddDate(0, 6, 0).Format(time.DateOnly)})
				return err
			}},
		{showcaseLine{showcaseOfficial, "gov.public-integrity", "a public official in office, whose audit finding counts double"},
			[]string{ev("p1", "audit_passed", showcaseOfficial, 700, `{"findings":0}`), ev("p2", "records_request_answered", showcaseOfficial, 300, `{"days":12}`),
				ev("p3", "audit_finding", showcaseOfficial, 120, `{"amount":250000}`)},
			func() error {
				_, err := in.bureau.RecordTerm(ctx, probity.TermRequest{Domain: "gov.public-integrity", Subject: showcaseOfficial,
					Office: "Deputy Mayor, City of Springfield", From: day(1000)})
				return err
			}},
	}
	var out []showcaseLine
	for _, p := range plan {
		if !have[p.line.domain] {
			continue
		}
		if p.line.domain == "gov.public-integrity" && p.then != nil {
			// the term first: an official's entries count by the terms on record when they occurred
			if fresh, err := c.unseen(ctx, in, p.line.domain, "showcase-p1"); err != nil {
				return nil, err
			} else if fresh {
				if err := p.then(); err != nil {
					return nil, fmt.Errorf("showcase %s: %w", p.line.subject, err)
				}
			}
			p.then = nil
		}
		r, err := eventfile.NewReader(strings.NewReader(strings.Join(p.events, "\n") + "\n"))
		if err != nil {
			return nil, err
		}
		sum, err := in.bureau.Ingest(ctx, p.line.domain, r, probity.IngestOptions{})
		if err != nil {
			return nil, fmt.Errorf("showcase %s: %w %+v", p.line.subject, err, sum)
		}
		if sum.Accepted > 0 && p.then != nil {
			if err := p.then(); err != nil {
				return nil, fmt.Errorf("showcase %s: %w", p.line.subject, err)
			}
		}
		out = append(out, p.line)
	}
	return out, nil
}

// unseen reports whether the domain has no event with key yet.
func (c *DemoCommand) unseen(ctx context.Context, in *installation, domain, key string) (bool, error) {
	var found bool
	err := in.db.View(ctx, func(tx probity.ReadTx) error {
		_, err := tx.EventByKey(domain, key)
		found = err == nil
		if probity.ErrorCode(err) == probity.ENOTFOUND {
			return nil
		}
		return err
	})
	return !found, err
}

// printShowcase says what each showcase subject shows.
func (c *DemoCommand) printShowcase(lines []showcaseLine) {
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(c.m.Stdout, "\nSubjects that show the safeguards at work:")
	for _, l := range lines {
		fmt.Fprintf(c.m.Stdout, "  %-26s %-22s %s\n", l.subject, l.domain, l.shows)
	}
}
