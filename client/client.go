// Package client is a Go client of Probity's JSON API, written against its
// OpenAPI document (http/openapi.yaml, served at GET /v1/openapi.json).
// The command line's remote commands and the end-to-end tests use it, and
// those tests check every request it sends and every answer it reads
// against the document, so that client, server and document stay one.
//
// Errors the server answers come back as *Error, which wraps a
// *probity.Error: probity.ErrorCode(err) says "invalid", "forbidden", ...
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/probity-dev/probity"
)

// Client calls one Probity server. Its zero value is not usable: set URL.
type Client struct {
	// URL is the server's base URL, such as "https://probity.example.org".
	URL string
	// Token is the bearer token sent with every request ("" for none): a
	// Probity token or an identity provider's access token.
	Token string
	// HTTP sends the requests; nil is http.DefaultClient.
	HTTP *http.Client
	// Retries is how many times a request answered 429 or 503 is sent
	// again, after the Retry-After the server gave (at most MaxRetryWait).
	// Only requests that cannot apply twice are retried: reads, PUT and
	// DELETE, and creating POSTs, which carry an Idempotency-Key.
	Retries int
	// MaxRetryWait caps a Retry-After; 0 is 30 seconds.
	MaxRetryWait time.Duration
	// UserAgent names the caller in the server's logs ("" for the default).
	UserAgent string
}

// New returns a client of the server at baseURL that sends token, and
// retries a busy or unavailable server's answers up to 3 times.
func New(baseURL, token string) *Client {
	return &Client{URL: strings.TrimRight(baseURL, "/"), Token: token, Retries: 3}
}

// MaxAnswer is the most of an answer the client reads: more than any
// answer of the API (a page of a list, a full tile, an export page).
const MaxAnswer = 64 << 20

// Error is an error answer of the server: an RFC 9457 problem with
// Probity's code, the request's id and, for a refused input, every fault.
type Error struct {
	Status    int
	Code      string
	Message   string
	RequestID string
	// Faults lists every fault of a refused input, with its field path or
	// line where the server named one.
	Faults []Fault
	// Summary is an ingest's summary (what was rejected, on which line)
	// when a file was refused whole.
	Summary *probity.IngestSummary
	// RetryAfter is the server's Retry-After, with 429 and 503.
	RetryAfter time.Duration
}

