package probity

import (
	"context"
	"time"
)

// Audit actions of court orders.
const (
	ActionOrderIssued      = "order.issued"
	ActionOrderFulfilled   = "order.fulfilled"
	ActionRestrictionCheck = "restriction.checked"
)

// Court order limits (P4).
const (
	DefaultOrderNotice = 10 * 24 * time.Hour
	MaxOrderLength     = 730 * 24 * time.Hour // two years, unless renewed by a new order
)

// CourtOrder is the one way a fact crosses domains: a judicial domain's
// order restricting a subject, with a legal citation, named restrictions, a
// notice period and an end date; it lifts itself when the obligation is
// reported fulfilled.
type CourtOrder struct {
	ID           string    `json:"id"`
	Domain       string    `json:"domain"`
	Subject      Pseudonym `json:"-"`
	Citation     string    `json:"citation"`
	Restrictions []string  `json:"restrictions"`
	IssuedAt     time.Time `json:"issued_at"`
	EffectiveAt  time.Time `json:"effective_at"`
	EndsAt       time.Time `json:"ends_at"`
	FulfilledAt  time.Time `json:"fulfilled_at,omitzero"`
	IssuedBy     string    `json:"issued_by"`
}

// ActiveAt reports whether the order restricts at t.
func (o *CourtOrder) ActiveAt(t time.Time) bool {
	return !t.Before(o.EffectiveAt) && t.Before(o.EndsAt) && (o.FulfilledAt.IsZero() || t.Before(o.FulfilledAt))
}

// OrderRequest issues a court order.
type OrderRequest struct {
	Domain       string   `json:"-"`
	Subject      string   `json:"subject"`
	Citation     string   `json:"citation"`
	Restrictions []string `json:"restrictions"`
	Notice       string   `json:"notice,omitempty"` // Nd; default 10d
	EndsAt       string   `json:"ends_at"`
}

// RestrictionCheck asks whether a subject is under a restriction.
type RestrictionCheck struct {
	Subject     string `json:"subject"`
	Restriction string `json:"restriction"`
	Purpose     string `json:"purpose"`
}

// RestrictionAnswer is all an enforcing domain learns: yes or no, and the
// order's id.
type RestrictionAnswer struct {
	Restricted bool   `json:"restricted"`
	Order      string `json:"order,omitempty"`
}

// OrderService issues, lifts and checks court orders.
type OrderService interface {
	IssueOrder(ctx context.Context, req OrderRequest) (*CourtOrder, error)
	FulfillOrder(ctx context.Context, domain, id string) (*CourtOrder, error)
	CheckRestriction(ctx context.Context, req RestrictionCheck) (*RestrictionAnswer, error)
}
