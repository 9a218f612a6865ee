package probity

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Roles. Domain roles are granted in one domain; installation roles
// everywhere. No role reads subject data outside its domain, and neither
// installation role reads subject data at all.
const (
	RoleAdmin    = "admin"    // a domain's spec, roster and principals
	RoleReporter = "reporter" // submit and retract a domain's events
	RoleReader   = "reader"   // a domain's scores and decisions, with a purpose
	RoleReviewer = "reviewer" // resolve a domain's disputes
	RoleOperator = "operator" // create domains and principals; no subject data
	RoleAuditor  = "auditor"  // the audit log and aggregate figures; no subject data
)

// DomainRoles and InstallationRoles are the closed lists of roles.
var (
	DomainRoles       = []string{RoleAdmin, RoleReporter, RoleReader, RoleReviewer}
	InstallationRoles = []string{RoleOperator, RoleAuditor}
)

// GovernmentCategories are the only domain categories in which a government
// principal may hold a role (P10: scoped government access).
var GovernmentCategories = []string{"tax", "judicial"}

// Grant is one role, in one domain for a domain role.
type Grant struct {
	Role   string `json:"role"`
	Domain string `json:"domain,omitempty"`
}

// String writes a grant as role:domain, or role for an installation role.
func (g Grant) String() string {
	if g.Domain == "" {
		return g.Role
	}
	return g.Role + ":" + g.Domain
}

// Principal is an API caller: an institution's system or person, the
// operator, an auditor, or a subject. Its token is stored only as a hash.
type Principal struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Government bool      `json:"government"`
	Grants     []Grant   `json:"grants"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	// SubjectToken is set on a subject's token: the principal is the
	// subject the token is bound to, and has no grant.
	SubjectToken bool `json:"subject_token,omitempty"`
	// Issuer and ExternalSubject bind the principal to an identity
	// provider's identity: an access token from Issuer whose subject is
	// ExternalSubject authenticates as this principal, with exactly its
	// grants. Such a principal has no token of Probity's own.
	Issuer          string `json:"issuer,omitempty"`
	ExternalSubject string `json:"external_subject,omitempty"`
	// SecretHash is the SHA-256 of the token's secret.
	SecretHash []byte `json:"-"`
	// Subject is the pseudonym, under the installation's subject key, of a
	// subject token's identifier: enough to list and revoke a subject's
	// tokens, not to recover the identifier.
	Subject *Pseudonym `json:"-"`
}

// Has reports whether the principal holds role in domain (an installation
// role when domain is "").
func (p *Principal) Has(role, domain string) bool {
	return slices.Contains(p.Grants, Grant{Role: role, Domain: domain})
}

// Domains returns the domains in which the principal holds role.
func (p *Principal) Domains(role string) []string {
	var out []string
	for _, g := range p.Grants {
		if g.Role == role && g.Domain != "" {
			out = append(out, g.Domain)
		}
	}
	return out
}

// GrantList writes the grants for a message, or "none".
func (p *Principal) GrantList() string {
	if len(p.Grants) == 0 {
		return "none"
	}
	parts := make([]string, len(p.Grants))
	for i, g := range p.Grants {
		parts[i] = g.String()
	}
	return strings.Join(parts, ", ")
}

// Active reports whether the principal may act at t.
func (p *Principal) Active(t time.Time) bool {
	return p.RevokedAt.IsZero() && (p.ExpiresAt.IsZero() || t.Before(p.ExpiresAt))
}

// PrincipalRequest creates a principal.
type PrincipalRequest struct {
	Name       string    `json:"name"`
	Government bool      `json:"government"`
	Grants     []Grant   `json:"grants"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	// Issuer and ExternalSubject, given together, bind the principal to an
	// identity provider's identity instead of issuing a token.
	Issuer          string `json:"issuer,omitempty"`
	ExternalSubject string `json:"external_subject,omitempty"`
}

// SubjectTokenRequest issues a token bound to one subject's identifier.
type SubjectTokenRequest struct {
	Subject   string    `json:"subject"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// IssuedToken is a new principal with its token, shown this once.
type IssuedToken struct {
	Principal *Principal `json:"principal"`
	Token     string     `json:"token"`
}

// AccessService manages principals and authenticates tokens.
type AccessService interface {
	// Authenticate returns the actor a bearer token stands for; an
	// EUNAUTHORIZED error says why a token is refused.
	Authenticate(ctx context.Context, token string) (Actor, error)
	// CreatePrincipal creates a principal and returns its token once.
	CreatePrincipal(ctx context.Context, req PrincipalRequest) (*IssuedToken, error)
	// IssueSubjectToken creates a token bound to one subject.
	IssueSubjectToken(ctx context.Context, req SubjectTokenRequest) (*IssuedToken, error)
	// Principals lists the principals the caller may see.
	Principals(ctx context.Context) ([]Principal, error)
	// RevokePrincipal revokes a principal's token at once.
	RevokePrincipal(ctx context.Context, id string) (*Principal, error)
}
