package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestPortalPages shows a long record one page at a time, with a link to
// the next page, and every entry on one of them.
func TestPortalPages(t *testing.T) {
	f := start(t)
	var lines strings.Builder
	for i := range 120 {
		fmt.Fprintf(&lines, `{"key":"bulk-%03d","type":"loan_repaid","subject":"%s","occurred_at":"%s","fields":{"amount":10}}`+"\n",
			i, alice, time.Now().UTC().AddDate(0, 0, -(300-i)).Format(time.DateOnly))
	}
	ingest(t, f.svc, lines.String())
	b := f.browser(t)
	b.signIn(f.subject)
	_, first := b.get("/portal")
	mustContain(t, first, "bulk-000", `href="/portal?page=2#d-acme.lending">Next page</a>`, "123 entries in all, page 1 of 2")
	if strings.Contains(first, "bulk-119") {
		t.Fatal("the first page shows an entry of the second")
	}
	status, second := b.get("/portal?page=2")
	if status != 200 {
		t.Fatalf("GET /portal?page=2 = %d", status)
	}
	mustContain(t, second, "bulk-119")
	if strings.Contains(second, "bulk-000") || strings.Contains(second, "Next page") {
		t.Fatal("the last page shows an entry of the first, or a next page")
	}
	if status, _ := b.get("/portal?page=two"); status != 400 {
		t.Fatalf("GET /portal?page=two = %d, want 400", status)
	}
}
