package probity

import "context"

// Actor is who performs an operation: a principal calling the API, an operator
// at the command line, or Probity itself (expiry, SLA enforcement). Access
// control fills in roles later; every service already receives the actor
// through the context so that each write and read can be attributed.
type Actor struct {
	// ID names the actor, e.g. "cli:alice" or "http:anonymous".
	ID string `json:"id"`
}

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
