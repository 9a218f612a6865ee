// Package openapitest holds the HTTP tests to the API's OpenAPI document:
// a transport that checks every request a test sends and every answer it
// gets against the document, and the list of routes the document declares,
// so that a test fails when the server and the document disagree.
package openapitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	phttp "github.com/probity-dev/probity/http"
)

// GoPatternKey is the extension of a path item whose Go ServeMux pattern
// is not its OpenAPI path with the method before it: a last parameter that
// takes the rest of the path, slashes included ("/logs/{log}/tile/{path...}"),
// which OpenAPI cannot say.
const GoPatternKey = "x-go-pattern"

// Contract is the API's document, loaded and validated, with what the
// transport found wrong.
type Contract struct {
	doc    *openapi3.T
	routes map[string]*routers.Route // by Go pattern
	mux    *http.ServeMux

	mu      sync.Mutex
	faults  []string
	checked int
}

func init() {
	// Events arrive as NDJSON (and CSV, and JSON arrays, told apart by the
	// body); the document describes them as text.
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", openapi3filter.PlainBodyDecoder)
	// a status list is a compact JWT
	openapi3filter.RegisterBodyDecoder("application/statuslist+jwt", openapi3filter.PlainBodyDecoder)
}

// Load reads the document the server embeds and serves, and checks that it
// is a valid OpenAPI 3.1 document.
func Load() (*Contract, error) {
	ctx := context.Background()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(phttp.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		return nil, fmt.Errorf("openapi.yaml: version %s, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("openapi.yaml is not a valid document: %w", err)
	}
	c := &Contract{doc: doc, routes: map[string]*routers.Route{}, mux: http.NewServeMux()}
	for path, item := range doc.Paths.Map() {
		goPath := path
		if p, ok := item.Extensions[GoPatternKey].(string); ok {
			goPath = p
		}
		for method, op := range item.Operations() {
			pattern := method + " " + goPath
			route := &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}
			c.routes[pattern] = route
			c.mux.HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
		}
	}
	return c, nil
}

// Routes returns the Go ServeMux patterns of every operation the document
// declares ("POST /v1/domains/{id}/events"), sorted.
func (c *Contract) Routes() []string {
	out := make([]string, 0, len(c.routes))
	for p := range c.routes {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Transport wraps base so that every request through it, and its answer,
// is checked against the document; Faults says what did not hold.
func (c *Contract) Transport(base http.RoundTripper) http.RoundTripper {
	return &transport{c: c, base: base}
}

// Faults returns what the transport found wrong so far, and how many
// exchanges it checked.
func (c *Contract) Faults() ([]string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.faults...), c.checked
}

func (c *Contract) fault(req *http.Request, format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults = append(c.faults, fmt.Sprintf("%s %s: ", req.Method, req.URL.RequestURI())+fmt.Sprintf(format, args...))
}

type transport struct {
	c    *Contract
	base http.RoundTripper
}

// RoundTrip sends req and checks the exchange: a request the document does
// not admit must be refused with a 4xx, and every answer must be one the
// document describes for its route and status, body included.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	route, params := t.c.route(req)
	var reqBody []byte
	bodyKnown := req.Body == nil || req.Body == http.NoBody
	if !bodyKnown && req.GetBody != nil {
		if rc, err := req.GetBody(); err == nil {
			reqBody, _ = io.ReadAll(rc)
			rc.Close()
			bodyKnown = true
		}
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil || route == nil && !strings.HasPrefix(req.URL.Path, "/v1/") {
		return resp, err // not the API's (a page), or no answer
	}
	respBody, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if rerr != nil {
		return resp, nil // the test sees the same cut answer
	}
	t.c.check(req, route, params, reqBody, bodyKnown, resp, respBody)
	return resp, nil
}

// route finds the document's operation that serves req, and its path
// parameters, the way the server's ServeMux would.
func (c *Contract) route(req *http.Request) (*routers.Route, map[string]string) {
	probe, _ := http.NewRequest(req.Method, req.URL.String(), nil)
	_, pattern := c.mux.Handler(probe)
	route := c.routes[pattern]
	if route == nil {
		return nil, nil
	}
	params := map[string]string{}
	for _, p := range route.PathItem.Parameters {
		if p.Value != nil && p.Value.In == "path" {
			params[p.Value.Name] = ""
		}
	}
	for _, p := range route.Operation.Parameters {
		if p.Value != nil && p.Value.In == "path" {
			params[p.Value.Name] = ""
		}
	}
	// the mux fills path values only while it serves
	m := http.NewServeMux()
	m.HandleFunc(pattern, func(_ http.ResponseWriter, r *http.Request) {
		for name := range params {
			params[name] = r.PathValue(name)
		}
	})
	m.ServeHTTP(discard{}, probe)
	return route, params
}

func (c *Contract) check(req *http.Request, route *routers.Route, params map[string]string, reqBody []byte, bodyKnown bool, resp *http.Response, respBody []byte) {
	c.mu.Lock()
	c.checked++
	c.mu.Unlock()
	if resp.StatusCode == http.StatusBadRequest && resp.Header.Get("X-Request-Id") == "" {
		return // net/http's own refusal of what is not HTTP it takes, before any handler
	}
	if route == nil {
		// a path the document does not have: the server must refuse it
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			c.fault(req, "no route in the document, yet the server answered %d", resp.StatusCode)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			c.fault(req, "answered %d as %q, want application/problem+json", resp.StatusCode, ct)
		}
		return
	}
	ctx := context.Background()
	clone := req.Clone(ctx)
	clone.Body = io.NopCloser(bytes.NewReader(reqBody))
	u, _ := url.Parse(req.URL.String())
	clone.URL = u
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, ExcludeRequestBody: !bodyKnown}
	in := &openapi3filter.RequestValidationInput{Request: clone, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil && (resp.StatusCode < 400 || resp.StatusCode >= 500) {
		c.fault(req, "the document does not admit this request (%v), yet the server answered %d", short(err), resp.StatusCode)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(respBody)), Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	if resp.StatusCode == http.StatusNotModified {
		return
	}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		c.fault(req, "answer %d does not match the document: %v", resp.StatusCode, short(err))
	}
}

// short cuts a validation error to its first lines: kin-openapi appends
// the whole schema.
func short(err error) string {
	s := err.Error()
	if i := strings.Index(s, "\nSchema:"); i > 0 {
		s = s[:i]
	}
	if len(s) > 600 {
		s = s[:600] + "..."
	}
	return strings.ReplaceAll(s, "\n", " ")
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}
