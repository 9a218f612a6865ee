package http

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/probity-dev/probity"
)

// StatusClientClosedRequest is the status the access log records for a
// request whose client left before it was answered (nginx's 499): no
// response reaches anyone, and nothing failed on the server's side, so it is
// neither a 5xx nor logged as an error.
const StatusClientClosedRequest = 499

// statusRecorder remembers the status written, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	actor  string
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// withAccessLog logs the route, status, duration and actor of each request.
// It logs the route's pattern, never the path itself, a query string, a
// header value or a body: a caller may have put an identifier or a token in
// any of them. A request whose client left before the handler was done says
// so ("client", "went away").
func (s *Server) withAccessLog(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		r = withRequestID(w, r)
		r, endSpan := s.traceRequest(r)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		_, route := mux.Handler(r)
		if route == "/" && s.PagePattern != nil {
			route = s.PagePattern(r) // the page's own pattern, not the pages' mount
		}
		took := time.Since(start)
		if s.Metrics != nil {
			s.Metrics.ObserveRequest(route, rec.status, took)
		}
		endSpan(route, rec.status, took)
		attrs := []any{"request_id", RequestID(r.Context()), "route", route, "status", rec.status,
			"duration", fmt.Sprint(took.Round(time.Microsecond)), "actor", rec.actor}
		if stopping(r) {
			attrs = append(attrs, "server", "stopping")
		} else if errors.Is(r.Context().Err(), context.Canceled) {
			attrs = append(attrs, "client", "went away")
		}
		s.Logger.Info("request", attrs...)
	})
}

// clientGone reports whether the request's client left (its context was
// canceled: the connection closed or the stream was reset) before err was
// answered. Whatever err is then, it is the consequence of the client's
// leaving, not a fault of the server: it is logged at INFO as "client went
// away" and the status recorded is StatusClientClosedRequest, never a 500
// "internal error".
func clientGone(w http.ResponseWriter, r *http.Request, err error) bool {
	if !errors.Is(r.Context().Err(), context.Canceled) {
		return false
	}
	if stopping(r) {
		return false // its client is still there, and is told (abandoned)
	}
	slog.Default().Info("client went away", "request_id", RequestID(r.Context()), "route", r.Pattern, "err", err)
	w.WriteHeader(StatusClientClosedRequest)
	return true
}

// stopping reports whether the server abandoned the request at the end of
// its grace period (see Server.Close).
func stopping(r *http.Request) bool { return errors.Is(context.Cause(r.Context()), ErrStopping) }

// abandoned is what a request the stopping server abandoned is told.
var abandoned = probity.Errorf(probity.EUNAVAILABLE, "the server is stopping and abandoned this request before it was done: nothing of it was applied; send it again")
