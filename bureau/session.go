package bureau

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/identity"
)

var _ probity.SessionService = (*Bureau)(nil)

// What a session stands for: a token of Probity's own (its roles and its
// revocation are checked again on every page), or a subject an identity
// provider signed in.
const (
	sessionToken   = "token:"
	sessionSubject = "subject:"
)

// StartSession checks a token as Authenticate does and starts a session
// standing for it.
func (b *Bureau) StartSession(ctx context.Context, token string) (string, probity.Actor, error) {
	a, err := b.Authenticate(ctx, token)
	if err != nil {
		return "", a, err
	}
	id, err := b.startSession(ctx, sessionToken+token)
	return id, a, err
}

// StartSubjectSession starts a session for a subject an identity provider
// signed in (the identifier comes from the provider's ID token, never from
// a form), and returns its id and the actor.
func (b *Bureau) StartSubjectSession(ctx context.Context, subject string) (string, probity.Actor, error) {
	s, err := identity.Parse(subject)
	if err != nil {
		return "", probity.Actor{}, probity.Errorf(probity.EUNAUTHORIZED, "the identity provider signed in an identifier Probity does not rate: %s", probity.ErrorMessage(err))
	}
	id, err := b.startSession(ctx, sessionSubject+s.String())
	return id, b.subjectActor(s), err
}

func (b *Bureau) startSession(ctx context.Context, credential string) (string, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", err
	}
	id := base64.RawURLEncoding.EncodeToString(secret)
	hash := sha256.Sum256([]byte(id))
	sealed, err := seal(sessionKey(id), hex.EncodeToString(hash[:]), credential)
	if err != nil {
		return "", err
	}
	err = b.store.Update(ctx, func(tx probity.Tx) error {
		return tx.InsertSession(&probity.Session{IDHash: hash[:], Sealed: sealed, CreatedAt: tx.Now(), ExpiresAt: tx.Now().Add(probity.SessionLength)})
	})
	return id, err
}

// sessionKey is the key a session's credential is sealed with: derived
// from its id, which only the browser keeps.
func sessionKey(id string) []byte {
	k := sha256.Sum256([]byte("probity session key\x00" + id))
	return k[:]
}

// SessionActor returns the actor of a live session.
func (b *Bureau) SessionActor(ctx context.Context, id string) (probity.Actor, error) {
	hash := sha256.Sum256([]byte(id))
	var s *probity.Session
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		var err error
		if s, err = tx.Session(hash[:]); probity.ErrorCode(err) == probity.ENOTFOUND {
			return probity.Errorf(probity.EUNAUTHORIZED, "no such session: sign in again")
		} else if err != nil {
			return err
		}
		switch now := tx.Now(); {
		case !s.EndedAt.IsZero():
			return probity.Errorf(probity.EUNAUTHORIZED, "the session was ended at %s (signed out): sign in again", s.EndedAt.UTC().Format(time.RFC3339))
		case !now.Before(s.ExpiresAt):
			return probity.Errorf(probity.EUNAUTHORIZED, "the session expired at %s: sign in again", s.ExpiresAt.UTC().Format(time.RFC3339))
		}
		return nil
	})
	if err != nil {
		return probity.Actor{}, err
	}
	credential, err := unseal(sessionKey(id), hex.EncodeToString(hash[:]), s.Sealed)
	if err != nil {
		return probity.Actor{}, probity.Errorf(probity.EUNAUTHORIZED, "no such session: sign in again")
	}
	if subject, ok := strings.CutPrefix(credential, sessionSubject); ok {
		sub, err := identity.Parse(subject)
		if err != nil {
			return probity.Actor{}, err
		}
		return b.subjectActor(sub), nil
	}
	return b.Authenticate(ctx, strings.TrimPrefix(credential, sessionToken))
}

// EndSession ends a session on the server.
func (b *Bureau) EndSession(ctx context.Context, id string) error {
	hash := sha256.Sum256([]byte(id))
	err := b.store.Update(ctx, func(tx probity.Tx) error { return tx.EndSession(hash[:]) })
	if probity.ErrorCode(err) == probity.ENOTFOUND {
		return nil // nothing to end
	}
	return err
}
