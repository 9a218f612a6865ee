package probity

import (
	"context"
	"time"
)

// Session is a sign-in to the web pages, kept on the server: the browser
// holds only an opaque random id, never a token. The store keeps the id's
// SHA-256 and the credential the session stands for (a token, or a subject
// signed in through an identity provider), sealed with a key derived from
// the id, so that the database alone opens no session.
type Session struct {
	IDHash    []byte
	Sealed    []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	EndedAt   time.Time // zero while the session lasts
}

// SessionLength is how long a web session lasts: short, since whoever holds
// its cookie acts as the signed-in caller; signing out ends it sooner.
const SessionLength = time.Hour

// SessionService keeps the web pages' sessions.
type SessionService interface {
	// StartSession checks a token as Authenticate does and starts a
	// session standing for it; it returns the session's id, for the
	// browser's cookie, and the actor.
	StartSession(ctx context.Context, token string) (string, Actor, error)
	// StartSubjectSession starts a session for a subject an identity
	// provider signed in, validating the identifier it named.
	StartSubjectSession(ctx context.Context, subject string) (string, Actor, error)
	// SessionActor returns the actor of a session that has neither
	// expired nor ended, re-checking the credential it stands for (a
	// revoked token ends it); an EUNAUTHORIZED error says why not.
	SessionActor(ctx context.Context, id string) (Actor, error)
	// EndSession ends a session on the server: its id is refused from then
	// on, whoever holds it.
	EndSession(ctx context.Context, id string) error
}
