package http_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkScoreOverHTTP reads scores with their explanation through the
// real server, one keep-alive client, rotating over subjects of ten events
// each: the per-request cost of the score read path, in the process's CPU
// time (server and client) per request, and in allocations, the figure
// that does not move with the machine's load.
func BenchmarkScoreOverHTTP(b *testing.B) {
	srv, _ := startServerWith(b, nil, 0) // no rate limit
	if _, err := svc.ApplySpec(local(), "acme.lending", lendingSpec(b)); err != nil {
		b.Fatal(err)
	}
	const subjects = 200
	var events strings.Builder
	for s := range subjects {
		for e := range 10 {
			typ, fields := "loan_repaid", fmt.Sprintf(`{"amount":%d}`, 100+s*10+e)
			if e%4 == 3 {
				typ, fields = "payment_late", fmt.Sprintf(`{"days_late":%d}`, 10+e*7)
			}
			fmt.Fprintf(&events, `{"key":"s%d-%d","type":"%s","subject":"person:bench-%04d","occurred_at":"2025-%02d-10","fields":%s}`+"\n",
				s, e, typ, s, e+1, fields)
		}
	}
	ingest(b, "acme.lending", events.String())
	grantAll(b)
	// a transport of its own: the tests' default one checks every answer
	// against the OpenAPI document, which would be measured with the server
	client := &http.Client{Transport: &http.Transport{}}
	i := 0
	var before syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &before); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		body := fmt.Sprintf(`{"subject":"person:bench-%04d","purpose":"credit_application"}`, i%subjects)
		i++
		req, err := http.NewRequest("POST", srv.URL()+"/v1/domains/acme.lending/scores", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+bearer)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("score: status %d", resp.StatusCode)
		}
	}
	var after syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &after); err != nil {
		b.Fatal(err)
	}
	cpu := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
}
