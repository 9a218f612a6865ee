package client

import (
	"context"
	"encoding/json"
	"net/url"
	"time"

	"github.com/probity-dev/probity"
)

// Health is GET /healthz: the server's status ("ok" or "degraded"), its
// version and, with witnesses, their state.
func (c *Client) Health(ctx context.Context) (map[string]any, error) {
	var out map[string]any
	_, _, err := c.do(ctx, request{method: "GET", path: "/healthz", out: &out})
	return out, err
}

// Readiness is GET /readyz: whether the server should be sent traffic,
// and each check's result. A server that is not ready answers an *Error
// with status 503; its checks are then in the answer's body, read with
// ReadinessChecks.
func (c *Client) Readiness(ctx context.Context) (ready bool, checks map[string]string, err error) {
	var out struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	_, body, err := c.do(ctx, request{method: "GET", path: "/readyz", out: &out})
	if e, ok := err.(*Error); ok && e.Status == 503 {
		json.Unmarshal(body, &out)
		return false, out.Checks, nil
	}
	return err == nil && out.Status == "ready", out.Checks, err
}

// OpenAPI is GET /v1/openapi.json: the API's document.
func (c *Client) OpenAPI(ctx context.Context) ([]byte, error) {
	_, body, err := c.do(ctx, request{method: "GET", path: "/v1/openapi.json"})
	return body, err
}

// Domains lists every domain, all pages.
func (c *Client) Domains(ctx context.Context) ([]probity.DomainSummary, error) {
	return list[probity.DomainSummary](ctx, c, "/v1/domains", "domains")
}

// Domain returns a domain's spec in effect, with its versions.
func (c *Client) Domain(ctx context.Context, id string) (*probity.Domain, error) {
	var d probity.Domain
	_, _, err := c.do(ctx, request{method: "GET", path: "/v1/domains/" + esc(id), out: &d})
	return &d, err
}

// ApplySpec applies a spec, YAML or JSON, to domain id: a new version that
// takes effect after the domain's notice period, or nothing if unchanged.
func (c *Client) ApplySpec(ctx context.Context, id string, spec []byte) (*probity.ApplyResult, error) {
	var res probity.ApplyResult
	_, _, err := c.do(ctx, request{method: "PUT", path: "/v1/domains/" + esc(id), body: spec, contentType: "application/yaml", out: &res})
	return &res, err
}

// Ingest reports events to a domain: NDJSON, a JSON array or CSV. The file
// applies whole or not at all, unless skipInvalid, which applies the valid
// lines and lists the others in the summary. A refused file's summary is in
// the *Error.
func (c *Client) Ingest(ctx context.Context, domain string, events []byte, contentType string, skipInvalid bool) (*probity.IngestSummary, error) {
	var sum probity.IngestSummary
	if contentType == "" {
		contentType = "application/x-ndjson"
	}
	var q url.Values
	if skipInvalid {
		q = url.Values{"skip_invalid": {"true"}}
	}
	// events are idempotent by key: sending a file again applies nothing twice
	_, _, err := c.do(ctx, request{method: "POST", path: "/v1/domains/" + esc(domain) + "/events", query: q, body: events,
		contentType: contentType, out: &sum, repeatable: true})
	return &sum, err
}

// Retract withdraws an entry reported in error.
func (c *Client) Retract(ctx context.Context, domain, key, reason string) error {
	_, _, err := c.do(ctx, request{method: "POST", path: "/v1/domains/" + esc(domain) + "/retractions",
		body: jsonBody(map[string]string{"key": key, "reason": reason}), contentType: "application/json", creates: true})
	return err
}

// Correct rectifies entry key with a correcting event (an event object as
// reported), and returns the correction's key.
func (c *Client) Correct(ctx context.Context, domain, key, reason string, event json.RawMessage) (string, error) {
	var out struct {
		Correction string `json:"correction"`
	}
	_, _, err := c.do(ctx, request{method: "POST", path: "/v1/domains/" + esc(domain) + "/corrections",
		body: jsonBody(map[string]any{"key": key, "reason": reason, "event": event}), contentType: "application/json", out: &out, creates: true})
	return out.Correction, err
}

// Score reads a subject's score with its full explanation; the read is
// logged as an inquiry with req.Purpose.
func (c *Client) Score(ctx context.Context, req probity.ScoreRequest) (*probity.Score, error) {
	var s probity.Score
	if !req.AsOf.IsZero() && req.AsOfText == "" {
		req.AsOfText = req.AsOf.Format(time.RFC3339)
	}
	_, _, err := c.do(ctx, request{method: "POST", path: "/v1/domains/" + esc(req.Domain) + "/scores", body: jsonBody(req), contentType: "application/json", out: &s})
	return &s, err
}

// Decide asks whether a subject gets a benefit of the domain.
func (c *Client) Decide(ctx context.Context, req probity.DecisionRequest) (*probity.Decision, error) {
	var d probity.Decision
	_, _, err := c.do(ctx, request{method: "POST", path: "/v1/domains/" + esc(req.Domain) + "/decisions", body: jsonBody(req), contentType: "application/json", out: &d})
	return &d, err
}

// ConsentedScore reads another domain's score of a subject under the
// consent the subject granted to the caller's domain for purpose.
func (c *Client) ConsentedScore(ctx context.Context, domain, subject, purpose string) (*probity.ConsentedScore, error) {
	var s probity.ConsentedScore
	_, _, err := c.do(ctx, request{method: "POST", path: "/v1/domains/" + esc(domain) + "/consented-scores",
		body: jsonBody(map[string]string{"subject": subject, "purpose": purpose}), contentType: "application/json", out: &s})
	return &s, err
}
