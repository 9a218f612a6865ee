package http_test

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/storetest"
)

// stallingStore holds every write transaction, once armed, until its
// context ends or the test releases it: a request that reaches it stays
// in flight for as long as the test wants.
type stallingStore struct {
	probity.Store
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (s *stallingStore) Update(ctx context.Context, fn func(tx probity.Tx) error) error {
	if s.armed.Load() {
		select {
		case s.entered <- struct{}{}:
		default:
		}
		select {
		case <-ctx.Done():
		case <-s.release:
		}
	}
	return s.Store.Update(ctx, fn)
}

// TestClientGoneIsNotAnError: a client that leaves while its request is in
// flight (here a score read waiting for its leaf to be stored) is logged at
// INFO as "client went away" with status 499 in the access log, never as a
// 500 "internal error".
func TestClientGoneIsNotAnError(t *testing.T) {
	var logs lockedBuffer
	captureProcessLogs(t, &logs)
	dir := t.TempDir()
	db, err := storetest.OpenDir(t, context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	st := &stallingStore{Store: db, entered: make(chan struct{}, 1), release: make(chan struct{})}
	defer close(st.release)
	s := startServerOn(t, dir, st, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if a := s.postEvents(t, "paid", 3); a.status != http.StatusOK {
		t.Fatalf("POST events = %+v", a)
	}

	st.armed.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "POST", s.url+"/v1/domains/acme.lending/scores",
		strings.NewReader(`{"subject":"person:holder-of-paid-0","purpose":"credit_application"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+bearer)
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-st.entered // the read is in flight, waiting on the store
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the client's request succeeded although it was canceled")
	}

	access := regexp.MustCompile(`msg=request request_id=\w+ route="POST /v1/domains/\{id\}/scores" status=(\d+).*`)
	deadline := time.Now().Add(10 * time.Second)
	for access.FindString(logs.String()) == "" {
		if time.Now().After(deadline) {
			t.Fatalf("no access log line for the canceled read:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	line := access.FindStringSubmatch(logs.String())
	if got, want := line[1], "499"; got != want {
		t.Errorf("access log status = %s, want %s: %s", got, want, line[0])
	}
	if !strings.Contains(line[0], `client="went away"`) {
		t.Errorf("the access log line does not say the client went away: %s", line[0])
	}
	if !regexp.MustCompile(`level=INFO msg="client went away" request_id=\w+ route="POST /v1/domains/\{id\}/scores"`).MatchString(logs.String()) {
		t.Errorf(`no INFO "client went away" for the route:\n%s`, logs.String())
	}
	if strings.Contains(logs.String(), "internal error") || strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("a client that left was logged as an error:\n%s", logs.String())
	}
}
