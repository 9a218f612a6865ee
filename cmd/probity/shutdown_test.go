package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeStopsGracefully is SIGTERM during an ingest, as an operator
// restarting the server would see it: the server stops accepting, lets the
// ingest in flight finish within --shutdown-grace and answers it (applied),
// or, when the grace ends first, abandons it and answers 503 with nothing of
// it applied; either way it exits 0.
func TestServeStopsGracefully(t *testing.T) {
	for _, tc := range []struct {
		name    string
		grace   string
		status  int
		applied bool
	}{
		{"FinishedWithinGrace", "20s", http.StatusOK, true},
		{"AbandonedAfterGrace", "300ms", http.StatusServiceUnavailable, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := t.TempDir()
			mustRun(t, "domain", "apply", "--data", data, lendingSpec)
			out := mustRun(t, "token", "create", "--data", data, "--name", "reporter", "--grant", "reporter:acme.lending")
			token := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
			ctx, stop := context.WithCancel(context.Background())
			defer stop()
			stdout, done := runUntilServing(t, ctx, "serve", "--data", data, "--addr", "127.0.0.1:0", "--shutdown-grace", tc.grace)
			base := servingURL(t, stdout)
			if resp, err := http.Get(base + "/healthz"); err != nil {
				t.Fatal(err)
			} else {
				var health map[string]any
				json.NewDecoder(resp.Body).Decode(&health)
				resp.Body.Close()
				if health["version"] != buildVersion().String() {
					t.Fatalf("/healthz says version %v; want %q, as probity version says", health["version"], buildVersion())
				}
			}

			// an upload that takes about two seconds to arrive
			body, w := io.Pipe()
			go func() {
				for i := range 200 {
					fmt.Fprintf(w, `{"key":"k%d","type":"loan_repaid","subject":"person:s%d","occurred_at":"2024-01-02","fields":{"amount":100}}`+"\n", i, i)
					time.Sleep(10 * time.Millisecond)
				}
				w.Close()
			}()
			req, _ := http.NewRequest("POST", base+"/v1/domains/acme.lending/events", body)
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/x-ndjson")
			answered := make(chan *http.Response, 1)
			go func() {
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Errorf("the ingest in flight got no answer: %v", err)
				}
				answered <- resp
			}()
			time.Sleep(300 * time.Millisecond)
			stop() // SIGTERM
			resp := <-answered
			if resp == nil {
				return
			}
			var got map[string]any
			json.NewDecoder(resp.Body).Decode(&got)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("the ingest in flight at SIGTERM = %d %v; want %d", resp.StatusCode, got, tc.status)
			}
			if tc.status == http.StatusServiceUnavailable && (resp.Header.Get("Retry-After") == "" || !strings.Contains(fmt.Sprint(got), "nothing of it was applied")) {
				t.Fatalf("the abandoned ingest's answer %v (Retry-After %q) does not say to send it again", got, resp.Header.Get("Retry-After"))
			}
			if err := <-done; err != nil {
				t.Fatalf("serve stopped with %v; want a clean exit", err)
			}
			score := mustRun(t, "score", "--data", data, "--domain", "acme.lending", "--subject", "person:s0")
			if applied := strings.Contains(score, "loan_repaid  k0"); applied != tc.applied {
				t.Fatalf("after the stop, applied = %v, want %v:\n%s", applied, tc.applied, score)
			}
			mustRun(t, "audit", "verify", "--data", data)
		})
	}
}

// TestServeLogFormat: serve --log-format json writes one JSON object a
// line, each request's with its id and its route's pattern, pages too
// ("GET /signin", not "/"); an unknown format is refused.
func TestServeLogFormat(t *testing.T) {
	if _, _, err := run(t, nil, "", "serve", "--data", t.TempDir(), "--log-format", "xml"); err == nil || !strings.Contains(err.Error(), "want text or json") {
		t.Fatalf("serve --log-format xml: %v; want a refusal naming the formats", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	stdout, stderr, done := runServing(t, ctx, "serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--log-format", "json")
	base := servingURL(t, stdout)
	getThenStop(t, base+"/signin", "X-Request-Id", "probe-1", stop, done)
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("a log line is not JSON: %q", line)
		}
		if rec["request_id"] == "probe-1" {
			found = true
			if rec["route"] != "GET /signin" {
				t.Fatalf("the page's access log line names route %v; want GET /signin", rec["route"])
			}
		}
	}
	if !found {
		t.Fatalf("no access log line with the request's id:\n%s", stderr.String())
	}
}

// TestServeTraceFile: serve --trace-file writes one OpenTelemetry span a
// request, named by its route pattern, in the caller's trace when it sent a
// W3C traceparent; without the flag nothing is traced.
func TestServeTraceFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "spans.json")
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	stdout, done := runUntilServing(t, ctx, "serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--trace-file", file)
	base := servingURL(t, stdout)
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	getThenStop(t, base+"/v1/domains", "traceparent", "00-"+traceID+"-00f067aa0ba902b7-01", stop, done)
	spans, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(spans)))
	for {
		var span struct {
			Name        string
			SpanContext struct{ TraceID string }
		}
		if err := dec.Decode(&span); err != nil {
			t.Fatalf("no span of GET /v1/domains in trace %s:\n%s", traceID, spans)
		}
		if span.Name == "GET /v1/domains" && span.SpanContext.TraceID == traceID {
			return
		}
	}
}

// getThenStop sends one GET with a header to a serving server, then stops
// it and waits for it to exit cleanly.
func getThenStop(t *testing.T, url, header, value string, stop context.CancelFunc, done <-chan error) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set(header, value)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