// Fault is one fault of a refused input.
type Fault struct {
	Field   string `json:"field,omitempty"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// Error says the status, code and message, and the request id to quote to
// the server's operator.
func (e *Error) Error() string {
	s := fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
	if e.RequestID != "" {
		s += " (request " + e.RequestID + ")"
	}
	return s
}

// Unwrap returns the error as a *probity.Error, so that
// probity.ErrorCode and probity.ErrorMessage read it.
func (e *Error) Unwrap() error { return &probity.Error{Code: e.Code, Message: e.Message} }

// request is one call: what to send and where to decode the answer.
type request struct {
	method, path string
	query        url.Values
	body         []byte
	contentType  string
	header       http.Header
	// creates marks a POST that creates something: it carries a fresh
	// Idempotency-Key, the same on every retry, so it applies at most once.
	creates bool
	// repeatable marks a POST that applies at most once however often it
	// is sent (events are idempotent by key), so it may be retried.
	repeatable bool
	out        any // decoded from a JSON answer; nil to ignore the body
}

// do sends r, retrying as Retries allows, and decodes the answer.
func (c *Client) do(ctx context.Context, r request) (*http.Response, []byte, error) {
	if r.creates {
		if r.header == nil {
			r.header = http.Header{}
		}
		if r.header.Get("Idempotency-Key") == "" {
			r.header.Set("Idempotency-Key", newKey())
		}
	}
	for attempt := 0; ; attempt++ {
		resp, body, err := c.send(ctx, r)
		if err != nil {
			return nil, nil, err
		}
		if resp.StatusCode < 400 {
			if r.out != nil {
				if err := json.Unmarshal(body, r.out); err != nil {
					return resp, body, fmt.Errorf("%s %s: answer is not the JSON expected: %v", r.method, r.path, err)
				}
			}
			return resp, body, nil
		}
		apiErr := decodeError(resp, body)
		if attempt >= c.Retries || !retriable(r, resp.StatusCode) {
			return resp, body, apiErr
		}
		wait := min(max(apiErr.RetryAfter, time.Second), c.maxWait())
		select {
		case <-ctx.Done():
			return resp, body, apiErr
		case <-time.After(wait):
		}
	}
}

func (c *Client) maxWait() time.Duration {
	if c.MaxRetryWait > 0 {
		return c.MaxRetryWait
	}
	return 30 * time.Second
}

// retriable says whether r, answered status, may be sent again.
func retriable(r request, status int) bool {
	if status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable {
		return false
	}
	return r.method != http.MethodPost || r.repeatable || r.header.Get("Idempotency-Key") != ""
}

func (c *Client) send(ctx context.Context, r request) (*http.Response, []byte, error) {
	u := c.URL + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer))
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: reading the answer: %w", r.method, r.path, err)
	}
	return resp, raw, nil
}

// decodeError reads an error answer: a problem, or whatever a proxy in
// between answered.
func decodeError(resp *http.Response, body []byte) *Error {
	var p struct {
		Detail    string                 `json:"detail"`
		Code      string                 `json:"code"`
		RequestID string                 `json:"request_id"`
		Errors    []Fault                `json:"errors"`
		Summary   *probity.IngestSummary `json:"summary"`
	}
	e := &Error{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id")}
	if json.Unmarshal(body, &p) == nil && p.Code != "" {
		e.Code, e.Message, e.Faults, e.Summary = p.Code, p.Detail, p.Errors, p.Summary
		if p.RequestID != "" {
			e.RequestID = p.RequestID
		}
	} else {
		e.Code, e.Message = codeOf(resp.StatusCode), strings.TrimSpace(string(body))
		if len(e.Message) > 200 {
			e.Message = strings.ToValidUTF8(e.Message[:200], "") + "..."
		}
		if e.Message == "" {
			e.Message = http.StatusText(resp.StatusCode)
		}
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	return e
}

// codeOf is the code of an answer that is not a problem (from a proxy).
func codeOf(status int) string {
	switch {
	case status == http.StatusNotFound:
		return probity.ENOTFOUND
	case status == http.StatusUnauthorized:
		return probity.EUNAUTHORIZED
	case status == http.StatusForbidden:
		return probity.EFORBIDDEN
	case status == http.StatusServiceUnavailable, status == http.StatusBadGateway, status == http.StatusGatewayTimeout:
		return probity.EUNAVAILABLE
	case status < 500:
		return probity.EINVALID
	}
	return probity.EINTERNAL
}

// newKey returns a fresh Idempotency-Key.
func newKey() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// jsonBody encodes v as a request body.
func jsonBody(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("client: encoding a request: %v", err)) // only this package's own types are encoded
	}
	return b
}

// list reads every page of a paged list (?limit, ?cursor, next_cursor)
// whose items are under name.
func list[T any](ctx context.Context, c *Client, path, name string) ([]T, error) {
	var all []T
	cursor := ""
	for {
		q := url.Values{"limit": {"1000"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page map[string]json.RawMessage
		if _, _, err := c.do(ctx, request{method: "GET", path: path, query: q, out: &page}); err != nil {
			return all, err
		}
		var items []T
		if err := json.Unmarshal(page[name], &items); err != nil {
			return all, fmt.Errorf("GET %s: %q is not the list expected: %v", path, name, err)
		}
		all = append(all, items...)
		next := ""
		if raw, ok := page["next_cursor"]; ok {
			json.Unmarshal(raw, &next)
		}
		if next == "" {
			return all, nil
		}
		cursor = next
	}
}

// esc escapes one path segment.
func esc(s string) string { return url.PathEscape(s) }
