package web

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
)

// TestFailSaysWhatAndWhen checks the error pages' contract with operators:
// a storage failure answers 503 with Retry-After and its message; a visitor
// who left is logged as such, never as an internal error; an internal error
// is logged by the page's route pattern, not its path.
func TestFailSaysWhatAndWhen(t *testing.T) {
	var logs bytes.Buffer
	p := New(nil, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	get := func(ctx context.Context) *http.Request {
		r := httptest.NewRequestWithContext(ctx, "GET", "/portal/entries/acme-lending-0000004-006", nil)
		r.Pattern = "GET /portal/entries/{key}"
		return r
	}
	t.Run("Unavailable", func(t *testing.T) {
		logs.Reset()
		w := httptest.NewRecorder()
		p.fail(w, get(context.Background()), probity.Errorf(probity.EUNAVAILABLE, "storage is full: the database cannot grow"))
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "storage is full") {
			t.Fatalf("%d, Retry-After %q, body %q; want 503 with Retry-After saying storage is full", w.Code, w.Header().Get("Retry-After"), w.Body.String())
		}
	})
	t.Run("ClientGone", func(t *testing.T) {
		logs.Reset()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		p.fail(httptest.NewRecorder(), get(ctx), context.Canceled)
		if out := logs.String(); !strings.Contains(out, "client went away") || strings.Contains(out, "internal error") {
			t.Fatalf("a visitor who left is logged as:\n%s\nwant client went away, not an internal error", out)
		}
	})
	t.Run("AbandonedAtShutdown", func(t *testing.T) {
		logs.Reset()
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(probity.ErrStopping)
		w := httptest.NewRecorder()
		p.fail(w, get(ctx), context.Canceled)
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "try again") {
			t.Fatalf("a page the stopping server abandoned: %d, Retry-After %q; want 503 with Retry-After saying to try again", w.Code, w.Header().Get("Retry-After"))
		}
	})
	t.Run("InternalLogsThePattern", func(t *testing.T) {
		logs.Reset()
		p.fail(httptest.NewRecorder(), get(context.Background()), probity.Errorf(probity.EINTERNAL, "boom"))
		if out := logs.String(); !strings.Contains(out, "internal error") || strings.Contains(out, "acme-lending-0000004-006") {
			t.Fatalf("an internal error is logged as:\n%s\nwant it logged by route pattern, without the path", out)
		}
	})
}
