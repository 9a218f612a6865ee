package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

var (
	p1 = probity.Pseudonym{1}
	p2 = probity.Pseudonym{2}
	p3 = probity.Pseudonym{3}
)

func orderName(o *probity.CourtOrder) string     { return o.Domain + "/" + o.ID }
func consentName(g *probity.ConsentGrant) string { return g.Domain + "/" + g.ID }
func termName(t *probity.OfficialTerm) string    { return t.Domain + "/" + t.ID }
func disputeName(d *probity.Dispute) string      { return d.Domain + "/" + d.ID }

func testOrders(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	order := func(domain, id string, p probity.Pseudonym, issued time.Duration) *probity.CourtOrder {
		return &probity.CourtOrder{ID: id, Domain: domain, Subject: p, Citation: "Act 1 s." + id, Restrictions: []string{"travel", "credit"},
			IssuedAt: t0.Add(issued), EffectiveAt: t0.Add(issued + time.Hour), EndsAt: t0.Add(48 * time.Hour), IssuedBy: "judge " + id}
	}
	orders := []*probity.CourtOrder{order("j.test", "o2", p1, -2*time.Hour), order("j.test", "o1", p1, -time.Hour),
		order("a.test", "o3", p2, -3*time.Hour), order("j.test", "o0", p2, -4*time.Hour)}
	update(t, s, func(tx probity.Tx) error {
		for _, o := range orders {
			if err := tx.InsertOrder(o); err != nil {
				return err
			}
		}
		if err := tx.FulfillOrder("j.test", "o2"); err != nil {
			return err
		}
		for _, tc := range []struct{ name, domain, id string }{
			{"fulfilled already", "j.test", "o2"},
			{"missing", "j.test", "nope"},
			{"of another domain", "a.test", "o2"},
		} {
			wantCode(t, "FulfillOrder("+tc.name+")", tx.FulfillOrder(tc.domain, tc.id), probity.ECONFLICT)
		}
		return nil
	})
	view(t, s, func(tx probity.ReadTx) error {
		got, err := tx.Order("j.test", "o2")
		if err != nil {
			t.Fatal(err)
		}
		want := orders[0]
		if got.Subject != want.Subject || got.Citation != want.Citation || !slices.Equal(got.Restrictions, want.Restrictions) ||
			!got.IssuedAt.Equal(want.IssuedAt) || !got.EffectiveAt.Equal(want.EffectiveAt) || !got.EndsAt.Equal(want.EndsAt) || got.IssuedBy != want.IssuedBy {
			t.Fatalf("Order = %+v, want %+v", got, want)
		}
		if !got.FulfilledAt.Equal(t0) {
			t.Fatalf("FulfilledAt = %v, want the transaction's time %v", got.FulfilledAt, t0)
		}
		if o, err := tx.Order("j.test", "o1"); err != nil || !o.FulfilledAt.IsZero() {
			t.Fatalf("Order(unfulfilled) = %+v, %v; want a zero FulfilledAt", o, err)
		}
		wantCode(t, "Order(missing)", second(tx.Order("j.test", "nope")), probity.ENOTFOUND)
		wantCode(t, "Order(other domain)", second(tx.Order("a.test", "o2")), probity.ENOTFOUND)

		mine, err := tx.SubjectOrders("j.test", p1)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(mine, func(a, b probity.CourtOrder) int { return strings.Compare(a.ID, b.ID) })
		if got, want := joined(mine, func(o probity.CourtOrder) string { return o.ID }), "o1,o2"; got != want {
			t.Fatalf("SubjectOrders = %s, want %s (the subject's, in that domain)", got, want)
		}
		if none, err := tx.SubjectOrders("j.test", p3); err != nil || len(none) != 0 {
			t.Fatalf("SubjectOrders(no orders) = %v, %v; want empty, nil", none, err)
		}
		if got, want := collect(t, tx.OrderRows, orderName), "a.test/o3,j.test/o0,j.test/o1,j.test/o2"; got != want {
			t.Fatalf("OrderRows = %s, want %s (domain and id order)", got, want)
		}
		return nil
	})
}

