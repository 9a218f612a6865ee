package http_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

// TestCourtOrdersOverHTTP (P4): POST /v1/domains/{id}/orders refuses an
// order without a citation, a scope, notice or an end date with 400 naming
// the field; POST /v1/restrictions/check says restricted from the end of
// the notice until the end date and not after; POST
// .../orders/{order}/fulfilled lifts an order at once.
func TestCourtOrdersOverHTTP(t *testing.T) {
	day := 24 * time.Hour
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := newTestClock(t0)
	u := startServerAt(t, clock).URL()
	for _, name := range []string{"acme-lending", "district-court"} {
		if _, err := svc.ApplySpec(local(), "", exampleSpec(t, name)); err != nil {
			t.Fatal(err)
		}
	}
	clerk := "Bearer " + issue(t, "clerk", false, probity.Grant{Role: probity.RoleReporter, Domain: court})
	bank := "Bearer " + issue(t, "bank", false, probity.Grant{Role: probity.RoleReader, Domain: lending})
	ends := t0.Add(40 * day)
	order := func(fields ...string) string {
		all := map[string]string{
			"subject":      `"` + alice + `"`,
			"citation":     `"Springfield District Court, case 2026-17"`,
			"restrictions": `["no_new_credit"]`,
			"ends_at":      `"` + ends.Format(time.RFC3339) + `"`,
		}
		for i := 0; i < len(fields); i += 2 {
			if fields[i+1] == "" {
				delete(all, fields[i])
			} else {
				all[fields[i]] = fields[i+1]
			}
		}
		var parts []string
		for k, v := range all {
			parts = append(parts, `"`+k+`":`+v)
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	issueURL := u + "/v1/domains/" + court + "/orders"
	t.Run("Refused", func(t *testing.T) {
		for _, tt := range []struct {
			name, body, field string
		}{
			{"ErrNoCitation", order("citation", ""), "citation: required"},
			{"ErrEmptyCitation", order("citation", `""`), "citation: required"},
			{"ErrNoScope", order("restrictions", ""), "restrictions: "},
			{"ErrEmptyScope", order("restrictions", `[]`), "restrictions: "},
			{"ErrNoEndDate", order("ends_at", ""), "ends_at: required"},
			{"ErrNoNotice", order("notice", `"0d"`), "notice: "},
		} {
			t.Run(tt.name, func(t *testing.T) {
				status, body := send(t, clerk, "POST", issueURL, "application/json", tt.body)
				if status != 400 || errCode(body) != probity.EINVALID || !strings.HasPrefix(errMessage(body), tt.field) {
					t.Fatalf("POST %s = %d %v, want 400 %s starting %q", tt.body, status, body, probity.EINVALID, tt.field)
				}
			})
		}
	})
	status, body := send(t, clerk, "POST", issueURL, "application/json", order())
	if status != 201 {
		t.Fatalf("POST orders = %d %v, want 201", status, body)
	}
	id, _ := body["id"].(string)
	check := func(t *testing.T, subject string) (bool, string) {
		t.Helper()
		status, body := send(t, bank, "POST", u+"/v1/restrictions/check", "application/json",
			`{"subject":"`+subject+`","restriction":"no_new_credit","purpose":"credit_application"}`)
		if status != 200 {
			t.Fatalf("POST /v1/restrictions/check = %d %v", status, body)
		}
		restricted, _ := body["restricted"].(bool)
		order, _ := body["order"].(string)
		return restricted, order
	}
	effective := t0.Add(probity.DefaultOrderNotice)
	for _, tt := range []struct {
		name       string
		at         time.Time
		restricted bool
	}{
		{"DuringNotice", effective.Add(-time.Second), false},
		{"NoticeRun", effective, true},
		{"LastSecond", ends.Add(-time.Second), true},
		{"AtEndDate", ends, false},
		{"AfterEndDate", ends.Add(day), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock.set(tt.at)
			restricted, got := check(t, alice)
			if want := map[bool]string{true: id}[tt.restricted]; restricted != tt.restricted || got != want {
				t.Fatalf("at %s: restricted=%v order %q, want %v %q (effective %s, ends %s)", tt.at, restricted, got, tt.restricted, want, effective, ends)
			}
		})
	}
	t.Run("Fulfilled", func(t *testing.T) {
		clock.set(t0)
		status, body := send(t, clerk, "POST", issueURL, "application/json", order("subject", `"`+someone+`"`, "ends_at", `"`+t0.Add(300*day).Format(time.RFC3339)+`"`))
		if status != 201 {
			t.Fatalf("POST orders = %d %v", status, body)
		}
		clock.set(t0.Add(20 * day))
		if restricted, _ := check(t, someone); !restricted {
			t.Fatal("not restricted while the order is in force")
		}
		if status, body := send(t, clerk, "POST", issueURL+"/"+body["id"].(string)+"/fulfilled", "", ""); status != 200 || body["fulfilled_at"] == nil {
			t.Fatalf("POST fulfilled = %d %v", status, body)
		}
		if restricted, order := check(t, someone); restricted {
			t.Fatalf("still restricted under %s once fulfilled", order)
		}
	})
}

// TestOptedOutOverHTTP (P6): over the API, a reader of a domain the
// subject left gets the status opted_out and nothing more from
// /scores, the answer a subject never seen gets from /decisions, and from
// /consented-scores the status alone; the subject still reads their own
// record.
func TestOptedOutOverHTTP(t *testing.T) {
	srv, _ := startServerWith(t, nil, 0)
	u := srv.URL()
	applyDomains(t)
	ingest(t, lending, `{"key":"late1","type":"payment_late","subject":"`+alice+`","occurred_at":"2025-06-01","fields":{"days_late":120}}
{"key":"late2","type":"payment_late","subject":"`+alice+`","occurred_at":"2025-07-01","fields":{"days_late":120}}`)
	st, err := svc.IssueSubjectToken(local(), probity.SubjectTokenRequest{Subject: alice})
	if err != nil {
		t.Fatal(err)
	}
	me := "Bearer " + st.Token
	if status, body := send(t, me, "POST", u+"/v1/me/consents", "application/json",
		`{"domain":"`+lending+`","grantee":"`+tax+`","purpose":"credit_application","until":"2030-01-01"}`); status != 201 {
		t.Fatalf("POST /v1/me/consents = %d %v", status, body)
	}
	if status, body := send(t, me, "POST", u+"/v1/me/opt-outs", "application/json", `{"domain":"`+lending+`"}`); status != 200 {
		t.Fatalf("POST /v1/me/opt-outs = %d %v", status, body)
	}
	scores := u + "/v1/domains/" + lending + "/scores"
	if status, own := send(t, me, "POST", scores, "application/json", `{"subject":"`+alice+`"}`); status != 200 || own["status"] != "opted_out" || len(own["contributions"].([]any)) == 0 {
		t.Fatalf("the subject's own read = %d %v, want opted_out with the entries left behind", status, own)
	}
	desk := "Bearer " + issue(t, "desk", false, probity.Grant{Role: probity.RoleReader, Domain: lending})
	taxDesk := "Bearer " + issue(t, "tax desk", false, probity.Grant{Role: probity.RoleReader, Domain: tax})

	t.Run("Scores", func(t *testing.T) {
		status, s := send(t, desk, "POST", scores, "application/json", `{"subject":"`+alice+`","purpose":"credit_application"}`)
		if status != 200 || s["status"] != "opted_out" {
			t.Fatalf("POST scores = %d %v, want 200 opted_out", status, s)
		}
		if leaks := shownBeyond(s, "domain", "spec_version", "as_of", "status", "base", "min_events", "projection", "page"); len(leaks) > 0 {
			t.Fatalf("a reader of an opted-out subject is shown %v", leaks)
		}
		for i, p := range s["projection"].([]any) {
			if leaks := shownBeyond(p.(map[string]any), "at", "status"); len(leaks) > 0 || p.(map[string]any)["status"] != "opted_out" {
				t.Errorf("projection[%d] = %v, want at and opted_out only", i, p)
			}
		}
		if p, ok := s["page"].(map[string]any); ok && (p["entries"] != 0.0 || p["pages"].(float64) > 1) {
			t.Fatalf("page = %v: a reader learns how many entries an opted-out subject left", p)
		}
	})
	t.Run("Decisions", func(t *testing.T) {
		decide := func(subject, benefit string) map[string]any {
			status, d := send(t, desk, "POST", u+"/v1/domains/"+lending+"/decisions", "application/json",
				`{"subject":"`+subject+`","benefit":"`+benefit+`","purpose":"account_review"}`)
			if status != 200 {
				t.Fatalf("POST decisions = %d %v", status, d)
			}
			return d
		}
		for _, benefit := range []string{"deposit_waived", "overdraft_eligible", "standard_credit"} {
			got, fresh := decide(alice, benefit), decide("person:never-seen", benefit)
			if got["status"] != "opted_out" {
				t.Fatalf("%s: status %v, want opted_out", benefit, got["status"])
			}
			got["status"] = fresh["status"]
			if !reflect.DeepEqual(got, fresh) {
				t.Errorf("%s: opted out decided %v, want what a subject never seen gets, %v", benefit, got, fresh)
			}
		}
	})
	t.Run("ConsentedScores", func(t *testing.T) {
		status, cs := send(t, taxDesk, "POST", u+"/v1/domains/"+lending+"/consented-scores", "application/json",
			`{"subject":"`+alice+`","purpose":"credit_application"}`)
		if status != 200 || cs["status"] != "opted_out" {
			t.Fatalf("POST consented-scores = %d %v, want 200 opted_out", status, cs)
		}
		if leaks := shownBeyond(cs, "domain", "status", "consent"); len(leaks) > 0 {
			t.Fatalf("a reader under consent is shown %v of an opted-out subject", leaks)
		}
	})
}

// shownBeyond returns the fields of a JSON answer outside allowed that are
// not empty (null, 0, "", false, [] or {}).
func shownBeyond(answer map[string]any, allowed ...string) []string {
	var out []string
	for k, v := range answer {
		if slices.Contains(allowed, k) {
			continue
		}
		switch x := v.(type) {
		case nil:
			continue
		case float64, string, bool:
			if reflect.ValueOf(x).IsZero() {
				continue
			}
		case []any:
			if len(x) == 0 {
				continue
			}
		case map[string]any:
			if len(x) == 0 {
				continue
			}
		}
		out = append(out, fmt.Sprintf("%s=%v", k, v))
	}
	slices.Sort(out)
	return out
}

// TestDisputedEntryForReviewer (issue 18, item 3): a reviewer reads the
// entry a dispute is about (its type, date, fields, rule, who reported it
// and its history), and the read is an inquiry the subject sees, with the
// purpose dispute_review; a reviewer of another domain may not.
func TestDisputedEntryForReviewer(t *testing.T) {
	srv := startServer(t)
	u := srv.URL()
	applyDomains(t)
	desk := "Bearer " + issue(t, "ACME core banking", false, probity.Grant{Role: probity.RoleReporter, Domain: lending})
	if status, body := send(t, desk, "POST", u+"/v1/domains/"+lending+"/events", "application/x-ndjson",
		`{"key":"late-7","type":"payment_late","subject":"`+alice+`","occurred_at":"2025-03-10","fields":{"days_late":95}}`); status != 200 {
		t.Fatalf("ingest = %d %v", status, body)
	}
	st, err := svc.IssueSubjectToken(local(), probity.SubjectTokenRequest{Subject: alice})
	if err != nil {
		t.Fatal(err)
	}
	me := "Bearer " + st.Token
	status, d := send(t, me, "POST", u+"/v1/me/disputes", "application/json", `{"domain":"`+lending+`","key":"late-7","reason":"I paid on time"}`)
	if status != 201 {
		t.Fatalf("dispute = %d %v", status, d)
	}
	reviewer := "Bearer " + issue(t, "ACME disputes desk", false, probity.Grant{Role: probity.RoleReviewer, Domain: lending})
	path := u + "/v1/domains/" + lending + "/disputes/" + d["id"].(string) + "/entry"
	status, e := send(t, reviewer, "GET", path, "", "")
	if status != 200 {
		t.Fatalf("GET %s = %d %v", path, status, e)
	}
	fields, _ := e["fields"].(map[string]any)
	if e["type"] != "payment_late" || fields["days_late"] != 95.0 || e["reason"] != "Late payments" || e["code"] != "L01" ||
		!strings.Contains(fmt.Sprint(e["reported_by"]), "ACME core banking") || e["retracted"] != false {
		t.Fatalf("the reviewer sees %v; want the late payment with its fields, rule and reporter", e)
	}
	var actions []string
	for _, h := range e["history"].([]any) {
		actions = append(actions, h.(map[string]any)["action"].(string))
	}
	if !slices.Equal(actions, []string{probity.ActionEventAccepted, probity.ActionDisputeFiled}) {
		t.Fatalf("history = %v; want the entry reported, then disputed", actions)
	}
	if strings.Contains(fmt.Sprint(e), alice[7:]) {
		t.Fatal("the reviewer's view carries the subject's identifier")
	}
	// the subject sees who read the entry, and why
	_, report := send(t, me, "GET", u+"/v1/me/report", "", "")
	var seen bool
	for _, dom := range report["domains"].([]any) {
		for _, q := range dom.(map[string]any)["inquiries"].([]any) {
			q := q.(map[string]any)
			seen = seen || q["action"] == probity.ActionEntryRead && q["purpose"] == probity.ReviewPurpose && strings.Contains(fmt.Sprint(q["actor"]), "ACME disputes desk")
		}
	}
	if !seen {
		t.Fatalf("the subject's report does not show the reviewer's read of the entry:\n%v", report)
	}
	other := "Bearer " + issue(t, "tax reviewer", false, probity.Grant{Role: probity.RoleReviewer, Domain: tax})
	if status, body := send(t, other, "GET", path, "", ""); status != 403 {
		t.Fatalf("another domain's reviewer = %d %v, want 403", status, body)
	}
	// the new kind of read leaves a log that verifies
	if report, err := svc.VerifyLog(local()); err != nil || !report.OK() {
		t.Fatalf("audit verify after a reviewer's read: %+v, %v", report, err)
	}
}

// TestAdverseActionNotice (issue 19, item 5): a decision that refuses a
// benefit answers with a notice of the score used and its range, the date,
// who decided, at most four key factors in plain words and the subject's
// rights; the subject's notices show it too. Inquiries are never a factor
// in Probity's scores, so none is counted among the factors.
func TestAdverseActionNotice(t *testing.T) {
	srv := startServer(t)
	u := srv.URL()
	applyDomains(t)
	ingest(t, lending, `{"key":"late-a","type":"payment_late","subject":"`+alice+`","occurred_at":"2025-03-10","fields":{"days_late":95}}
{"key":"late-b","type":"payment_late","subject":"`+alice+`","occurred_at":"2025-05-10","fields":{"days_late":95}}`)
	bank := "Bearer " + issue(t, "ACME Bank tenancy desk", false, probity.Grant{Role: probity.RoleReader, Domain: lending})
	status, d := send(t, bank, "POST", u+"/v1/domains/"+lending+"/decisions", "application/json",
		`{"subject":"`+alice+`","benefit":"deposit_waived","purpose":"account_review"}`)
	if status != 200 || d["allowed"] != false {
		t.Fatalf("decision = %d %v; want a refusal", status, d)
	}
	a, _ := d["adverse_action"].(map[string]any)
	factors, _ := a["key_factors"].([]any)
	switch {
	case a == nil:
		t.Fatalf("a refusal without its notice: %v", d)
	case a["score"] != d["score"] || a["score_min"] != 300.0 || a["score_max"] != 900.0 || a["date"] == nil:
		t.Fatalf("notice %v: want the score used with its range 300 to 900 and the date", a)
	case !strings.Contains(fmt.Sprint(a["decided_by"]), "ACME Bank tenancy desk"):
		t.Fatalf("notice %v: want who decided", a)
	case len(factors) == 0 || len(factors) > probity.MaxKeyFactors || !strings.Contains(fmt.Sprint(factors[0]), "Late payments"):
		t.Fatalf("key factors %v: want 1 to 4, the late payments first", factors)
	case !strings.Contains(fmt.Sprint(a["rights"]), "see your full record") || !strings.Contains(fmt.Sprint(a["rights"]), "dispute"):
		t.Fatalf("notice %v: want the right to see the record and to dispute, and how", a)
	}
	if strings.Contains(strings.ToLower(fmt.Sprint(factors)), "inquir") {
		t.Fatalf("key factors %v count inquiries, which never count in Probity", factors)
	}
	// an allowed decision has none
	if _, ok := d["adverse_action"]; ok {
		status, d2 := send(t, bank, "POST", u+"/v1/domains/"+lending+"/decisions", "application/json",
			`{"subject":"`+company+`","benefit":"deposit_waived","purpose":"account_review"}`)
		if status == 200 && d2["allowed"] == true && d2["adverse_action"] != nil {
			t.Fatalf("an allowed decision with an adverse-action notice: %v", d2)
		}
	}
	st, err := svc.IssueSubjectToken(local(), probity.SubjectTokenRequest{Subject: alice})
	if err != nil {
		t.Fatal(err)
	}
	_, notices := send(t, "Bearer "+st.Token, "GET", u+"/v1/me/notices", "", "")
	var found string
	for _, n := range notices["notices"].([]any) {
		if n := n.(map[string]any); n["kind"] == "adverse_action" {
			found = n["text"].(string)
		}
	}
	if !strings.Contains(found, "ACME Bank tenancy desk refused deposit waived") || !strings.Contains(found, "Late payments") ||
		!strings.Contains(found, "dispute") {
		t.Fatalf("the subject's notices tell of the refusal as %q", found)
	}
}
