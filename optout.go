package probity

import (
	"context"
	"time"
)

// Audit actions of opting out and back in.
const (
	ActionOptOut = "opt_out.set"
	ActionOptIn  = "opt_out.cleared"
)

// OptOut is a subject's choice to leave a domain, where its spec allows it:
// the subject is then opted_out, and every decision treats them exactly like
// the domain's neutral base (P6).
type OptOut struct {
	Domain  string    `json:"domain"`
	Subject Pseudonym `json:"-"`
	Since   time.Time `json:"since"`
}

// OptOutState is a subject's standing in a domain after a request.
type OptOutState struct {
	Domain   string    `json:"domain"`
	OptedOut bool      `json:"opted_out"`
	Since    time.Time `json:"since,omitzero"`
}

// OptOutService lets subjects leave domains and come back.
type OptOutService interface {
	// SetOptOut opts the caller's subject (or, at the command line, subject)
	// out of a domain, or back in; EFORBIDDEN, quoting the legal basis, in
	// a domain whose spec does not allow it.
	SetOptOut(ctx context.Context, domain, subject string, out bool) (*OptOutState, error)
	// Erase deletes everything a consent-based domain holds about the
	// subject and returns how many entries it deleted; EFORBIDDEN, quoting
	// the basis, elsewhere.
	Erase(ctx context.Context, domain, subject string) (int, error)
}
