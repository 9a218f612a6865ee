package web_test

import (
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/probity-dev/probity/web"
)

// tlsServer serves the fixture's pages over TLS.
func tlsServer(tb testing.TB, f *fixture) *httptest.Server {
	tb.Helper()
	srv := httptest.NewTLSServer(web.New(f.svc, nil, nil).Handler())
	tb.Cleanup(srv.Close)
	return srv
}

var pastScore = regexp.MustCompile(`<td>\d{4}-\d\d-\d\d</td><td>\d+</td><td>[A-D]</td><td>as reported by then</td>`)

var disputeID = regexp.MustCompile(`action="/console/acme.lending/disputes/([^/"]+)/resolve"`)

// TestDueProcess is the portal and the console together: a subject sees
// their score, disputes an entry and sees the score change; a reviewer
// resolves the dispute; the subject sees the outcome.
func TestDueProcess(t *testing.T) {
	f := start(t)
	subject := f.browser(t)
	page := subject.signIn(f.subject)
	before := scoreOf(t, page)
	mustContain(t, page, "Payment late", "late-1", "Stops counting", "Who looked at your record", "data:image/svg")
	if !pastScore.MatchString(page) {
		t.Fatalf("the chart's table has no past score (the repayments were reported 150 days ago):\n%s", page)
	}
	status, page := subject.post("/portal/disputes", url.Values{"domain": {"acme.lending"}, "key": {"late-1"}, "reason": {"I paid on time; receipt attached"}})
	if status != 200 {
		t.Fatalf("dispute = %d: %s", status, page)
	}
	after := scoreOf(t, page)
	if after <= before {
		t.Fatalf("score after disputing the late payment = %s, before %s: want higher", after, before)
	}
	mustContain(t, page, "Your dispute is filed", "dispute-open", "Under dispute")

	reviewer := f.browser(t)
	page = reviewer.signIn(f.reviewer)
	mustContain(t, page, "Disputes to decide", "I paid on time")
	m := disputeID.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no dispute in the queue:\n%s", page)
	}
	// the reviewer reads the entry before deciding; the subject sees the look
	_, review := reviewer.get("/console/acme.lending/disputes/" + m[1])
	mustContain(t, review, "Payment late", "days late 95", "Late payments, code L01", "by test", "reported the entry", "filed a dispute", "I paid on time")
	_, page = subject.get("/portal")
	mustContain(t, page, "read a disputed entry", "dispute review", "ACME disputes desk")
	status, page = reviewer.post("/console/acme.lending/disputes/"+m[1]+"/resolve", url.Values{"outcome": {"upheld"}, "reason": {"receipt checked: paid on day 2"}})
	if status != 200 || !strings.Contains(page, "No open dispute") {
		t.Fatalf("resolve = %d: %s", status, page)
	}

	_, page = subject.get("/portal")
	mustContain(t, page, "dispute-upheld", "receipt checked: paid on day 2", "Withdrawn entries")
	if got := scoreOf(t, page); got != after {
		t.Fatalf("score after the dispute was upheld = %s, want %s", got, after)
	}
	t.Run("ErrRejectWithoutReason", func(t *testing.T) {
		status, page := reviewer.post("/console/acme.lending/disputes/"+m[1]+"/resolve", url.Values{"outcome": {"rejected"}})
		if status < 400 || !strings.Contains(page, `role="alert"`) {
			t.Fatalf("= %d, want an error", status)
		}
	})
	t.Run("ErrUpholdWithoutReason", func(t *testing.T) {
		status, page := reviewer.post("/console/acme.lending/disputes/"+m[1]+"/resolve", url.Values{"outcome": {"upheld"}, "reason": {"  "}})
		if status != 400 || !strings.Contains(page, "reason: required") {
			t.Fatalf("= %d, want 400 naming the reason:\n%s", status, page)
		}
	})
	t.Run("ErrSubjectResolves", func(t *testing.T) {
		status, page := subject.post("/console/acme.lending/disputes/"+m[1]+"/resolve", url.Values{"outcome": {"upheld"}, "reason": {"mine"}})
		if status != 403 || !strings.Contains(page, "needs the reviewer role in domain acme.lending") || strings.Contains(page, "Authorization") {
			t.Fatalf("a subject resolving = %d, want 403 saying to sign in as a reviewer, with no word of headers:\n%s", status, page)
		}
	})
}
