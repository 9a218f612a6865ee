package http_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/bureau"
	phttp "github.com/probity-dev/probity/http"
)

// TestRefusalFloodOverHTTP checks that a flood of 10,000 requests with bad
// tokens from one address costs a few leaves, not one each: every refusal
// is counted (in one leaf per source and minute), the address is answered
// 429 past its share, and a reader with a good token from the same address
// is served all along.
func TestRefusalFloodOverHTTP(t *testing.T) {
	srv, _ := startServerWith(t, nil, phttp.DefaultRate)
	applyDomains(t)
	ingest(t, "acme.lending", lendingEvents)
	reader := issue(t, "credit desk", false, probity.Grant{Role: probity.RoleReader, Domain: "acme.lending"})
	u := srv.URL()
	before, _ := logSize(t, u)

	const flood, workers = 10000, 8
	var next, unauthorized, limited, other atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			client := &http.Client{}
			for next.Add(1) <= flood {
				req, _ := http.NewRequest("GET", u+"/v1/principals", nil)
				req.Header.Set("Authorization", "Bearer prb_0123456789abcdef_notasecret")
				resp, err := client.Do(req)
				if err != nil {
					other.Add(1)
					continue
				}
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusUnauthorized:
					unauthorized.Add(1)
				case http.StatusTooManyRequests:
					limited.Add(1)
				default:
					other.Add(1)
				}
			}
		})
	}
	// the reader keeps reading during the flood, from the same address
	readerRefused := 0
	for range 20 {
		status, body := send(t, "Bearer "+reader, "POST", u+"/v1/domains/acme.lending/scores", "application/json",
			`{"subject":"`+alice+`","purpose":"credit_application"}`)
		if status != 200 {
			readerRefused++
			t.Logf("reader during the flood: %d %v", status, body)
		}
	}
	wg.Wait()
	if readerRefused > 0 {
		t.Errorf("%d of 20 reads with a good token were refused during the flood; want none", readerRefused)
	}
	if other.Load() != 0 || unauthorized.Load()+limited.Load() != flood {
		t.Fatalf("flood answers: %d 401, %d 429, %d other; want only 401 and 429", unauthorized.Load(), limited.Load(), other.Load())
	}
	if limited.Load() == 0 {
		t.Errorf("no 429 in %d refused tokens from one address; want the address limited past its share", flood)
	}
	after, _ := logSize(t, u)
	// the reader's 20 reads are leaves too, in the domain's log
	if grown := after - before - 20; grown > 4 {
		t.Fatalf("%d refused tokens added %d leaves; want at most two a minute", flood, grown)
	}
	if _, err := svc.FlushRefusals(local(), true); err != nil {
		t.Fatal(err)
	}
	counted := 0
	err := store.View(context.Background(), func(tx probity.ReadTx) error {
		return tx.LogLeaves(probity.InstallationLog, 0, 100000, func(e *probity.AuditEntry) error {
			if e.Action != probity.ActionAccessDenied || e.Actor != "anonymous@127.0.0.1" {
				return nil
			}
			if n, ok := bureau.RefusalCount(e.Ref); ok {
				counted += n
			} else {
				counted++
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if counted != flood {
		t.Fatalf("the log accounts for %d refusals from the address, want all %d", counted, flood)
	}
}
