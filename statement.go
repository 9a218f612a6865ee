package probity

import (
	"context"
	"time"
)

// Audit actions of statements.
const (
	ActionStatementIssued  = "statement.issued"
	ActionStatementRevoked = "statement.revoked"
)

// StatementClaims are the claims a statement of standing may hold, each
// selectively disclosable: the holder reveals any subset of them.
var StatementClaims = []string{"domain", "spec_version", "status", "grade", "score", "as_of", "subject"}

// DefaultStatementValidity is how long a statement is valid when neither
// the subject nor the domain's spec says; MaxStatementValidity bounds
// what a spec may allow.
const (
	DefaultStatementValidity = 90
	MaxStatementValidity     = 5 * 365
)

// StatementRules are what a domain's spec says of statements of standing.
type StatementRules struct {
	// MaxValidity is the longest validity a subject may ask for.
	MaxValidity Duration `json:"max_validity"`
}

// StatementRequest asks for a statement of the caller's standing in a
// domain: an SD-JWT VC signed by the installation, bound to a key the
// subject holds.
type StatementRequest struct {
	Domain string `json:"domain"`
	// Claims are those the statement holds (a subset of StatementClaims);
	// none means all of them. Each is selectively disclosable.
	Claims []string `json:"claims,omitempty"`
	// Validity is how long the statement is valid ("30d"), at most the
	// domain's statements.max_validity; empty means that maximum.
	Validity string `json:"validity,omitempty"`
	// ExpiresAt is the expiry instead, a date or time; at most one of the
	// two is given.
	ExpiresAt string `json:"expires_at,omitempty"`
	// HolderKey is the public JWK of the key the subject holds: a
	// presentation is signed with it (holder binding, the cnf claim).
	// Without one, a key pair is made for the subject and its private
	// half returned once (IssuedStatement.HolderJWK); a wallet sends its
	// own.
	HolderKey map[string]any `json:"holder_key,omitempty"`
	// Issuer is the installation's public URL, set by the server.
	Issuer string `json:"-"`
	// Subject is given only at the installation's command line.
	Subject string `json:"-"`
}

// IssuedStatement is a statement as issued: the SD-JWT with every
// disclosure, for the holder to keep and present in part.
type IssuedStatement struct {
	ID        string    `json:"id"`
	Domain    string    `json:"domain"`
	SDJWT     string    `json:"sd_jwt"`
	Claims    []string  `json:"claims"`
	IssuedAt  time.Time `json:"issued_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// StatusIndex is the statement's place in the domain's status list.
	StatusIndex int `json:"status_index"`
	// HolderJWK is the private key made for the subject when they sent
	// none, shown this once: keep it with the statement, present with it.
	HolderJWK map[string]any `json:"holder_jwk,omitempty"`
}

// StatementRecord is what the store keeps of a statement: enough to
// revoke it and publish its status, none of its content.
type StatementRecord struct {
	ID        string
	Domain    string
	Subject   Pseudonym
	Index     int
	IssuedAt  time.Time
	ExpiresAt time.Time
	RevokedAt time.Time
}

// StatementService issues and revokes statements of standing and
// publishes their status.
type StatementService interface {
	// IssueStatement issues a statement of the caller's own standing; it
	// must return EFORBIDDEN to anyone but the subject (or the command
	// line naming one), and EINVALID naming the field for a claim, a
	// validity or a holder key it does not take. The issuance is a leaf
	// of the domain's log.
	IssueStatement(ctx context.Context, req StatementRequest) (*IssuedStatement, error)
	// RevokeStatement revokes one of the caller's statements: the status
	// list says so from then on. ENOTFOUND for a statement that is not
	// the caller's.
	RevokeStatement(ctx context.Context, domain, id string) error
	// StatusList returns the domain's status list as a signed JWT
	// (typ statuslist+jwt) whose subject is uri.
	StatusList(ctx context.Context, domain, uri string) (string, error)
	// StatementKeys returns the public keys statements are signed with,
	// as a JWK set.
	StatementKeys() map[string]any
}
