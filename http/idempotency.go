package http

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"github.com/probity-dev/probity"
)

// IdempotencyKeyHeader makes a creating request safe to retry: the same
// key from the same caller to the same route and path, with the same body,
// within probity.IdempotencyWindow, gets the first answer again (with
// Idempotent-Replayed: true) instead of creating a second consent,
// dispute, order or principal. The same key with another body is refused.
const IdempotencyKeyHeader = "Idempotency-Key"

// idempotent wraps a creating route's handler with IdempotencyKeyHeader.
func (s *Server) idempotent(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(IdempotencyKeyHeader)
		svc, ok := s.Access.(probity.IdempotencyService)
		if key == "" || !ok {
			h(w, r)
			return
		}
		if len(key) > 255 || !printable(key) {
			Error(w, r, probity.Errorf(probity.EINVALID, "Idempotency-Key: want 1 to 255 printable characters, e.g. a UUID"))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
		if err != nil {
			Error(w, r, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		request := sha256.Sum256(body)
		scope := sha256.Sum256([]byte(probity.ActorFromContext(r.Context()).ID + "\x00" + r.Pattern + "\x00" + r.URL.Path + "\x00" + key))
		prev, err := svc.ClaimRequest(r.Context(), &probity.IdempotentRequest{Scope: scope[:], Request: request[:]})
		switch {
		case err != nil:
			Error(w, r, err)
			return
		case prev != nil && !bytes.Equal(prev.Request, request[:]):
			Error(w, r, probity.Errorf(probity.ECONFLICT, "Idempotency-Key %s was used with another request to %s; use a new key for a new request", probity.Quote(key), r.URL.Path))
			return
		case prev != nil && prev.Status == 0:
			w.Header().Set("Retry-After", "1")
			Error(w, r, probity.Errorf(probity.ECONFLICT, "a request with Idempotency-Key %s is still running; retry in a moment for its answer", probity.Quote(key)))
			return
		case prev != nil:
			w.Header().Set("Idempotent-Replayed", "true")
			writeEncoded(w, prev.Status, bytes.TrimSuffix(prev.Body, []byte("\n")))
			return
		}
		rec := &capture{ResponseWriter: w, status: http.StatusOK}
		h(rec, r)
		if rec.status >= 500 {
			svc.ReleaseRequest(r.Context(), scope[:])
			return
		}
		if err := svc.FinishRequest(r.Context(), scope[:], rec.status, withheld(rec.body.Bytes())); err != nil {
			s.Logger.Warn("remembering an idempotent answer", "request_id", RequestID(r.Context()), "err", err)
		}
	}
}

// withheld returns an answer to remember without the token it may hold:
// a token is shown once, and stored only as its hash.
func withheld(body []byte) []byte {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil || obj["token"] == nil {
		return body
	}
	delete(obj, "token")
	obj["token_withheld"] = json.RawMessage(strconv.Quote("a token is shown once, when it is issued; this answer is a replay"))
	out, err := json.Marshal(obj)
	if err != nil {
		return body
	}
	return out
}

// capture copies what a handler writes, and passes it on.
type capture struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *capture) WriteHeader(status int) {
	c.status = status
	c.ResponseWriter.WriteHeader(status)
}

func (c *capture) Write(p []byte) (int, error) {
	c.body.Write(p)
	return c.ResponseWriter.Write(p)
}

func printable(s string) bool {
	for _, c := range s {
		if c < ' ' || c > '~' {
			return false
		}
	}
	return s != ""
}
