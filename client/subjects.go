package client

import (
	"context"
	"net/url"
	"strconv"

	"github.com/probity-dev/probity"
)

// The calls of this file act for the subject of the client's token (a
// subject token, or a portal session's): their own record, nobody else's.

// Report returns everything every domain holds about the subject, page
// (from 1; 0 for the first) of each long list.
func (c *Client) Report(ctx context.Context, page int) (*probity.Report, error) {
	return c.report(ctx, "/v1/me/report", page)
}

// Export returns the subject's complete record, as the download of the
// portal, page by page where a domain's record is long.
func (c *Client) Export(ctx context.Context, page int) (*probity.Report, error) {
	return c.report(ctx, "/v1/me/export", page)
}

func (c *Client) report(ctx context.Context, path string, page int) (*probity.Report, error) {
	var q url.Values
	if page > 0 {
		q = url.Values{"page": {strconv.Itoa(page)}}
	}
	var r probity.Report
	_, _, err := c.do(ctx, request{method: "GET", path: path, query: q, out: &r})
	return &r, err
}

// Notices lists what concerns the subject ahead, all pages.
func (c *Client) Notices(ctx context.Context) ([]probity.Notice, error) {
	return list[probity.Notice](ctx, c, "/v1/me/notices", "notices")
}

// OptOut opts the subject out of a domain that allows it.
func (c *Client) OptOut(ctx context.Context, domain string) (*probity.OptOutState, error) {
	var st probity.OptOutState
	_, _, err := c.do(ctx, request{method: "POST", path: "/v1/me/opt-outs", body: jsonBody(map[string]string{"domain": domain}),
		contentType: "application/json", out: &st, creates: true})
	return &st, err
}

// OptIn takes the subject back into a domain they opted out of.
func (c *Client) OptIn(ctx context.Context, domain string) (*probity.OptOutState, error) {
	var st probity.OptOutState
	_, _, err := c.do(ctx, request{method: "DELETE", path: "/v1/me/opt-outs/" + esc(domain), out: &st})
	return &st, err
}

// Erase erases everything a consent-based domain holds about the subject
// and returns how many entries went.
func (c *Client) Erase(ctx context.Context, domain string) (int, error) {
	var out struct {
		Erased int `json:"erased_entries"`
	}
	_, _, err := c.do(ctx, request{method: "DELETE", path: "/v1/me/records/" + esc(domain), out: &out})
	return out.Erased, err
}

// FileDispute disputes one of the subject's entries.
func (c *Client) FileDispute(ctx context.Context, req probity.DisputeRequest) (*probity.Dispute, error) {
	var d probity.Dispute
	_, _, err := c.do(ctx, request{method: "POST", path: "/v1/me/disputes", body: jsonBody(req), contentType: "application/json", out: &d, creates: true})
	return &d, err
}

// GrantConsent lets another domain's readers see the subject's score in
// req.Domain, for a purpose, until a date.
func (c *Client) GrantConsent(ctx context.Context, req probity.ConsentRequest) (*probity.ConsentGrant, error) {
	var g probity.ConsentGrant
	_, _, err := c.do(ctx, request{method: "POST", path: "/v1/me/consents", body: jsonBody(req), contentType: "application/json", out: &g, creates: true})
	return &g, err
}

// RevokeConsent revokes a consent grant of the subject's.
func (c *Client) RevokeConsent(ctx context.Context, domain, id string) (*probity.ConsentGrant, error) {
	var g probity.ConsentGrant
	_, _, err := c.do(ctx, request{method: "DELETE", path: "/v1/me/consents/" + esc(domain) + "/" + esc(id), out: &g})
	return &g, err
}

// IssueStatement asks for a statement of the subject's standing in a
// domain, bound to req.HolderKey: an SD-JWT VC with every disclosure.
func (c *Client) IssueStatement(ctx context.Context, req probity.StatementRequest) (*probity.IssuedStatement, error) {
	var st probity.IssuedStatement
	_, _, err := c.do(ctx, request{method: "POST", path: "/v1/me/statements", body: jsonBody(req), contentType: "application/json", out: &st, creates: true})
	return &st, err
}

// RevokeStatement revokes one of the subject's statements.
func (c *Client) RevokeStatement(ctx context.Context, domain, id string) error {
	_, _, err := c.do(ctx, request{method: "DELETE", path: "/v1/me/statements/" + esc(domain) + "/" + esc(id)})
	return err
}
