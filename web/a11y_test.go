package web_test

import (
	"regexp"
	"testing"
)

var (
	field    = regexp.MustCompile(`<(input|textarea|select)\b[^>]*>`)
	hidden   = regexp.MustCompile(`type="hidden"`)
	fieldID  = regexp.MustCompile(`\bid="([^"]+)"`)
	viewport = `<meta name="viewport" content="width=device-width, initial-scale=1">`
)

// TestLabels checks that every field of every page has a label naming it
// (<label for>, or aria-label), and that every page sets the viewport for
// phones: what a screen reader and a small screen need.
func TestLabels(t *testing.T) {
	f := start(t)
	pages := []struct{ name, token, path string }{
		{"Registry", "", "/"},
		{"SignIn", "", "/signin"},
		{"Audit", f.audr, "/audit"},
		{"Portal", f.subject, "/portal"},
		{"Reporter", f.reporter, "/console"},
		{"Reviewer", f.reviewer, "/console"},
		{"Admin", f.admin, "/console"},
	}
	dispute := f.browser(t)
	dispute.signIn(f.subject)
	dispute.post("/portal/disputes", map[string][]string{"domain": {"acme.lending"}, "key": {"late-1"}, "reason": {"wrong"}})
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			b := f.browser(t)
			if p.token != "" {
				b.signIn(p.token)
			}
			_, page := b.get(p.path)
			mustContain(t, page, viewport, `<html lang="en">`)
			fields := 0
			for _, tag := range field.FindAllString(page, -1) {
				if hidden.MatchString(tag) || regexp.MustCompile(`aria-label="[^"]+"`).MatchString(tag) {
					continue
				}
				fields++
				m := fieldID.FindStringSubmatch(tag)
				if m == nil {
					t.Errorf("field without an id or aria-label: %s", tag)
					continue
				}
				if !regexp.MustCompile(`<label for="` + regexp.QuoteMeta(m[1]) + `"`).MatchString(page) {
					t.Errorf("field %s has no <label for>", m[1])
				}
			}
			if p.token != "" && p.name != "Admin" && p.name != "Audit" && fields == 0 {
				t.Errorf("no field found on %s: the check checked nothing", p.path)
			}
		})
	}
}
