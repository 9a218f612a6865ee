package bureau

import (
	"context"
	"slices"
	"strings"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/identity"
)

// IssueSubjectToken creates a token bound to one subject, standing in for an
// identity provider: only the operator issues them.
func (b *Bureau) IssueSubjectToken(ctx context.Context, req probity.SubjectTokenRequest) (*probity.IssuedToken, error) {
	if err := b.authorize(ctx, "issuing a subject token", operator()); err != nil {
		return nil, err
	}
	s, err := identity.Parse(req.Subject)
	if err != nil {
		return nil, prefixed("subject", err)
	}
	t, err := newToken()
	if err != nil {
		return nil, err
	}
	t.Subject = true
	if t.Sealed, err = seal(b.keys.DomainKey(subjectKeyDomain), t.ID, s.String()); err != nil {
		return nil, err
	}
	pseudonym := b.keys.Pseudonym(subjectKeyDomain, s)
	p := &probity.Principal{ID: t.ID, Name: "subject", Grants: []probity.Grant{}, SubjectToken: true, Subject: &pseudonym,
		ExpiresAt: req.ExpiresAt, SecretHash: secretHash(t.Secret), CreatedBy: probity.ActorFromContext(ctx).ID}
	err = b.store.Update(ctx, func(tx probity.Tx) error { return b.storePrincipal(ctx, tx, p) })
	if err != nil {
		return nil, err
	}
	return &probity.IssuedToken{Principal: p, Token: t.String()}, nil
}

// Principals lists the principals the caller may see: all of them for the
// operator and the auditor, those of their domains for a domain's admin.
func (b *Bureau) Principals(ctx context.Context) ([]probity.Principal, error) {
	a := probity.ActorFromContext(ctx)
	admins := []string{}
	if !seesAll(a) {
		if a.Principal != nil {
			admins = a.Principal.Domains(probity.RoleAdmin)
		}
		if len(admins) == 0 {
			return nil, b.authorize(ctx, "listing principals", operator(), probity.Grant{Role: probity.RoleAuditor}, role(probity.RoleAdmin, anyDomain))
		}
	}
	var out []probity.Principal
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		all, err := tx.Principals()
		if err != nil {
			return err
		}
		for _, p := range all {
			if seesAll(a) || inDomains(&p, admins) {
				out = append(out, p)
			}
		}
		return nil
	})
	return out, err
}

func seesAll(a probity.Actor) bool {
	return a.Local || (a.Principal != nil && (a.Principal.Has(probity.RoleOperator, "") || a.Principal.Has(probity.RoleAuditor, "")))
}

// inDomains reports whether every grant of p is in one of the domains (and
// p has at least one): what a domain's admin may see and revoke.
func inDomains(p *probity.Principal, domains []string) bool {
	if len(p.Grants) == 0 {
		return false
	}
	for _, g := range p.Grants {
		if g.Domain == "" || !slices.Contains(domains, g.Domain) {
			return false
		}
	}
	return true
}

// RevokePrincipal revokes a principal's token at once: the operator any, a
// domain's admin those whose every grant is in a domain they administer.
func (b *Bureau) RevokePrincipal(ctx context.Context, id string) (*probity.Principal, error) {
	a := probity.ActorFromContext(ctx)
	isOperator := a.Local || (a.Principal != nil && a.Principal.Has(probity.RoleOperator, ""))
	var admins []string
	if a.Principal != nil {
		admins = a.Principal.Domains(probity.RoleAdmin)
	}
	var p *probity.Principal
	err := b.store.Update(ctx, func(tx probity.Tx) error {
		var err error
		p, err = tx.Principal(id)
		switch {
		case isOperator && err != nil:
			return err
		case err != nil && len(admins) > 0:
			return err // an admin may learn that there is no such principal
		case err != nil:
			return errNotYours
		case !isOperator && !inDomains(p, admins):
			return errNotYours
		}
		if err := lastOperator(tx, p); err != nil {
			return err
		}
		if err := tx.RevokePrincipal(id); err != nil {
			return err
		}
		p.RevokedAt = tx.Now()
		return b.log.Record(tx, probity.AuditLeaf{Actor: a.ID, Action: probity.ActionPrincipalRevoked, Ref: id, Digest: audit.PrincipalDigest(p)})
	})
	if err == errNotYours {
		return nil, b.refuseRevoke(ctx, p)
	}
	if err == nil {
		b.principals.drop(id)
	}
	return p, err
}

// lastOperator refuses, with ECONFLICT, to revoke the installation's last
// active operator: without one, no one could grant the operator role again
// through the API.
func lastOperator(tx probity.Tx, p *probity.Principal) error {
	now := tx.Now()
	if !p.Has(probity.RoleOperator, "") || !p.Active(now) {
		return nil
	}
	all, err := tx.Principals()
	if err != nil {
		return err
	}
	for _, o := range all {
		if o.ID != p.ID && o.Has(probity.RoleOperator, "") && o.Active(now) {
			return nil
		}
	}
	return probity.Errorf(probity.ECONFLICT, "this is the installation's last operator; create another operator first")
}

// refuseRevoke denies a revocation, naming the grants that would allow it:
// the operator's, or the admin role in every domain the principal holds.
func (b *Bureau) refuseRevoke(ctx context.Context, p *probity.Principal) error {
	need := "the operator role or the admin role in a domain"
	if p != nil {
		var domains []string
		for _, g := range p.Grants {
			if g.Domain != "" && !slices.Contains(domains, g.Domain) {
				domains = append(domains, g.Domain)
			}
		}
		need = "the operator role"
		if len(domains) > 0 && len(domains) == len(p.Grants) {
			need += " or the admin role in domain " + strings.Join(domains, " and in domain ")
		}
	}
	a := probity.ActorFromContext(ctx)
	if a.Principal == nil {
		return b.deny(ctx, "revoking a principal", "", probity.Errorf(probity.EUNAUTHORIZED,
			"revoking a principal needs a bearer token (Authorization: Bearer ...) with %s", need))
	}
	return b.deny(ctx, "revoking a principal", "", probity.Errorf(probity.EFORBIDDEN,
		"revoking this principal needs %s; this token has: %s", need, a.Principal.GrantList()))
}

// errNotYours rolls back a revocation the caller may not make.
var errNotYours = probity.Errorf(probity.EFORBIDDEN, "not yours")
