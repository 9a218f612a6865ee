package bureau_test

import (
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

// TestNotices: the subject is told of an adverse entry in its grace period
// and how to cure it, of a dispute's progress, of a spec version ahead, and
// of an entry about to stop counting.
func TestNotices(t *testing.T) {
	f := newFixture(t)
	src := readSpec(t, lending)
	f.apply(t, src)
	recent := t0.Add(-5 * 24 * time.Hour).Format(time.RFC3339)
	old := t0.AddDate(-10, 0, 30).Format(time.RFC3339) // expires (10y) within 90 days
	f.mustIngest(t, "acme.lending", `{"key":"late","type":"payment_late","subject":"`+alice+`","occurred_at":"`+recent+`","fields":{"days_late":35}}
{"key":"old","type":"loan_repaid","subject":"`+alice+`","occurred_at":"`+old+`","fields":{"amount":10}}
{"key":"wrong","type":"payment_late","subject":"`+alice+`","occurred_at":"2025-01-01","fields":{"days_late":95}}`)
	if _, err := f.FileDispute(local(), probity.DisputeRequest{Domain: "acme.lending", EventKey: "wrong", Reason: "never late", Subject: alice}); err != nil {
		t.Fatal(err)
	}
	f.apply(t, strings.Replace(src, "cap: 250", "cap: 300", 1))
	notices, err := f.Notices(local(), alice)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, n := range notices {
		kinds[n.Kind] = n.Text
	}
	for kind, want := range map[string]string{
		"adverse_entry": "if your payment settled is reported before then, it never counts",
		"dispute":       "your dispute filed on 2026-06-01 is open",
		"spec_change":   "version 2 of the rules of ACME Bank consumer and business lending takes effect",
		"expiry":        "stops counting on",
	} {
		if !strings.Contains(kinds[kind], want) {
			t.Errorf("%s notice = %q, want it to say %q", kind, kinds[kind], want)
		}
		// a notice is read by a person: spec names in words, no entry key
		if strings.Contains(kinds[kind], "_") || strings.Contains(kinds[kind], "entry wrong") {
			t.Errorf("%s notice = %q: an internal name or an entry's key in a person's notice", kind, kinds[kind])
		}
	}
}
