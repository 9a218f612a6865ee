package probity

import (
	"context"
	"time"
)

// Audit actions of consent grants.
const (
	ActionConsentGranted = "consent.granted"
	ActionConsentRevoked = "consent.revoked"
)

// ConsentGrant lets one other domain's readers see a subject's score and
// grade in one domain (never the entries), for a stated purpose, until a
// date (P1: domains are sealed; only the subject opens them, and only so).
type ConsentGrant struct {
	ID        string    `json:"id"`
	Domain    string    `json:"domain"`  // whose score
	Grantee   string    `json:"grantee"` // whose readers may see it
	Purpose   string    `json:"purpose"` // one of the grantee domain's purposes
	Until     time.Time `json:"until"`
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	Subject   Pseudonym `json:"-"`
}

// Live reports whether the grant may be used at t.
func (g *ConsentGrant) Live(t time.Time) bool { return g.RevokedAt.IsZero() && t.Before(g.Until) }

// ConsentRequest grants a consent.
type ConsentRequest struct {
	Domain  string `json:"domain"`
	Grantee string `json:"grantee"`
	Purpose string `json:"purpose"`
	Until   string `json:"until"`
	// Subject is given only at the installation's command line.
	Subject string `json:"-"`
}

// ConsentedScore is what a grantee's reader sees: status, score and grade,
// never the entries.
type ConsentedScore struct {
	Domain  string  `json:"domain"`
	Status  Status  `json:"status"`
	Score   *int    `json:"score"`
	Grade   *string `json:"grade"`
	Consent string  `json:"consent"`
}

// ConsentService lets subjects open one domain's score to another's readers.
type ConsentService interface {
	GrantConsent(ctx context.Context, req ConsentRequest) (*ConsentGrant, error)
	RevokeConsent(ctx context.Context, domain, id, subject string) (*ConsentGrant, error)
	// ConsentedScore is a grantee reader's read of a subject's score in
	// another domain; EFORBIDDEN without a live grant for the reader's
	// domain and purpose.
	ConsentedScore(ctx context.Context, domain, subject, purpose string) (*ConsentedScore, error)
}
