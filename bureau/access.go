package bureau

import (
	"context"
	"crypto/subtle"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/identity"
	"github.com/probity-dev/probity/idp"
)

// subjectKeyDomain names the keys of subject tokens; '!' cannot start a
// domain id, so they are never a domain's keys.
const subjectKeyDomain = "!subject-token"

// Authenticate returns the actor a bearer token stands for.
func (b *Bureau) Authenticate(ctx context.Context, raw string) (probity.Actor, error) {
	// a refusal is counted under whoever sent the token, whatever it claims
	ctx = context.WithValue(ctx, refusalSourceKey{}, probity.ActorFromContext(ctx).ID)
	if probity.IsJWT(raw) {
		return b.authenticateExternal(ctx, raw)
	}
	t, err := ParseToken(raw)
	if err != nil {
		return probity.Actor{}, b.deny(ctx, "authenticate", "", err)
	}
	p, err := b.principal(ctx, t.ID)
	if err == nil {
		switch now := b.now(); {
		case subtle.ConstantTimeCompare(secretHash(t.Secret), p.SecretHash) != 1 || t.Subject != p.SubjectToken:
			err = probity.Errorf(probity.EUNAUTHORIZED, "token not recognised")
		case !p.RevokedAt.IsZero():
			err = probity.Errorf(probity.EUNAUTHORIZED, "token revoked at %s; ask for a new one", p.RevokedAt.Format(time.RFC3339))
		case !p.Active(now):
			err = probity.Errorf(probity.EUNAUTHORIZED, "token expired at %s; ask for a new one", p.ExpiresAt.Format(time.RFC3339))
		}
	}
	if err != nil {
		if p != nil && probity.ErrorCode(err) == probity.EUNAUTHORIZED {
			// the id is not secret: log whose token was refused
			ctx = probity.NewContextWithActor(ctx, probity.Actor{ID: fmt.Sprintf("principal:%s (%s), refused", p.ID, p.Name)})
		}
		return probity.Actor{}, b.deny(ctx, "authenticate", "", err)
	}
	actor := probity.Actor{ID: fmt.Sprintf("principal:%s (%s)", p.ID, p.Name), Principal: p}
	if t.Subject {
		s, err := b.subjectOf(t, p)
		if err != nil {
			return probity.Actor{}, b.deny(ctx, "authenticate", "", err)
		}
		actor.ID, actor.Subject = "subject:"+p.ID, s
	}
	return actor, nil
}

// principal returns the principal a token names, from the cache when it
// was read less than principalTTL ago; EUNAUTHORIZED if there is none.
func (b *Bureau) principal(ctx context.Context, id string) (*probity.Principal, error) {
	if p := b.principals.get(id, time.Now()); p != nil {
		return p, nil
	}
	var p *probity.Principal
	read := time.Now()
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		var err error
		p, err = tx.Principal(id)
		return err
	})
	switch {
	case probity.ErrorCode(err) == probity.ENOTFOUND:
		return nil, probity.Errorf(probity.EUNAUTHORIZED, "token not recognised")
	case err != nil:
		return nil, err
	}
	b.principals.put(p, read)
	return p, nil
}

// now is the time of a check made outside a transaction: the store's
// clock, which tests set.
func (b *Bureau) now() time.Time {
	if c, ok := b.store.(interface{ Clock() time.Time }); ok {
		return c.Clock()
	}
	return time.Now()
}

func (b *Bureau) subjectOf(t *Token, p *probity.Principal) (*probity.Subject, error) {
	id, err := unseal(b.keys.DomainKey(subjectKeyDomain), t.ID, t.Sealed)
	if err != nil {
		return nil, err
	}
	s, err := identity.Parse(id)
	if err != nil || p.Subject == nil || b.keys.Pseudonym(subjectKeyDomain, s) != *p.Subject {
		return nil, probity.Errorf(probity.EUNAUTHORIZED, "token not recognised")
	}
	return &s, nil
}

// authorize checks that the caller holds one of the grants that allow op,
// recording a denial in the log; the message names every grant that would
// do. The command line on the installation's machine may do anything: it
// holds the keys.
func (b *Bureau) authorize(ctx context.Context, op string, allowed ...probity.Grant) error {
	a := probity.ActorFromContext(ctx)
	if a.Local {
		return nil
	}
	for _, g := range allowed {
		if a.Principal != nil && a.Principal.Has(g.Role, g.Domain) {
			return nil
		}
	}
	need, domain := grantNames(allowed)
	if err := b.domainKnown(ctx, domain, allowed); err != nil {
		return err
	}
	if a.Principal == nil {
		return b.deny(ctx, op, domain, probity.Errorf(probity.EUNAUTHORIZED,
			"%s needs a bearer token (Authorization: Bearer ...) with the %s", op, need))
	}
	return b.deny(ctx, op, domain, probity.Errorf(probity.EFORBIDDEN, "%s needs the %s; this token has: %s",
		op, need, a.Principal.GrantList()))
}

