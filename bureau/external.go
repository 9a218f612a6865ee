package bureau

import (
	"context"
	"fmt"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/identity"
)

// SetExternalVerifier makes the bureau accept the access tokens of the
// identity providers v trusts, beside its own tokens.
func (b *Bureau) SetExternalVerifier(v probity.ExternalVerifier) { b.external = v }

// authenticateExternal returns the actor an identity provider's access
// token stands for: the principal bound to its issuer and subject, with
// exactly that principal's grants (scopes in the token add nothing), or,
// when no principal is bound to it and the token names a subject in the
// installation's subject claim, that subject. Every refusal says why.
func (b *Bureau) authenticateExternal(ctx context.Context, raw string) (probity.Actor, error) {
	if b.external == nil {
		return probity.Actor{}, b.deny(ctx, "authenticate", "", probity.Errorf(probity.EUNAUTHORIZED,
			"this installation accepts no identity provider's tokens (no --oidc-issuer is configured); send a token it issued"))
	}
	t, err := b.external.Verify(ctx, raw, probity.PresentationFromContext(ctx))
	if err != nil {
		if c := probity.ErrorCode(err); c != probity.EUNAUTHORIZED && c != probity.EUNAVAILABLE {
			err = probity.Errorf(probity.EUNAUTHORIZED, "token refused: %v", err)
		}
		return probity.Actor{}, b.deny(ctx, "authenticate", "", err)
	}
	var p *probity.Principal
	err = b.store.View(ctx, func(tx probity.ReadTx) error {
		var err error
		p, err = tx.PrincipalByExternal(t.Issuer, t.Subject)
		if probity.ErrorCode(err) == probity.ENOTFOUND {
			p, err = nil, nil
		} else if err == nil && !p.RevokedAt.IsZero() {
			err = probity.Errorf(probity.EUNAUTHORIZED, "principal %s, bound to subject %s of issuer %s, was revoked at %s", p.ID,
				probity.Quote(t.Subject), t.Issuer, p.RevokedAt.Format(time.RFC3339))
		} else if err == nil && !p.Active(tx.Now()) {
			err = probity.Errorf(probity.EUNAUTHORIZED, "principal %s, bound to subject %s of issuer %s, expired at %s", p.ID,
				probity.Quote(t.Subject), t.Issuer, p.ExpiresAt.Format(time.RFC3339))
		}
		return err
	})
	if err != nil {
		return probity.Actor{}, b.deny(ctx, "authenticate", "", err)
	}
	if p != nil {
		return probity.Actor{ID: fmt.Sprintf("principal:%s (%s)", p.ID, p.Name), Principal: p}, nil
	}
	if t.SubjectID == "" {
		return probity.Actor{}, b.deny(ctx, "authenticate", "", probity.Errorf(probity.EUNAUTHORIZED,
			"no principal is bound to subject %s of issuer %s, and the token names no rated subject; ask the operator to bind one (probity token create --issuer ... --external-subject ...)",
			probity.Quote(t.Subject), t.Issuer))
	}
	s, err := identity.Parse(t.SubjectID)
	if err != nil {
		return probity.Actor{}, b.deny(ctx, "authenticate", "", probity.Errorf(probity.EUNAUTHORIZED,
			"the token's subject claim is not an identifier Probity rates: %s", probity.ErrorMessage(err)))
	}
	return b.subjectActor(s), nil
}

// subjectActor is a subject signed in through an identity provider: it
// holds no principal of its own, and its id, in the log, is its pseudonym
// under the subject key, which names nobody and is the same at each sign-in.
func (b *Bureau) subjectActor(s probity.Subject) probity.Actor {
	p := b.keys.Pseudonym(subjectKeyDomain, s)
	id := p.String()[:16]
	return probity.Actor{ID: "subject:" + id, Principal: &probity.Principal{ID: id, Name: "subject", Grants: []probity.Grant{}, SubjectToken: true, Subject: &p}, Subject: &s}
}
