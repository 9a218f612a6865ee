package http

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

// RequestIDHeader carries a request's id: taken from the caller (a proxy's
// or a client's) when it is a plain token of at most 64 characters, minted
// otherwise; echoed in the answer, in its access log line and in an error's
// body, so that a caller's report and the server's log meet.
const RequestIDHeader = "X-Request-Id"

type requestIDKey struct{}

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// withRequestID returns r carrying its id, and sets the answer's header.
func withRequestID(w http.ResponseWriter, r *http.Request) *http.Request {
	id := r.Header.Get(RequestIDHeader)
	if !plainID(id) {
		b := make([]byte, 16)
		rand.Read(b)
		id = hex.EncodeToString(b)
	}
	w.Header().Set(RequestIDHeader, id)
	return r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
}

// plainID reports whether a caller's id may be logged as it is: 1 to 64
// letters, digits, dots and hyphens (a UUID, a hex id). Nothing else: not
// a character that could forge a log line, and neither ':' nor '_', so
// that no identifier (scheme:value) and no token (prb_...) a careless
// caller put there reaches the log.
func plainID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-':
		default:
			return false
		}
	}
	return true
}