// grantNames writes grants for a message ("operator role or admin role in
// domain x") and returns the first domain they name, for the log.
func grantNames(grants []probity.Grant) (string, string) {
	names := make([]string, len(grants))
	domain := ""
	for i, g := range grants {
		names[i] = g.Role + " role"
		if g.Domain == anyDomain {
			names[i] += " in a domain"
		} else if g.Domain != "" {
			names[i] += " in domain " + g.Domain
			if domain == "" {
				domain = g.Domain
			}
		}
	}
	return strings.Join(names, " or the "), domain
}

// domainKnown refuses, with 404, an operation on a domain that does not
// exist, before saying which role it needs: the domains are public, and
// "needs the reader role in domain acme.lendin" would send the caller
// looking for a role instead of the typo. Operations the operator may do
// (creating a domain) are left to their role check.
func (b *Bureau) domainKnown(ctx context.Context, domain string, allowed []probity.Grant) error {
	if domain == "" || domain == anyDomain || slices.Contains(allowed, operator()) {
		return nil
	}
	var ids []string
	if err := b.store.View(ctx, func(tx probity.ReadTx) error {
		var err error
		ids, err = tx.DomainIDs()
		return err
	}); err != nil {
		return err
	}
	if !slices.Contains(ids, domain) {
		return probity.Errorf(probity.ENOTFOUND, "no domain %s; see GET /v1/domains", probity.Quote(domain))
	}
	return nil
}

// anyDomain stands for "some domain" in a message about the grants needed.
const anyDomain = "*"

func operator() probity.Grant { return probity.Grant{Role: probity.RoleOperator} }

func role(r, domain string) probity.Grant { return probity.Grant{Role: r, Domain: domain} }

// CreatePrincipal creates a principal and returns its token, shown once.
func (b *Bureau) CreatePrincipal(ctx context.Context, req probity.PrincipalRequest) (*probity.IssuedToken, error) {
	if err := b.mayGrant(ctx, req.Grants); err != nil {
		return nil, err
	}
	if err := validPrincipal(req); err != nil {
		return nil, b.denyForbidden(ctx, "granting roles", err)
	}
	t, err := newToken()
	if err != nil {
		return nil, err
	}
	p := &probity.Principal{ID: t.ID, Name: req.Name, Government: req.Government, Grants: req.Grants,
		ExpiresAt: req.ExpiresAt, SecretHash: secretHash(t.Secret), CreatedBy: probity.ActorFromContext(ctx).ID,
		Issuer: req.Issuer, ExternalSubject: req.ExternalSubject}
	token := t.String()
	if p.Issuer != "" {
		// bound to an identity provider: the provider's tokens stand for
		// it, and the secret of this one is never shown, so never usable
		token = ""
	}
	if p.Grants == nil {
		p.Grants = []probity.Grant{}
	}
	err = b.store.Update(ctx, func(tx probity.Tx) error {
		if err := checkGrants(tx, req); err != nil {
			return err
		}
		return b.storePrincipal(ctx, tx, p)
	})
	if err != nil {
		return nil, b.denyForbidden(ctx, "granting roles", err)
	}
	return &probity.IssuedToken{Principal: p, Token: token}, nil
}

// denyForbidden logs err as a denied attempt if it is a refusal (P10), and
// returns it.
func (b *Bureau) denyForbidden(ctx context.Context, op string, err error) error {
	if probity.ErrorCode(err) == probity.EFORBIDDEN {
		return b.deny(ctx, op, "", err)
	}
	return err
}

// storePrincipal stores a new principal, created now, and logs it.
func (b *Bureau) storePrincipal(ctx context.Context, tx probity.Tx, p *probity.Principal) error {
	p.CreatedAt = tx.Now()
	if !p.ExpiresAt.IsZero() {
		if err := probity.CheckTime("expires_at", p.ExpiresAt); err != nil {
			return err
		}
		if !p.ExpiresAt.After(p.CreatedAt) {
			return probity.Errorf(probity.EINVALID, "expires_at: %s is not in the future", p.ExpiresAt.Format(time.RFC3339))
		}
	}
	if err := tx.InsertPrincipal(p); err != nil {
		return err
	}
	return b.log.Record(tx, probity.AuditLeaf{Actor: probity.ActorFromContext(ctx).ID, Action: probity.ActionPrincipalCreated, Ref: p.ID,
		Digest: audit.PrincipalDigest(p)})
}

