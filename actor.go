package probity

import "context"

// Actor is who performs an operation: a principal calling the API, an operator
// at the command line, or Probity itself (expiry, SLA enforcement). Access
// control fills in roles later; every service already receives the actor
// through the context so that each write and read can be attributed.
type Actor struct {
	// ID names the actor, e.g. "cli:alice", "principal:p_ab12 (ACME reader)".
	ID string `json:"id"`
	// Principal is the authenticated API caller, nil for an anonymous one.
	Principal *Principal `json:"-"`
	// Subject is the identifier a subject token is bound to, held in
	// memory for the request only.
	Subject *Subject `json:"-"`
	// Local is set for the command line on the installation's own machine:
	// whoever runs it holds the data directory and its keys, so no role
	// could stop them; everything they do is still logged.
	Local bool `json:"-"`
}

// Anonymous reports whether the actor presented no credentials.
func (a Actor) Anonymous() bool { return !a.Local && a.Principal == nil }

type actorKey struct{}

// NewContextWithActor returns a copy of ctx carrying actor.
func NewContextWithActor(ctx context.Context, actor Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFromContext returns the actor carried by ctx, or the zero Actor with ID
// "unknown" when none was attached.
func ActorFromContext(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{ID: "unknown"}
}
