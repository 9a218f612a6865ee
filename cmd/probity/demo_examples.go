package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/population"
)

// example is one ready-to-paste API call about a real subject.
type example struct {
	title  string
	domain string
	path   string // scores or decisions
	body   map[string]string
}

// printExamples finds subjects that show the system off, checks that each
// call works against the store, and prints it as curl.
func (c *DemoCommand) printExamples(ctx context.Context, in *installation, opts population.Options, base string) error {
	var found []example
	want := []struct {
		title, domain, scheme, path string
		extra                       map[string]string
		ok                          func(*probity.Score) bool
	}{
		{"A borrower's score in the bank's lending domain, with its explanation", "acme.lending", "cn-rid:", "scores",
			map[string]string{"purpose": "credit_application"}, func(s *probity.Score) bool { return s.Status == probity.StatusRated && len(s.Reasons) > 0 }},
		{"A thin-file tenant: unrated at the bank, rated by paying rent and bills", "city.rent-utilities", "cn-rid:", "scores",
			map[string]string{"purpose": "tenancy_application"}, func(s *probity.Score) bool { return s.Status == probity.StatusRated }},
		{"A company's eligibility for public procurement in the tax domain", "gov.tax-compliance", "uscc:", "decisions",
			map[string]string{"benefit": "public_procurement", "purpose": "procurement_eligibility"}, func(s *probity.Score) bool { return s.Status == probity.StatusRated }},
	}
	for wi, w := range want {
		for i := 0; i < opts.Subjects && len(found) == wi; i++ {
			id, _ := opts.Subject(i)
			if !strings.HasPrefix(id, w.scheme) {
				continue
			}
			s, err := in.bureau.Score(ctx, probity.ScoreRequest{Domain: w.domain, Subject: id})
			if err != nil || !w.ok(s) {
				continue
			}
			if wi == 1 && !c.unratedAt(ctx, in, "acme.lending", id) {
				continue
			}
			body := map[string]string{"subject": id}
			for k, v := range w.extra {
				body[k] = v
			}
			found = append(found, example{title: w.title, domain: w.domain, path: w.path, body: body})
		}
	}
	fmt.Fprintln(c.m.Stdout, "\nTry these:")
	for _, e := range found {
		body, _ := json.Marshal(e.body)
		fmt.Fprintf(c.m.Stdout, "\n# %s\ncurl -s -X POST %s/v1/domains/%s/%s -H 'Content-Type: application/json' -d '%s'\n",
			e.title, base, e.domain, e.path, body)
	}
	if len(found) < len(want) {
		fmt.Fprintf(c.m.Stdout, "\n(the population is too small for every example; try --subjects 1000)\n")
	}
	fmt.Fprintf(c.m.Stdout, "\n# Every domain's public rules\ncurl -s %s/v1/domains\n", base)
	return nil
}

func (c *DemoCommand) unratedAt(ctx context.Context, in *installation, domain, id string) bool {
	s, err := in.bureau.Score(ctx, probity.ScoreRequest{Domain: domain, Subject: id})
	return err == nil && s.Status == probity.StatusUnrated
}
