package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

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

// chooseExamples picks subjects that show the system off from what the
// population generated for them, without reading anyone's score: every read
// is an inquiry the subject would see.
func chooseExamples(specs []*probity.Spec, opts population.Options) ([]example, error) {
	doms := map[string]*population.Domain{}
	for _, s := range specs {
		d, err := population.NewDomain(s, prefix(s.ID), opts)
		if err != nil {
			return nil, err
		}
		doms[s.ID] = d
	}
	count := func(domain string, i int, adverse bool) int {
		n := 0
		for _, e := range doms[domain].SubjectEvents(i) {
			if !adverse || strings.Contains(e.Type, "late") || strings.Contains(e.Type, "default") {
				n++
			}
		}
		return n
	}
	want := []struct {
		title, domain, scheme, path string
		extra                       map[string]string
		ok                          func(i int) bool
	}{
		{"A borrower's score in the bank's lending domain, with its explanation", "acme.lending", "cn-rid:", "scores",
			map[string]string{"purpose": "credit_application"}, func(i int) bool { return count("acme.lending", i, false) >= 8 && count("acme.lending", i, true) > 0 }},
		{"A thin-file tenant: unrated at the bank, rated by paying rent and bills", "city.rent-utilities", "cn-rid:", "scores",
			map[string]string{"purpose": "tenancy_application"}, func(i int) bool {
				return count("acme.lending", i, false) < 2 && count("city.rent-utilities", i, false) >= 6
			}},
		{"A company's eligibility for public procurement in the tax domain", "gov.tax-compliance", "uscc:", "decisions",
			map[string]string{"benefit": "public_procurement", "purpose": "procurement_eligibility"}, func(i int) bool { return count("gov.tax-compliance", i, false) >= 8 }},
	}
	var found []example
	for _, w := range want {
		if doms[w.domain] == nil {
			continue
		}
		for i := 0; i < opts.Subjects; i++ {
			id, _ := opts.Subject(i)
			if !strings.HasPrefix(id, w.scheme) || !w.ok(i) {
				continue
			}
			body := map[string]string{"subject": id}
			for k, v := range w.extra {
				body[k] = v
			}
			found = append(found, example{title: w.title, domain: w.domain, path: w.path, body: body})
			break
		}
	}
	return found, nil
}

// printExamples prints the examples as curl commands with the demo's tokens:
// the reader's reads, a reporter's event, and the first subject reading
// their own record.
func (c *DemoCommand) printExamples(found []example, base string, t demoTokens) {
	fmt.Fprintln(c.m.Stdout, "\nTry these (every read is logged with its purpose, and shown to the subject):")
	for _, e := range found {
		body, _ := json.Marshal(e.body)
		fmt.Fprintf(c.m.Stdout, "\n# %s\ncurl -s -X POST %s/v1/domains/%s/%s -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '%s'\n",
			e.title, base, e.domain, e.path, t.Reader, body)
	}
	if len(found) > 0 && t.Subject != "" {
		subject := found[0].body["subject"]
		event, _ := json.Marshal(map[string]any{"key": fmt.Sprintf("demo-%d", time.Now().UnixNano()), "type": "loan_repaid",
			"subject": subject, "occurred_at": time.Now().UTC().Format(time.DateOnly), "fields": map[string]any{"amount": 5000}})
		fmt.Fprintf(c.m.Stdout, "\n# The bank reports a repayment (NDJSON, one event a line)\ncurl -s -X POST %s/v1/domains/acme.lending/events -H 'Authorization: Bearer %s' -H 'Content-Type: application/x-ndjson' --data-binary '%s'\n",
			base, t.Reporter, event)
		own, _ := json.Marshal(map[string]string{"subject": subject})
		fmt.Fprintf(c.m.Stdout, "\n# The borrower reads their own record with their subject token\ncurl -s -X POST %s/v1/domains/acme.lending/scores -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '%s'\n",
			base, t.Subject, own)
	}
	if len(found) < 3 {
		fmt.Fprintf(c.m.Stdout, "\n(the population is too small for every example; try --subjects 1000)\n")
	}
	fmt.Fprintf(c.m.Stdout, "\n# Every domain's public rules, and the log's latest signed checkpoint (no token needed)\ncurl -s %s/v1/domains\ncurl -s %s/v1/audit/checkpoint\n", base, base)
}
