package probity

import (
	"context"
	"time"
)

// Domain is what anyone may read about a domain (P9: rules are public): the
// spec in effect now, with its fields at the top level, its version, and
// every version applied, including those not yet in effect.
type Domain struct {
	*Spec
	Version     int           `json:"version"`
	AppliedAt   time.Time     `json:"applied_at"`
	EffectiveAt time.Time     `json:"effective_at"`
	Versions    []SpecVersion `json:"versions"`
}

// DomainSummary is one line of the list of domains.
type DomainSummary struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Owner       string    `json:"owner"`
	Category    string    `json:"category"`
	LegalBasis  string    `json:"legal_basis"`
	Version     int       `json:"version"`
	EffectiveAt time.Time `json:"effective_at"`
	// Pending is the number of applied versions not yet in effect.
	Pending int `json:"pending"`
}

// ApplyResult reports what applying a spec did.
type ApplyResult struct {
	ID          string    `json:"id"`
	Version     int       `json:"version"`
	EffectiveAt time.Time `json:"effective_at"`
	// Changed is false when the spec equals the latest applied version, in
	// which case nothing was stored.
	Changed bool `json:"changed"`
	// Rescored is the number of stored events whose points were computed
	// under the new version.
	Rescored int `json:"rescored"`
}

// DomainService applies and publishes domain specs.
type DomainService interface {
	// ApplySpec validates a YAML or JSON spec completely, then stores it as
	// a new version. The first version takes effect at once; later ones
	// after the notice period of the version in effect. An unchanged spec
	// changes nothing. If id is not empty the spec's id must equal it.
	ApplySpec(ctx context.Context, id string, source []byte) (*ApplyResult, error)
	// Domains lists every domain with a version in effect or pending.
	Domains(ctx context.Context) ([]DomainSummary, error)
	// Domain returns one domain; ENOTFOUND if it has no spec.
	Domain(ctx context.Context, id string) (*Domain, error)
}
