package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserPages shows each page as a person meets it, at a desktop's
// width and at a phone's, with screenshots kept (PROBITY_SCREENSHOT_DIR):
// sign-in, the registry's index and a domain's page, the reviewer's
// console and the review of a disputed entry, the admin's and the
// reporter's consoles, the audit log. (The portal has its own test.) Each reflows to the
// width, and a page's text shows no rule's CEL (only its details do).
func TestBrowserPages(t *testing.T) {
	ctx := newBrowser(t)
	f := start(t)
	subject := f.browser(t)
	subject.signIn(f.subject)
	subject.post("/portal/disputes", url.Values{"domain": {"acme.lending"}, "key": {"late-1"}, "reason": {"I paid on time"}})
	s := newScenario(t, ctx, f)
	pages := []struct {
		name, token, path, first string
	}{
		{"signin", "", "/signin", "#token"},
		{"registry", "", "/", "table.index"},
		{"domain", "", "/registry/acme.lending", "section.rule"},
		{"console", f.reviewer, "/console", "table.queue"},
		{"admin-console", f.admin, "/console", "section.domain"},
		{"reporter-console", f.reporter, "/console", "form.upload"},
		{"audit", f.audr, "/audit", "#verify"},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			s.t = t
			if p.token != "" {
				s.signIn(p.token, p.first) // lands on the page
			}
			s.do("open", chromedp.Navigate(s.base+p.path), chromedp.WaitVisible(chromedp.CSS(p.first)))
			if p.name == "console" {
				// the review of the disputed entry, through the queue's link
				s.do("review", chromedp.Click(chromedp.CSS(`table.queue a`)), chromedp.WaitVisible(chromedp.ID("h-entry")))
				p.name = "review"
			}
			for _, width := range []int64{1280, 390} {
				s.atWidth(p.name, width, "main")
				text, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText`))
				if err != nil {
					t.Fatal(err)
				}
				for _, cel := range []string{"days_late >=", "amount > 10000.0", "? -"} {
					if strings.Contains(text, cel) {
						t.Errorf("%s shows the rule %q in its text; the CEL belongs in a detail", p.path, cel)
					}
				}
			}
			if p.token != "" {
				s.signOut()
			}
		})
	}
}