// validPrincipal checks a request's own fields.
func validPrincipal(req probity.PrincipalRequest) error {
	if err := probity.CheckText("name", req.Name, 100, true, `who holds the token, e.g. "ACME credit desk"`); err != nil {
		return err
	}
	if err := screenTexts(nil, "name", req.Name); err != nil {
		return err // the name is shown in the log as the principal's
	}
	if err := checkExternal(req.Issuer, req.ExternalSubject); err != nil {
		return err
	}
	for i, g := range req.Grants {
		switch {
		case slices.Contains(probity.InstallationRoles, g.Role) && g.Domain != "":
			return probity.Errorf(probity.EINVALID, "grants[%d]: %s is an installation role; give it without a domain", i, g.Role)
		case slices.Contains(probity.DomainRoles, g.Role) && g.Domain == "":
			return probity.Errorf(probity.EINVALID, "grants[%d]: %s is a domain role; name its domain (%s:DOMAIN)", i, g.Role, g.Role)
		case !slices.Contains(probity.InstallationRoles, g.Role) && !slices.Contains(probity.DomainRoles, g.Role):
			return probity.Errorf(probity.EINVALID, "grants[%d]: %s is not a role; allowed: %s (per domain), %s", i, probity.Quote(g.Role),
				strings.Join(probity.DomainRoles, ", "), strings.Join(probity.InstallationRoles, ", "))
		case req.Government && g.Domain == "":
			return probity.Errorf(probity.EFORBIDDEN, "grants[%d]: a government principal can only hold roles in tax or judicial domains (P10), not the installation-wide %s role", i, g.Role)
		}
	}
	return nil
}

// checkGrants checks that each granted domain exists and, for a government
// principal, that it is a tax or judicial domain (P10).
func checkGrants(tx probity.ReadTx, req probity.PrincipalRequest) error {
	for i, g := range req.Grants {
		if g.Domain == "" {
			continue
		}
		_, cur, err := currentVersion(tx, g.Domain)
		if err != nil {
			return probity.Errorf(probity.EINVALID, "grants[%d]: %s", i, probity.ErrorMessage(err))
		}
		if req.Government && !slices.Contains(probity.GovernmentCategories, cur.Spec.Category) {
			return probity.Errorf(probity.EFORBIDDEN, "grants[%d]: %s is a %s domain; government principals can only be given roles in tax or judicial domains (P10: scoped government access)",
				i, g.Domain, cur.Spec.Category)
		}
	}
	return nil
}

// mayGrant checks that the caller may give these grants: the operator any,
// a domain's admin the domain roles of that domain.
func (b *Bureau) mayGrant(ctx context.Context, grants []probity.Grant) error {
	a := probity.ActorFromContext(ctx)
	if a.Local || (a.Principal != nil && a.Principal.Has(probity.RoleOperator, "")) {
		return nil
	}
	if len(grants) == 0 {
		return b.authorize(ctx, "creating a principal", operator())
	}
	for _, g := range grants {
		if g.Domain == "" {
			return b.authorize(ctx, "granting the "+g.Role+" role", operator())
		}
		if err := b.authorize(ctx, "granting "+g.String(), operator(), role(probity.RoleAdmin, g.Domain)); err != nil {
			return err
		}
	}
	return nil
}

// ActionAccessDenied is the log action of a refused attempt.
const ActionAccessDenied = probity.ActionAccessDenied

// checkExternal checks an identity provider binding: both fields or
// neither, the issuer an https URL (http only on a loopback host) as its
// discovery document names it, the subject as the provider writes it.
func checkExternal(issuer, subject string) error {
	switch {
	case issuer == "" && subject == "":
		return nil
	case issuer == "":
		return probity.Errorf(probity.EINVALID, "issuer: required with external_subject: the identity provider's issuer URL, e.g. https://login.example.com/realms/bank")
	case subject == "":
		return probity.Errorf(probity.EINVALID, "external_subject: required with issuer: the subject (sub) of the provider's tokens, usually the client id")
	}
	if err := idp.CheckIssuer("issuer", issuer); err != nil {
		return err
	}
	return probity.CheckText("external_subject", subject, 255, true, "the subject (sub) of the provider's tokens")
}
