package http_test

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
)

// scrape reads GET /metrics with the operator's token and returns each
// series ("name{labels}") with its value.
func scrape(t *testing.T, base, token string) map[string]float64 {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics = %d %s", resp.StatusCode, body)
	}
	out := map[string]float64{}
	line := regexp.MustCompile(`^([a-z_]+(?:\{.*\})?) (\S+)$`)
	for _, l := range strings.Split(string(body), "\n") {
		if m := line.FindStringSubmatch(l); m != nil {
			v, _ := strconv.ParseFloat(m[2], 64)
			out[m[1]] = v
		}
	}
	return out
}

// TestMetrics scrapes /metrics before and after traffic: requests by route
// and status with their latency, events ingested, leaves appended,
// refusals, the logs' checkpoints and the pools are there, and the
// counters moved by what was done; no series names a path or a subject.
func TestMetrics(t *testing.T) {
	srv, _ := startServerWith(t, nil, 0)
	applyDomains(t)
	op := issue(t, "operator", false, probity.Grant{Role: probity.RoleOperator})
	reader := issue(t, "reader", false, probity.Grant{Role: probity.RoleReader, Domain: lending})
	before := scrape(t, srv.URL(), op)

	ingest(t, lending, `{"key":"m1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-03-10","fields":{"amount":100}}
{"key":"m2","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-03-11","fields":{"amount":100}}
{"key":"m3","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-03-12","fields":{"amount":100}}`)
	for range 3 {
		if status, body := send(t, "Bearer "+reader, "POST", srv.URL()+"/v1/domains/"+lending+"/scores", "application/json",
			`{"subject":"`+alice+`","purpose":"account_review"}`); status != 200 {
			t.Fatalf("score = %d %v", status, body)
		}
	}
	send(t, "Bearer prb_0011223344556677_"+strings.Repeat("ab", 32), "GET", srv.URL()+"/v1/principals", "", "")
	after := scrape(t, srv.URL(), op)

	const scores = `{route="POST /v1/domains/{id}/scores",status="200"}`
	for _, tc := range []struct {
		series string
		moved  float64 // at least
	}{
		{"probity_http_requests_total" + scores, 3},
		{`probity_http_request_duration_seconds_count{route="POST /v1/domains/{id}/scores"}`, 3},
		{`probity_events_ingested_total{domain="acme.lending"}`, 3},
		{`probity_log_leaves_appended_total{log="acme.lending"}`, 4}, // a batch of 3 events and 3 reads
		{`probity_refusals_total{reason="authenticate"}`, 1},
	} {
		if got := after[tc.series] - before[tc.series]; got < tc.moved {
			t.Errorf("%s moved by %v; want at least %v (before %v, after %v)", tc.series, got, tc.moved, before[tc.series], after[tc.series])
		}
	}
	for _, series := range []string{`probity_log_checkpoint_age_seconds{log="acme.lending"}`, `probity_log_unsigned_leaves{log="_installation"}`,
		`probity_db_connections_open{pool="write"}`, `probity_metrics_read_errors`, `go_goroutines`} {
		if _, ok := after[series]; !ok {
			t.Errorf("no series %s", series)
		}
	}
	for series := range after {
		if strings.Contains(series, alice) || strings.Contains(series, "/v1/domains/acme.lending") {
			t.Errorf("series %s names a subject or a path", series)
		}
	}
}
