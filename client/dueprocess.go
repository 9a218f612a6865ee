package client

import (
	"context"

	"github.com/probity-dev/probity"
)

// Disputes lists a domain's disputes, all pages (its reviewers and admins).
func (c *Client) Disputes(ctx context.Context, domain string) ([]probity.Dispute, error) {
	return list[probity.Dispute](ctx, c, "/v1/domains/"+esc(domain)+"/disputes", "disputes")
}

// DisputedEntry shows a reviewer the entry a dispute is about: as
// reported, its rule, who reported it and its history. The read is an
// inquiry the subject sees, with the purpose dispute_review.
func (c *Client) DisputedEntry(ctx context.Context, domain, id string) (*probity.DisputedEntry, error) {
	var e probity.DisputedEntry
	_, _, err := c.do(ctx, request{method: "GET", path: "/v1/domains/" + esc(domain) + "/disputes/" + esc(id) + "/entry", out: &e})
	return &e, err
}

// ResolveDispute resolves a dispute as the named reviewer of the token.
func (c *Client) ResolveDispute(ctx context.Context, domain, id string, res probity.Resolution) (*probity.Dispute, error) {
	var d probity.Dispute
	_, _, err := c.do(ctx, request{method: "POST", path: "/v1/domains/" + esc(domain) + "/disputes/" + esc(id) + "/resolve",
		body: jsonBody(res), contentType: "application/json", out: &d})
	return &d, err
}

// Figures returns how a domain is used: subjects by status and grade,
// disputes and looks by purpose, as its registry page shows them (public;
// computed every few minutes; a 503 while the first are computed, which
// the client retries).
func (c *Client) Figures(ctx context.Context, domain string) (*probity.DomainTransparency, error) {
	var f probity.DomainTransparency
	_, _, err := c.do(ctx, request{method: "GET", path: "/v1/domains/" + esc(domain) + "/figures", out: &f})
	return &f, err
}

// DisputeFigures returns a domain's public dispute figures.
func (c *Client) DisputeFigures(ctx context.Context, domain string) (*probity.DisputeFigures, error) {
	var f probity.DisputeFigures
	_, _, err := c.do(ctx, request{method: "GET", path: "/v1/domains/" + esc(domain) + "/disputes/figures", out: &f})
	return &f, err
}

// RecordTerm records a public official's term of office in req.Domain.
func (c *Client) RecordTerm(ctx context.Context, req probity.TermRequest) (*probity.OfficialTerm, error) {
	var t probity.OfficialTerm
	_, _, err := c.do(ctx, request{method: "POST", path: "/v1/domains/" + esc(req.Domain) + "/officials",
		body: jsonBody(req), contentType: "application/json", out: &t, creates: true})
	return &t, err
}

// Terms lists the terms of office recorded in a domain, all pages.
func (c *Client) Terms(ctx context.Context, domain string) ([]probity.OfficialTerm, error) {
	return list[probity.OfficialTerm](ctx, c, "/v1/domains/"+esc(domain)+"/officials", "officials")
}

// IssueOrder issues a court restriction order in req.Domain.
func (c *Client) IssueOrder(ctx context.Context, req probity.OrderRequest) (*probity.CourtOrder, error) {
	var o probity.CourtOrder
	_, _, err := c.do(ctx, request{method: "POST", path: "/v1/domains/" + esc(req.Domain) + "/orders",
		body: jsonBody(req), contentType: "application/json", out: &o, creates: true})
	return &o, err
}

// FulfillOrder records that an order's obligation is met, lifting it.
func (c *Client) FulfillOrder(ctx context.Context, domain, id string) (*probity.CourtOrder, error) {
	var o probity.CourtOrder
	_, _, err := c.do(ctx, request{method: "POST", path: "/v1/domains/" + esc(domain) + "/orders/" + esc(id) + "/fulfilled", out: &o})
	return &o, err
}

// CheckRestriction asks whether a court order restricts a subject.
func (c *Client) CheckRestriction(ctx context.Context, req probity.RestrictionCheck) (*probity.RestrictionAnswer, error) {
	var a probity.RestrictionAnswer
	_, _, err := c.do(ctx, request{method: "POST", path: "/v1/restrictions/check", body: jsonBody(req), contentType: "application/json", out: &a})
	return &a, err
}
