package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserPortalLeads: at a desktop's width and at a phone's, the portal
// shows first what a person can act on: the score with its scale and the
// notice of a late payment in its grace period (with its date and what to
// do) come above the list of entries; and nothing in the page's text is an
// internal key, a spec's internal name or a rule's expression. The
// screenshots are kept with PROBITY_SCREENSHOT_DIR.
func TestBrowserPortalLeads(t *testing.T) {
	ctx := newBrowser(t)
	f := start(t)
	inGrace := time.Now().UTC().AddDate(0, 0, -5).Format(time.DateOnly)
	ingest(t, f.svc, `{"key":"late-grace-7","type":"payment_late","subject":"`+alice+`","occurred_at":"`+inGrace+`","fields":{"days_late":35}}
`)
	s := newScenario(t, ctx, f)
	const score = `[id="score-acme.lending"] .value`
	s.signIn(f.subject, score)
	for _, width := range []int64{1280, 390} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			s.t = t
			s.atWidth("portal", width, score)
			top := func(sel string) float64 {
				t.Helper()
				v, err := chromedp.Run(s.ctx, chromedp.Evaluate[float64](`document.querySelector(`+fmt.Sprintf("%q", sel)+`).getBoundingClientRect().top + window.scrollY`))
				if err != nil {
					t.Fatalf("%s: %v", sel, err)
				}
				return v
			}
			entries := top("table.entries")
			for _, sel := range []string{`[id="score-acme.lending"]`, "svg.scale", ".benefits", ".notices"} {
				if at := top(sel); at >= entries {
					t.Errorf("%s is at %.0fpx, below the entries (%.0fpx): a person sees the list first", sel, at, entries)
				}
			}
			if got := s.text(".notices"); !strings.Contains(got, "counts against you from") || !strings.Contains(got, "payment settled") {
				t.Errorf("the notice says %q; want when the late payment counts and what cures it", got)
			}
			main, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText`))
			if err != nil {
				t.Fatal(err)
			}
			for _, internal := range []string{"late-grace-7", "late-1", "loan-1", "payment_late", "payment_settled", "days_late", "_", ">= 90", "? -"} {
				if strings.Contains(main, internal) {
					t.Errorf("the page's text shows %q: internal keys, names and rules belong in a detail", internal)
				}
			}
		})
	}
}
