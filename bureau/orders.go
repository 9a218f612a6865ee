package bureau

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/identity"
)

var _ probity.OrderService = (*Bureau)(nil)

var restrictionName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// IssueOrder records a court order of a judicial domain against a subject:
// a legal citation, named restrictions, a notice before it takes effect
// (default 10 days) and an end at most two years after that. The service
// itself holds these (P4), whoever calls it: an order without a citation,
// restrictions (its scope) or an end date, with a notice under a day, or
// ending before it takes effect, is refused with EINVALID naming the field;
// outside judicial domains with EFORBIDDEN.
func (b *Bureau) IssueOrder(ctx context.Context, req probity.OrderRequest) (*probity.CourtOrder, error) {
	if err := b.authorize(ctx, "issuing court orders", role(probity.RoleReporter, req.Domain), role(probity.RoleAdmin, req.Domain)); err != nil {
		return nil, err
	}
	subject, err := identity.Parse(req.Subject)
	if err != nil {
		return nil, prefixed("subject", err)
	}
	o, err := newOrder(req, subject)
	if err != nil {
		return nil, err
	}
	notice := probity.DefaultOrderNotice
	if req.Notice != "" {
		d, err := probity.ParseDuration(req.Notice)
		if err != nil {
			return nil, probity.Errorf(probity.EINVALID, "notice: %v", err)
		} else if d < 1 {
			return nil, probity.Errorf(probity.EINVALID, "notice: at least 1d; an order takes effect only after notice to the subject (default 10d)")
		}
		notice = d.Std()
	}
	o.IssuedBy = probity.ActorFromContext(ctx).ID
	err = b.store.Update(ctx, func(tx probity.Tx) error {
		_, cur, err := currentVersion(tx, req.Domain)
		if err != nil {
			return err
		}
		if cur.Spec.Category != "judicial" {
			return probity.Errorf(probity.EFORBIDDEN, "%s is a %s domain; only judicial domains issue court orders", req.Domain, cur.Spec.Category)
		}
		o.Subject, o.IssuedAt = b.keys.Pseudonym(req.Domain, subject), tx.Now()
		o.EffectiveAt = o.IssuedAt.Add(notice)
		switch {
		case !o.EndsAt.After(o.EffectiveAt):
			return probity.Errorf(probity.EINVALID, "ends_at: %s is not after the order takes effect (%s)", req.EndsAt, o.EffectiveAt.Format(time.RFC3339))
		case o.EndsAt.Sub(o.EffectiveAt) > probity.MaxOrderLength:
			return probity.Errorf(probity.EINVALID, "ends_at: at most two years after the order takes effect (%s); renew it with a new order", o.EffectiveAt.Add(probity.MaxOrderLength).Format(time.DateOnly))
		}
		if err := tx.InsertOrder(o); err != nil {
			return err
		}
		return b.logOrder(ctx, tx, probity.ActionOrderIssued, o)
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// newOrder checks a request's own fields, the citation and the
// restrictions (the order's scope) free of identifiers, the subject's
// above all.
func newOrder(req probity.OrderRequest, subject probity.Subject) (*probity.CourtOrder, error) {
	own := []probity.Subject{subject}
	if err := probity.CheckText("citation", req.Citation, 500, true, "the legal basis of the order (court, case, article)"); err != nil {
		return nil, err
	}
	if err := screenTexts(own, "citation", req.Citation); err != nil {
		return nil, err
	}
	if len(req.Restrictions) == 0 || len(req.Restrictions) > 20 {
		return nil, probity.Errorf(probity.EINVALID, "restrictions: name 1 to 20 restrictions, e.g. [\"no_new_credit\"]")
	}
	for i, r := range req.Restrictions {
		if !restrictionName.MatchString(r) {
			return nil, probity.Errorf(probity.EINVALID, "restrictions[%d]: %s is not a restriction name; want [a-z][a-z0-9_]{0,62}", i, probity.Quote(r))
		}
		if err := identity.ScreenText(fmt.Sprintf("restrictions[%d]", i), r, own...); err != nil {
			return nil, err
		}
	}
	ends, err := ParseTime(req.EndsAt)
	if err != nil {
		return nil, prefixed("ends_at", err)
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	return &probity.CourtOrder{ID: hex.EncodeToString(id), Domain: req.Domain, Citation: req.Citation,
		Restrictions: slices.Clone(req.Restrictions), EndsAt: ends}, nil
}

func (b *Bureau) logOrder(ctx context.Context, tx probity.Tx, action string, o *probity.CourtOrder) error {
	return b.log.Record(tx, probity.AuditLeaf{Actor: probity.ActorFromContext(ctx).ID, Action: action, Domain: o.Domain,
		Subject: &o.Subject, Ref: o.ID, Digest: audit.OrderDigest(o)})
}

// FulfillOrder lifts an order: the domain reports the obligation met.
func (b *Bureau) FulfillOrder(ctx context.Context, domain, id string) (*probity.CourtOrder, error) {
	if err := b.authorize(ctx, "lifting court orders", role(probity.RoleReporter, domain), role(probity.RoleAdmin, domain)); err != nil {
		return nil, err
	}
	var o *probity.CourtOrder
	err := b.store.Update(ctx, func(tx probity.Tx) error {
		var err error
		if o, err = tx.Order(domain, id); err != nil {
			return err
		}
		if err := tx.FulfillOrder(domain, id); err != nil {
			return err
		}
		o.FulfilledAt = tx.Now()
		return b.logOrder(ctx, tx, probity.ActionOrderFulfilled, o)
	})
	return o, err
}

// CheckRestriction answers a domain's reader whether a subject is under a
// restriction of any judicial domain: yes or no and the order's id, nothing
// more. Every check is an inquiry, logged in each judicial domain, which the
// subject sees.
func (b *Bureau) CheckRestriction(ctx context.Context, req probity.RestrictionCheck) (*probity.RestrictionAnswer, error) {
	a := probity.ActorFromContext(ctx)
	var readerOf []string
	if a.Principal != nil {
		readerOf = a.Principal.Domains(probity.RoleReader)
	}
	if len(readerOf) == 0 && !a.Local {
		return nil, b.authorize(ctx, "checking restrictions", role(probity.RoleReader, anyDomain))
	}
	subject, err := b.namedSubject(req.Subject)
	if err != nil {
		return nil, err
	}
	if !restrictionName.MatchString(req.Restriction) {
		return nil, probity.Errorf(probity.EINVALID, "restriction: %s is not a restriction name", probity.Quote(req.Restriction))
	}
	if err := screenTexts([]probity.Subject{subject}, "restriction", req.Restriction); err != nil {
		return nil, err // the log keeps what was asked
	}
	answer := &probity.RestrictionAnswer{}
	err = b.store.Update(ctx, func(tx probity.Tx) error {
		if err := checkPurpose(tx, readerOf, req.Purpose, a.Local); err != nil {
			return err
		}
		ids, err := tx.DomainIDs()
		if err != nil {
			return err
		}
		batch := b.log.Begin(tx)
		for _, id := range ids {
			_, cur, err := currentVersion(tx, id)
			if err != nil || cur.Spec.Category != "judicial" {
				if err != nil {
					return err
				}
				continue
			}
			pseudonym := b.keys.Pseudonym(id, subject)
			orders, err := tx.SubjectOrders(id, pseudonym)
			if err != nil {
				return err
			}
			for _, o := range orders {
				if o.ActiveAt(tx.Now()) && slices.Contains(o.Restrictions, req.Restriction) && !answer.Restricted {
					answer.Restricted, answer.Order = true, o.ID
				}
			}
			if err := batch.Add(probity.AuditLeaf{Actor: a.ID, Action: probity.ActionRestrictionCheck, Domain: id, Subject: &pseudonym,
				Purpose: req.Purpose, Ref: req.Restriction, Digest: audit.ReadDigest(answer)}); err != nil {
				return err
			}
		}
		return batch.Commit()
	})
	if err != nil {
		return nil, err
	}
	return answer, nil
}

// checkPurpose requires the purpose of a check to be one of the caller's
// domains' purposes.
func checkPurpose(tx probity.ReadTx, domains []string, purpose string, local bool) error {
	if local && purpose == "" {
		return nil
	}
	var allowed []string
	for _, d := range domains {
		_, cur, err := currentVersion(tx, d)
		if err != nil {
			continue
		}
		if cur.Spec.HasPurpose(purpose) {
			return nil
		}
		allowed = append(allowed, cur.Spec.Purposes...)
	}
	return probity.Errorf(probity.EINVALID, "purpose: required, one of your domains' purposes: %s", fmt.Sprint(strings.Join(allowed, ", ")))
}