func testConsents(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	grant := func(domain, id string, p probity.Pseudonym, created time.Duration) *probity.ConsentGrant {
		return &probity.ConsentGrant{ID: id, Domain: domain, Subject: p, Grantee: "b.test", Purpose: "lending " + id,
			Until: t0.Add(24 * time.Hour), CreatedAt: t0.Add(created)}
	}
	grants := []*probity.ConsentGrant{grant("a.test", "c2", p1, -2*time.Hour), grant("a.test", "c1", p1, -time.Hour),
		grant("a.test", "c3", p1, -3*time.Hour), grant("b.test", "c0", p1, -4*time.Hour), grant("a.test", "c4", p2, -5*time.Hour)}
	update(t, s, func(tx probity.Tx) error {
		for _, g := range grants {
			if err := tx.InsertConsent(g); err != nil {
				return err
			}
		}
		if err := tx.RevokeConsent("a.test", "c2"); err != nil {
			return err
		}
		wantCode(t, "RevokeConsent(revoked already)", tx.RevokeConsent("a.test", "c2"), probity.ECONFLICT)
		return nil
	})
	view(t, s, func(tx probity.ReadTx) error {
		got, err := tx.Consent("a.test", "c2")
		if err != nil {
			t.Fatal(err)
		}
		want := grants[0]
		if got.Subject != want.Subject || got.Grantee != want.Grantee || got.Purpose != want.Purpose ||
			!got.Until.Equal(want.Until) || !got.CreatedAt.Equal(want.CreatedAt) {
			t.Fatalf("Consent = %+v, want %+v", got, want)
		}
		if !got.RevokedAt.Equal(t0) {
			t.Fatalf("RevokedAt = %v, want the transaction's time %v", got.RevokedAt, t0)
		}
		if g, err := tx.Consent("a.test", "c1"); err != nil || !g.RevokedAt.IsZero() {
			t.Fatalf("Consent(live) = %+v, %v; want a zero RevokedAt", g, err)
		}
		wantCode(t, "Consent(missing)", second(tx.Consent("a.test", "nope")), probity.ENOTFOUND)
		wantCode(t, "Consent(other domain)", second(tx.Consent("b.test", "c2")), probity.ENOTFOUND)

		mine, err := tx.SubjectConsents("a.test", p1)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := joined(mine, func(g probity.ConsentGrant) string { return g.ID }), "c3,c2,c1"; got != want {
			t.Fatalf("SubjectConsents = %s, want %s (oldest first)", got, want)
		}
		if none, err := tx.SubjectConsents("a.test", p3); err != nil || len(none) != 0 {
			t.Fatalf("SubjectConsents(no grants) = %v, %v; want empty, nil", none, err)
		}
		if got, want := collect(t, tx.ConsentRows, consentName), "a.test/c1,a.test/c2,a.test/c3,a.test/c4,b.test/c0"; got != want {
			t.Fatalf("ConsentRows = %s, want %s (domain and id order)", got, want)
		}
		return nil
	})
}

func testTerms(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	terms := []*probity.OfficialTerm{
		{ID: "t2", Domain: "a.test", Subject: p1, Office: "mayor", From: t0.Add(-48 * time.Hour), To: t0.Add(-24 * time.Hour)},
		{ID: "t1", Domain: "a.test", Subject: p2, Office: "judge", From: t0.Add(-12 * time.Hour)},
		{ID: "t3", Domain: "a.test", Subject: p1, Office: "minister", From: t0.Add(-72 * time.Hour)},
		{ID: "t0", Domain: "b.test", Subject: p1, Office: "mayor", From: t0.Add(-96 * time.Hour)},
	}
	update(t, s, func(tx probity.Tx) error {
		for _, term := range terms {
			if err := tx.InsertTerm(term); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx probity.ReadTx) error {
		mine, err := tx.SubjectTerms("a.test", p1)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(mine, func(a, b probity.OfficialTerm) int { return a.From.Compare(b.From) })
		if got, want := joined(mine, func(o probity.OfficialTerm) string { return o.ID }), "t3,t2"; got != want {
			t.Fatalf("SubjectTerms = %s, want %s (the subject's, in that domain)", got, want)
		}
		if got, want := mine[1], terms[0]; got.Office != want.Office || got.Subject != want.Subject || !got.From.Equal(want.From) || !got.To.Equal(want.To) {
			t.Fatalf("term round trip = %+v, want %+v", got, want)
		}
		if !mine[0].To.IsZero() {
			t.Fatalf("ongoing term To = %v, want zero", mine[0].To)
		}
		if none, err := tx.SubjectTerms("a.test", p3); err != nil || len(none) != 0 {
			t.Fatalf("SubjectTerms(no terms) = %v, %v; want empty, nil", none, err)
		}
		all, err := tx.DomainTerms("a.test")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := joined(all, func(o probity.OfficialTerm) string { return o.ID }), "t3,t2,t1"; got != want {
			t.Fatalf("DomainTerms = %s, want %s (oldest first)", got, want)
		}
		if none, err := tx.DomainTerms("none.test"); err != nil || len(none) != 0 {
			t.Fatalf("DomainTerms(no terms) = %v, %v; want empty, nil", none, err)
		}
		if got, want := collect(t, tx.TermRows, termName), "a.test/t1,a.test/t2,a.test/t3,b.test/t0"; got != want {
			t.Fatalf("TermRows = %s, want %s (domain and id order)", got, want)
		}
		return nil
	})
}

// second returns the error of a two-value call.
func second[T any](_ T, err error) error { return err }
