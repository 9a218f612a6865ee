package http_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

// pagedRecord serves acme.lending with three entries per page and a record
// of alice with 14 entries in three lists: counted repayments and late
// payments, and late payments still in their grace period.
func pagedRecord(t *testing.T) (u string, me string) {
	t.Helper()
	srv := startServer(t)
	u = srv.URL()
	spec := string(lendingSpec(t)) + "limits: {entries_per_page: 3}\n"
	if status, body := call(t, "PUT", u+"/v1/domains/acme.lending", "application/yaml", []byte(spec)); status != 201 {
		t.Fatalf("PUT spec = %d %v", status, body)
	}
	grantAll(t)
	var b strings.Builder
	now := time.Now().UTC()
	for i := range 14 {
		day := now.AddDate(0, 0, -(i*40 + 1)).Format(time.DateOnly)
		switch {
		case i < 2: // in grace: pending
			fmt.Fprintf(&b, `{"key":"late-%02d","type":"payment_late","subject":"%s","occurred_at":"%s","fields":{"days_late":10}}`+"\n", i, alice, day)
		case i%4 == 0:
			fmt.Fprintf(&b, `{"key":"late-%02d","type":"payment_late","subject":"%s","occurred_at":"%s","fields":{"days_late":40}}`+"\n", i, alice, day)
		default:
			fmt.Fprintf(&b, `{"key":"paid-%02d","type":"loan_repaid","subject":"%s","occurred_at":"%s","fields":{"amount":%d}}`+"\n", i, alice, day, 100*i)
		}
	}
	if status, body := call(t, "POST", u+"/v1/domains/acme.lending/events", "application/x-ndjson", []byte(b.String())); status != 200 || body["accepted"].(float64) != 14 {
		t.Fatalf("POST events = %d %v, want 14 accepted", status, body)
	}
	st, err := svc.IssueSubjectToken(local(), probity.SubjectTokenRequest{Subject: alice})
	if err != nil {
		t.Fatal(err)
	}
	return u, st.Token
}

// getJSON reads a subject's page into v.
func getJSON(t *testing.T, token, url string, v any) int {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == 200 {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

// entryKeys lists the keys of a score's explanation, list by list.
func entryKeys(s *probity.Score) [4][]string {
	var out [4][]string
	for i, l := range [][]probity.Entry{s.Contributions, s.Pending, s.Suspended, s.Cured} {
		for _, e := range l {
			out[i] = append(out[i], e.Key)
		}
	}
	return out
}

func TestScorePaged(t *testing.T) {
	u, _ := pagedRecord(t)
	full, err := svc.Report(local(), alice) // every list whole
	if err != nil {
		t.Fatal(err)
	}
	want := full.Domains[0].Score
	if n := len(want.Contributions) + len(want.Pending); n != 14 || len(want.Pending) == 0 {
		t.Fatalf("the record explains %d entries (%d pending), want 14 with some pending", n, len(want.Pending))
	}
	var got [4][]string
	asOf := ""
	for page := 1; ; page++ {
		body := fmt.Sprintf(`{"subject":"%s","purpose":"credit_application","page":%d%s}`, alice, page, asOf)
		status, raw := call(t, "POST", u+"/v1/domains/acme.lending/scores", "application/json", []byte(body))
		if status != 200 {
			t.Fatalf("page %d: %d %v", page, status, raw)
		}
		var s probity.Score
		remarshal(t, raw, &s)
		if s.Page == nil || s.Page.Page != page || s.Page.Pages != 5 || s.Page.PerPage != 3 || s.Page.Entries != 14 {
			t.Fatalf("page %d: page = %+v, want page %d of 5, 3 per page, 14 entries", page, s.Page, page)
		}
		if *s.Score != *want.Score || s.EventsCounted != want.EventsCounted || !reflect.DeepEqual(s.Reasons, want.Reasons) {
			t.Fatalf("page %d: score %d (%d counted), want %d (%d counted) as computed over the whole record", page, *s.Score, s.EventsCounted, *want.Score, want.EventsCounted)
		}
		keys, shown := entryKeys(&s), 0
		for i := range keys {
			got[i] = append(got[i], keys[i]...)
			shown += len(keys[i])
		}
		if shown > 3 {
			t.Fatalf("page %d shows %d entries, more than a page", page, shown)
		}
		asOf = fmt.Sprintf(`,"as_of":%q`, s.AsOf.Format(time.RFC3339Nano))
		if page == s.Page.Pages {
			break
		}
	}
	if !reflect.DeepEqual(got, entryKeys(want)) {
		t.Fatalf("the pages show %v, want every entry exactly once: %v", got, entryKeys(want))
	}
	for _, tt := range []struct{ name, page, want string }{
		{"ErrPastLast", "6", "past the last page"},
		{"ErrNegative", "-1", "numbered from 1"},
		{"ErrNotNumber", `"two"`, "page"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, "POST", u+"/v1/domains/acme.lending/scores", "application/json",
				[]byte(`{"subject":"`+alice+`","purpose":"credit_application","page":`+tt.page+`}`))
			if status != 400 || !strings.Contains(errMessage(body), tt.want) {
				t.Fatalf("page %s = %d %v, want 400 saying %q", tt.page, status, body, tt.want)
			}
		})
	}
}

