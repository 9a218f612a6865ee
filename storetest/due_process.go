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

func testDisputeQueues(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	dispute := func(domain, id string, p probity.Pseudonym, filed time.Duration) *probity.Dispute {
		return &probity.Dispute{ID: id, Domain: domain, Subject: p, EventKey: "k" + id, Reason: "wrong " + id,
			FiledAt: t0.Add(filed), DueAt: t0.Add(filed + 24*time.Hour), Status: probity.DisputeOpen}
	}
	disputes := []*probity.Dispute{dispute("a.test", "d2", p1, -3*time.Hour), dispute("a.test", "d1", p2, -2*time.Hour),
		dispute("a.test", "d3", p1, -time.Hour), dispute("b.test", "d0", p1, -4*time.Hour)}
	update(t, s, func(tx probity.Tx) error {
		for _, d := range disputes {
			if err := tx.InsertDispute(d); err != nil {
				return err
			}
		}
		r := *disputes[1]
		r.Status, r.ResolvedAt, r.Reviewer, r.Resolution = probity.DisputeRejected, t0, "rev", "the entry is right"
		if err := tx.ResolveDispute(&r); err != nil {
			return err
		}
		r.Status = probity.DisputeUpheld
		wantCode(t, "ResolveDispute(rejected already)", tx.ResolveDispute(&r), probity.ECONFLICT)
		return nil
	})
	name := func(d probity.Dispute) string { return d.ID }
	view(t, s, func(tx probity.ReadTx) error {
		got, err := tx.Dispute("a.test", "d1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != probity.DisputeRejected || !got.ResolvedAt.Equal(t0) || got.Reviewer != "rev" || got.Resolution != "the entry is right" ||
			got.EventKey != "kd1" || got.Reason != "wrong d1" || !got.FiledAt.Equal(disputes[1].FiledAt) || !got.DueAt.Equal(disputes[1].DueAt) {
			t.Fatalf("Dispute(resolved) = %+v", got)
		}
		if open, err := tx.Dispute("a.test", "d2"); err != nil || !open.ResolvedAt.IsZero() || open.Status != probity.DisputeOpen {
			t.Fatalf("Dispute(open) = %+v, %v; want open with a zero ResolvedAt", open, err)
		}
		wantCode(t, "Dispute(other domain)", second(tx.Dispute("b.test", "d1")), probity.ENOTFOUND)
		for _, tc := range []struct {
			name string
			list func() ([]probity.Dispute, error)
			want string
		}{
			{"OpenDisputes", func() ([]probity.Dispute, error) { return tx.OpenDisputes("a.test") }, "d2,d3"},
			{"OpenDisputes(none)", func() ([]probity.Dispute, error) { return tx.OpenDisputes("none.test") }, ""},
			{"DomainDisputes", func() ([]probity.Dispute, error) { return tx.DomainDisputes("a.test") }, "d2,d1,d3"},
			{"DomainDisputes(none)", func() ([]probity.Dispute, error) { return tx.DomainDisputes("none.test") }, ""},
			{"SubjectDisputes", func() ([]probity.Dispute, error) { return tx.SubjectDisputes("a.test", p1) }, "d2,d3"},
			{"SubjectDisputes(none)", func() ([]probity.Dispute, error) { return tx.SubjectDisputes("a.test", p3) }, ""},
		} {
			list, err := tc.list()
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if got := joined(list, name); got != tc.want {
				t.Errorf("%s = %q, want %q (oldest first)", tc.name, got, tc.want)
			}
		}
		if got, want := collect(t, tx.DisputeRows, disputeName), "a.test/d1,a.test/d2,a.test/d3,b.test/d0"; got != want {
			t.Fatalf("DisputeRows = %s, want %s (domain and id order)", got, want)
		}
		return nil
	})
}

func testOptOutCycle(t *testing.T, open Open) {
	c := &clock{t: t0}
	s := open(t, c.now)
	update(t, s, func(tx probity.Tx) error {
		for _, o := range []struct {
			domain string
			p      probity.Pseudonym
		}{{"b.test", p2}, {"a.test", p3}, {"a.test", p1}} {
			if err := tx.SetOptOut(o.domain, o.p); err != nil {
				return err
			}
		}
		return nil
	})
	name := func(o *probity.OptOut) string { return o.Domain + "/" + o.Subject.String()[:2] }
	view(t, s, func(tx probity.ReadTx) error {
		if got, want := collect(t, tx.OptOutRows, name), "a.test/01,a.test/03,b.test/02"; got != want {
			t.Fatalf("OptOutRows = %s, want %s (domain and pseudonym order)", got, want)
		}
		return tx.OptOutRows(func(o *probity.OptOut) error {
			if !o.Since.Equal(t0) {
				t.Fatalf("OptOutRows since = %v, want %v", o.Since, t0)
			}
			return nil
		})
	})
	later := t0.Add(time.Hour)
	c.set(later)
	update(t, s, func(tx probity.Tx) error {
		if err := tx.ClearOptOut("a.test", p3); err != nil {
			return err
		}
		wantCode(t, "ClearOptOut(back in already)", tx.ClearOptOut("a.test", p3), probity.ECONFLICT)
		wantCode(t, "ClearOptOut(out of another domain only)", tx.ClearOptOut("a.test", p2), probity.ECONFLICT)
		if _, out, err := tx.OptedOut("a.test", p3); err != nil || out {
			t.Fatalf("OptedOut after ClearOptOut = %v, %v; want false", out, err)
		}
		return tx.SetOptOut("b.test", p3)
	})
	view(t, s, func(tx probity.ReadTx) error {
		if since, out, err := tx.OptedOut("b.test", p3); err != nil || !out || !since.Equal(later) {
			t.Fatalf("OptedOut = %v, %v, %v; want since %v", since, out, err, later)
		}
		if _, out, err := tx.OptedOut("a.test", p3); err != nil || out {
			t.Fatalf("OptedOut(cleared) = %v, %v; want false", out, err)
		}
		if got, want := collect(t, tx.OptOutRows, name), "a.test/01,b.test/02,b.test/03"; got != want {
			t.Fatalf("OptOutRows = %s, want %s", got, want)
		}
		return nil
	})
}

func testPrincipalList(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	subject := probity.Pseudonym{5}
	principals := []*probity.Principal{
		{ID: "b", Name: "desk", Grants: []probity.Grant{{Role: probity.RoleOperator}}, CreatedAt: t0.Add(-time.Hour), CreatedBy: "x", SecretHash: []byte{2}},
		{ID: "a", Name: "tax office", Government: true, Grants: []probity.Grant{{Role: probity.RoleReader, Domain: "tax.test"}, {Role: probity.RoleReviewer, Domain: "tax.test"}},
			CreatedAt: t0.Add(-2 * time.Hour), CreatedBy: "b", SecretHash: []byte{1}},
		{ID: "c", Name: "subject", SubjectToken: true, Subject: &subject, CreatedAt: t0.Add(-30 * time.Minute), CreatedBy: "b",
			ExpiresAt: t0.Add(time.Hour), SecretHash: []byte{3, 4}},
	}
	update(t, s, func(tx probity.Tx) error {
		for _, p := range principals {
			if err := tx.InsertPrincipal(p); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx probity.ReadTx) error {
		all, err := tx.Principals()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := joined(all, func(p probity.Principal) string { return p.ID }), "a,b,c"; got != want {
			t.Fatalf("Principals = %s, want %s (oldest first)", got, want)
		}
		a := all[0]
		if !a.Government || a.GrantList() != "reader:tax.test, reviewer:tax.test" || a.Subject != nil || a.SubjectToken || !a.ExpiresAt.IsZero() || !a.RevokedAt.IsZero() {
			t.Fatalf("Principals[0] = %+v", a)
		}
		c, err := tx.Principal("c")
		if err != nil {
			t.Fatal(err)
		}
		if !c.SubjectToken || c.Subject == nil || *c.Subject != subject || len(c.Grants) != 0 || string(c.SecretHash) != "\x03\x04" ||
			c.CreatedBy != "b" || !c.CreatedAt.Equal(principals[2].CreatedAt) || !c.ExpiresAt.Equal(principals[2].ExpiresAt) {
			t.Fatalf("Principal(subject token) = %+v", c)
		}
		wantCode(t, "Principal(missing)", second(tx.Principal("nope")), probity.ENOTFOUND)
		return nil
	})
}
