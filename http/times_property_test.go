package http_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// extremeTimes are times at and beyond every edge a store or a parser has:
// the allowed years' ends, the int64 nanoseconds' ends (1677, 2262), the
// Unix epoch, year zero and 9999, leap days, fractions and offsets that cross
// a year. Each is a date (YYYY-MM-DD) or an RFC 3339 time.
var extremeTimes = []string{
	"1899-12-31", "1900-01-01", "1900-01-01T00:00:00+01:00", "1970-01-01", "1969-12-31T23:59:59.999999999Z",
	"1677-09-21T00:12:43Z", "1677-09-20", "2200-12-31T23:59:59.999999999Z", "2200-12-31T23:00:00-01:00",
	"2201-01-01", "2262-04-11T23:47:16.854775807Z", "2262-04-12", "3000-01-01", "9999-12-31T00:00:00Z",
	"0000-01-01", "0001-01-01T00:00:00Z", "2024-02-29", "2025-02-29", "2026-01-01T00:00:00.1234567891Z",
}

// timeRoute is a route that takes a time in a JSON or NDJSON body: body
// returns the request with the time in field.
type timeRoute struct {
	method, path, contentType, field string
	body                             func(i int, at string) string
}

// TestTimesAtEveryRoute is a property test over the routes that take a
// time: every extreme time is either accepted or refused with 400 naming
// the field, never a 500, and whatever was accepted, audit verification of
// the whole store still passes (a time the store cannot keep would be
// stored as another and no longer match its leaf).
func TestTimesAtEveryRoute(t *testing.T) {
	srv := startServer(t)
	u := srv.URL()
	for _, path := range []string{"acme-lending", "district-court"} {
		if _, err := svc.ApplySpec(local(), "", readExample(t, path)); err != nil {
			t.Fatal(err)
		}
	}
	ingest(t, "acme.lending", lendingEvents)
	st, err := svc.IssueSubjectToken(local(), probity.SubjectTokenRequest{Subject: alice})
	if err != nil {
		t.Fatal(err)
	}
	routes := []timeRoute{
		{"POST", "/v1/principals", "application/json", "expires_at", func(i int, at string) string {
			return `{"name":"clerk","grants":[{"role":"reader","domain":"acme.lending"}],"expires_at":"` + rfc3339(at) + `"}`
		}},
		{"POST", "/v1/subject-tokens", "application/json", "expires_at", func(i int, at string) string {
			return `{"subject":"` + alice + `","expires_at":"` + rfc3339(at) + `"}`
		}},
		{"POST", "/v1/domains/acme.lending/events", "application/x-ndjson", "occurred_at", func(i int, at string) string {
			return fmt.Sprintf(`{"key":"t-%d","type":"loan_repaid","subject":"%s","occurred_at":"%s","fields":{"amount":10}}`, i, alice, at)
		}},
		{"POST", "/v1/domains/acme.lending/scores", "application/json", "as_of", func(i int, at string) string {
			return `{"subject":"` + alice + `","purpose":"credit_application","as_of":"` + at + `"}`
		}},
		{"POST", "/v1/domains/acme.lending/officials", "application/json", "from", func(i int, at string) string {
			return `{"subject":"person:official-` + fmt.Sprint(i) + `","office":"treasurer","from":"` + at + `"}`
		}},
		{"POST", "/v1/domains/acme.lending/officials", "application/json", "to", func(i int, at string) string {
			return `{"subject":"person:official-to-` + fmt.Sprint(i) + `","office":"treasurer","from":"1900-01-01","to":"` + at + `"}`
		}},
		{"POST", "/v1/domains/court.civil-judgments/orders", "application/json", "ends_at", func(i int, at string) string {
			return `{"subject":"` + alice + `","citation":"Civil Procedure Law art. 255, case 2026-` + fmt.Sprint(i) +
				`","restrictions":["no_new_credit"],"ends_at":"` + at + `"}`
		}},
		{"POST", "/v1/me/consents", "application/json", "until", func(i int, at string) string {
			return `{"domain":"acme.lending","grantee":"court.civil-judgments","purpose":"creditworthiness_check","until":"` + at + `"}`
		}},
	}
	desk := issue(t, "desk", false, probity.Grant{Role: probity.RoleAdmin, Domain: "acme.lending"},
		probity.Grant{Role: probity.RoleReporter, Domain: "acme.lending"}, probity.Grant{Role: probity.RoleReader, Domain: "acme.lending"},
		probity.Grant{Role: probity.RoleAdmin, Domain: "court.civil-judgments"})
	accepted := 0
	for i, at := range extremeTimes {
		for _, rt := range routes {
			auth := "Bearer " + bearer
			switch {
			case strings.HasPrefix(rt.path, "/v1/me/"):
				auth = "Bearer " + st.Token
			case strings.HasPrefix(rt.path, "/v1/domains/"):
				auth = "Bearer " + desk
			}
			status, body := send(t, auth, rt.method, u+rt.path, rt.contentType, rt.body(i, at))
			msg := errMessage(body)
			switch {
			case status >= 200 && status < 300:
				accepted++
			case status == 400 && strings.Contains(msg, rt.field):
			case status == 400 && strings.Contains(fmt.Sprint(body["summary"]), rt.field+":"):
				// an upload's refusals are per line, in its summary
			default:
				t.Errorf("%s %s with %s %s = %d %v; want 2xx, or 400 naming %s", rt.method, rt.path, rt.field, at, status, body, rt.field)
			}
			if status >= 200 && status < 300 {
				if y := yearOf(at); y < probity.FirstYear || y > probity.LastYear {
					t.Errorf("%s %s accepted %s %s, outside years %d to %d", rt.method, rt.path, rt.field, at, probity.FirstYear, probity.LastYear)
				}
			}
		}
	}
	if accepted == 0 {
		t.Fatal("no request was accepted: the routes' fixtures are wrong, and the property was not tested")
	}
	r, err := audit.Verify(context.Background(), store, logSigner.Verifier(), svc.KeyDigests())
	if err != nil || !r.OK() {
		t.Fatalf("after %d accepted requests with extreme times, audit verify = %v %v", accepted, err, r.Problems)
	}
}

// rfc3339 turns a date into midnight UTC in RFC 3339, the form expires_at
// takes.
func rfc3339(at string) string {
	if len(at) == len("2006-01-02") {
		return at + "T00:00:00Z"
	}
	return at
}

// yearOf returns the year of a time in UTC, as the store keeps it.
func yearOf(at string) int {
	var y int
	fmt.Sscanf(at, "%d", &y)
	if strings.HasPrefix(at, fmt.Sprintf("%04d-12-31T23", y)) && strings.HasSuffix(at, "-01:00") {
		return y + 1
	}
	if strings.HasPrefix(at, fmt.Sprintf("%04d-01-01T00", y)) && strings.HasSuffix(at, "+01:00") {
		return y - 1
	}
	return y
}

// readExample reads an example domain's spec.
func readExample(tb testing.TB, name string) []byte {
	tb.Helper()
	buf, err := os.ReadFile("../examples/domains/" + name + ".yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return buf
}
