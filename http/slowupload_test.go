package http_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// TestSlowUploadHoldsUpNoOne: an ingest reads its whole input before it
// takes any lock, so a reporter that stops mid-body holds up no one's reads
// (each read writes its leaf); the upload completes when the rest arrives.
func TestSlowUploadHoldsUpNoOne(t *testing.T) {
	srv := startServer(t)
	u := srv.URL()
	call(t, "PUT", u+"/v1/domains/acme.lending", "application/yaml", lendingSpec(t))
	grantAll(t)
	if status, body := call(t, "POST", u+"/v1/domains/acme.lending/events", "application/x-ndjson", []byte(lendingEventsOne)); status != 200 {
		t.Fatalf("first ingest: %d %v", status, body)
	}

	pr, pw := io.Pipe()
	req, err := http.NewRequest("POST", u+"/v1/domains/acme.lending/events", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+bearer)
	upload := make(chan int, 1)
	go func() {
		resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
		if err != nil {
			upload <- -1
			return
		}
		resp.Body.Close()
		upload <- resp.StatusCode
	}()
	for i := range 500 {
		fmt.Fprintf(pw, `{"key":"ev%04d","type":"loan_repaid","subject":"person:client-%03d","occurred_at":"2025-01-10","fields":{"amount":%d}}`+"\n", i, i%50, 100+i)
	}
	// The reporter pauses mid-body. Reads (which write their leaves) go on.
	for i := range 5 {
		start := time.Now()
		status, body := call(t, "POST", u+"/v1/domains/acme.lending/scores", "application/json", []byte(`{"subject":"`+alice+`","purpose":"credit_application"}`))
		if status != 200 {
			t.Fatalf("read %d during a paused upload: %d %v", i, status, body)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("read %d waited %v for a paused upload", i, d)
		}
	}
	select {
	case code := <-upload:
		t.Fatalf("the upload ended (%d) before its body did", code)
	default:
	}
	for i := 500; i < 600; i++ {
		fmt.Fprintf(pw, `{"key":"ev%04d","type":"loan_repaid","subject":"person:client-%03d","occurred_at":"2025-01-10","fields":{"amount":%d}}`+"\n", i, i%50, 100+i)
	}
	pw.Close()
	if code := <-upload; code != 200 {
		t.Fatalf("the upload, once complete: %d, want 200", code)
	}
}

const lendingEventsOne = `{"key":"k1","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-01-10","fields":{"amount":12000}}`
