package client

import (
	"context"
	"time"

	"github.com/probity-dev/probity"
)

// CreatePrincipal creates a principal with grants and returns its token,
// shown this once.
func (c *Client) CreatePrincipal(ctx context.Context, req probity.PrincipalRequest) (*probity.IssuedToken, error) {
	body := map[string]any{"name": req.Name, "grants": req.Grants}
	if req.Government {
		body["government"] = true
	}
	if !req.ExpiresAt.IsZero() {
		body["expires_at"] = req.ExpiresAt.Format(time.RFC3339)
	}
	if req.Issuer != "" {
		body["issuer"], body["external_subject"] = req.Issuer, req.ExternalSubject
	}
	var t probity.IssuedToken
	_, _, err := c.do(ctx, request{method: "POST", path: "/v1/principals", body: jsonBody(body), contentType: "application/json", out: &t, creates: true})
	return &t, err
}

// Principals lists the principals the token may see, all pages.
func (c *Client) Principals(ctx context.Context) ([]probity.Principal, error) {
	return list[probity.Principal](ctx, c, "/v1/principals", "principals")
}

// RevokePrincipal revokes a principal and its tokens.
func (c *Client) RevokePrincipal(ctx context.Context, id string) (*probity.Principal, error) {
	var out struct {
		Principal probity.Principal `json:"principal"`
	}
	_, _, err := c.do(ctx, request{method: "DELETE", path: "/v1/principals/" + esc(id), out: &out})
	return &out.Principal, err
}

// IssueSubjectToken issues a subject's token for their portal and /v1/me.
func (c *Client) IssueSubjectToken(ctx context.Context, req probity.SubjectTokenRequest) (*probity.IssuedToken, error) {
	body := map[string]any{"subject": req.Subject}
	if !req.ExpiresAt.IsZero() {
		body["expires_at"] = req.ExpiresAt.Format(time.RFC3339)
	}
	var t probity.IssuedToken
	_, _, err := c.do(ctx, request{method: "POST", path: "/v1/subject-tokens", body: jsonBody(body), contentType: "application/json", out: &t, creates: true})
	return &t, err
}
