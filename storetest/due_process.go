package storetest

import (
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

func testPrincipals(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	p := &probity.Principal{ID: "0011223344556677", Name: "desk", Grants: []probity.Grant{{Role: probity.RoleReader, Domain: "a.test"}},
		CreatedAt: t0, CreatedBy: "test", ExpiresAt: t0.Add(time.Hour), SecretHash: []byte{1, 2, 3}}
	update(t, s, func(tx probity.Tx) error {
		if err := tx.InsertPrincipal(p); err != nil {
			return err
		}
		if err := tx.InsertPrincipal(p); probity.ErrorCode(err) != probity.ECONFLICT {
			t.Fatalf("InsertPrincipal(same id) = %v, want ECONFLICT", err)
		}
		if err := tx.RevokePrincipal("nope"); probity.ErrorCode(err) != probity.ENOTFOUND {
			t.Fatalf("RevokePrincipal(missing) = %v, want ENOTFOUND", err)
		}
		if err := tx.RevokePrincipal(p.ID); err != nil {
			return err
		}
		if err := tx.RevokePrincipal(p.ID); probity.ErrorCode(err) != probity.ECONFLICT {
			t.Fatalf("RevokePrincipal(revoked) = %v, want ECONFLICT", err)
		}
		return nil
	})
	view(t, s, func(tx probity.ReadTx) error {
		got, err := tx.Principal(p.ID)
		if err != nil || got.Name != "desk" || !got.Has(probity.RoleReader, "a.test") || !got.RevokedAt.Equal(t0) || !got.ExpiresAt.Equal(p.ExpiresAt) {
			t.Fatalf("Principal = %+v, %v", got, err)
		}
		if all, err := tx.Principals(); err != nil || len(all) != 1 {
			t.Fatalf("Principals = %d, %v", len(all), err)
		}
		return nil
	})
}

func testOptOuts(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	p := probity.Pseudonym{9}
	update(t, s, func(tx probity.Tx) error {
		if err := tx.SetOptOut("a.test", p); err != nil {
			return err
		}
		if err := tx.SetOptOut("a.test", p); probity.ErrorCode(err) != probity.ECONFLICT {
			t.Fatalf("SetOptOut twice = %v, want ECONFLICT", err)
		}
		if err := tx.ClearOptOut("b.test", p); probity.ErrorCode(err) != probity.ECONFLICT {
			t.Fatalf("ClearOptOut(not out) = %v, want ECONFLICT", err)
		}
		return nil
	})
	view(t, s, func(tx probity.ReadTx) error {
		since, out, err := tx.OptedOut("a.test", p)
		if err != nil || !out || !since.Equal(t0) {
			t.Fatalf("OptedOut = %v %v %v", since, out, err)
		}
		if _, out, _ := tx.OptedOut("b.test", p); out {
			t.Fatal("opted out of a domain never left")
		}
		return nil
	})
}

func testDisputes(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	d := &probity.Dispute{ID: "d1", Domain: "a.test", Subject: probity.Pseudonym{1}, EventKey: "k", Reason: "wrong",
		FiledAt: t0, DueAt: t0.Add(time.Hour), Status: probity.DisputeOpen}
	update(t, s, func(tx probity.Tx) error {
		if _, err := tx.InsertEvents([]*probity.Event{testEvent("k", 1, t0)}, [][]probity.Points{{{Version: 1, Raw: 1}}}); err != nil {
			return err
		}
		if err := tx.InsertDispute(d); err != nil {
			return err
		}
		if open, err := tx.OpenDisputes("a.test"); err != nil || len(open) != 1 || open[0].Reason != "wrong" || !open[0].DueAt.Equal(d.DueAt) {
			t.Fatalf("OpenDisputes = %+v, %v", open, err)
		}
		d.Status, d.ResolvedAt, d.Reviewer, d.Resolution = probity.DisputeUpheld, t0, "r", "ok"
		if err := tx.ResolveDispute(d); err != nil {
			return err
		}
		if err := tx.ResolveDispute(d); probity.ErrorCode(err) != probity.ECONFLICT {
			t.Fatalf("ResolveDispute(resolved) = %v, want ECONFLICT", err)
		}
		if err := tx.RetractEvent("a.test", "k"); err != nil {
			return err
		}
		if err := tx.RetractEvent("a.test", "k"); probity.ErrorCode(err) != probity.ECONFLICT {
			t.Fatalf("RetractEvent twice = %v, want ECONFLICT", err)
		}
		return nil
	})
	view(t, s, func(tx probity.ReadTx) error {
		if got, err := tx.Dispute("a.test", "d1"); err != nil || got.Status != probity.DisputeUpheld || got.Subject != d.Subject {
			t.Fatalf("Dispute = %+v, %v", got, err)
		}
		if _, err := tx.Dispute("a.test", "nope"); probity.ErrorCode(err) != probity.ENOTFOUND {
			t.Fatalf("Dispute(missing) = %v, want ENOTFOUND", err)
		}
		if evs, err := tx.SubjectEvents("a.test", probity.Pseudonym{1}, 1, t0); err != nil || len(evs) != 0 {
			t.Fatalf("SubjectEvents after retraction = %d, %v; want none", len(evs), err)
		}
		if mine, err := tx.SubjectDisputes("a.test", probity.Pseudonym{1}); err != nil || len(mine) != 1 {
			t.Fatalf("SubjectDisputes = %d, %v", len(mine), err)
		}
		return nil
	})
}