func TestReportPaged(t *testing.T) {
	u, me := pagedRecord(t)
	full, err := svc.Report(local(), alice)
	if err != nil {
		t.Fatal(err)
	}
	var entries []string
	var explained [4][]string
	pages := 0
	for page := 1; ; page++ {
		var r probity.Report
		if status := getJSON(t, me, fmt.Sprintf("%s/v1/me/report?page=%d", u, page), &r); status != 200 {
			t.Fatalf("report page %d: %d", page, status)
		}
		d := r.Domains[0]
		if r.Page != page || d.Page == nil || d.Page.Entries != 14 || d.Page.PerPage != 3 || len(d.Entries) > 3 || len(d.Inquiries) > 3 {
			t.Fatalf("report page %d: page %d of %d, domain page %+v, %d entries, %d inquiries", page, r.Page, r.Pages, d.Page, len(d.Entries), len(d.Inquiries))
		}
		if r.Log != nil && len(r.Log.Openings) > 3 {
			t.Fatalf("report page %d opens %d leaves, more than a page", page, len(r.Log.Openings))
		}
		for _, e := range d.Entries {
			entries = append(entries, e.Key)
		}
		keys := entryKeys(d.Score)
		for i := range keys {
			explained[i] = append(explained[i], keys[i]...)
		}
		pages = r.Pages
		if page >= 5 && page >= r.Pages {
			break
		}
	}
	var want []string
	for _, e := range full.Domains[0].Entries {
		want = append(want, e.Key)
	}
	if !reflect.DeepEqual(entries, want) {
		t.Fatalf("the report's pages show entries %v, want each exactly once: %v", entries, want)
	}
	if !reflect.DeepEqual(explained, entryKeys(full.Domains[0].Score)) {
		t.Fatalf("the report's pages explain %v, want each exactly once: %v", explained, entryKeys(full.Domains[0].Score))
	}
	// Every read adds an inquiry and a leaf to the record, so the lists of
	// inquiries and openings grow as they are paged: far past the end is
	// past it whatever the last read added.
	if status := getJSON(t, me, fmt.Sprintf("%s/v1/me/report?page=%d", u, pages+10), new(probity.Report)); status != 400 {
		t.Fatalf("report past its last page = %d, want 400", status)
	}
	if status := getJSON(t, me, u+"/v1/me/report?page=0", new(probity.Report)); status != 400 {
		t.Fatalf("report page 0 = %d, want 400", status)
	}
	t.Run("ExportIsWhole", func(t *testing.T) {
		var r probity.Report
		if status := getJSON(t, me, u+"/v1/me/export", &r); status != 200 {
			t.Fatalf("export = %d", status)
		}
		d := r.Domains[0]
		if r.Pages != 1 || len(d.Entries) != 14 || d.Page.PerPage != probity.DefaultEventsPerSubject ||
			len(d.Score.Contributions)+len(d.Score.Pending) != 14 {
			t.Fatalf("export: %d pages, %d entries, %d per page, want the whole record of 14 in one", r.Pages, len(d.Entries), d.Page.PerPage)
		}
	})
}

// remarshal turns a decoded JSON object into v.
func remarshal(t *testing.T, m map[string]any, v any) {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}
