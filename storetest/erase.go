package storetest

import (
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

// holdings stores, for a subject in a domain, entries (one of them retracted
// later), a dispute, a consent grant, an opt-out and an official term; the
// ids end with tag.
func holdings(tx probity.Tx, domain string, p probity.Pseudonym, tag string, entries int) error {
	var events []*probity.Event
	var points [][]probity.Points
	for i := range entries {
		e := testEvent(tag+"-k"+string(rune('0'+i)), p[0], t0.Add(-time.Duration(i+1)*time.Hour))
		e.Domain = domain
		events = append(events, e)
		points = append(points, []probity.Points{{Version: 1, Raw: 1}})
	}
	if ok, err := tx.InsertEvents(events, points); err != nil {
		return err
	} else if len(ok) != entries {
		return probity.Errorf(probity.EINTERNAL, "InsertEvents returned %d results, want %d", len(ok), entries)
	}
	if err := tx.InsertDispute(&probity.Dispute{ID: tag + "-d", Domain: domain, Subject: p, EventKey: events[0].Key, Reason: "r",
		FiledAt: t0, DueAt: t0.Add(time.Hour), Status: probity.DisputeOpen}); err != nil {
		return err
	}
	if err := tx.InsertConsent(&probity.ConsentGrant{ID: tag + "-c", Domain: domain, Subject: p, Grantee: "g.test", Purpose: "x",
		Until: t0.Add(time.Hour), CreatedAt: t0}); err != nil {
		return err
	}
	if err := tx.InsertTerm(&probity.OfficialTerm{ID: tag + "-t", Domain: domain, Subject: p, Office: "mayor", From: t0.Add(-time.Hour)}); err != nil {
		return err
	}
	return tx.SetOptOut(domain, p)
}

// held counts what a domain holds about a subject, as its readers see it.
type held struct {
	entries, retracted, disputes, consents, terms int
	optedOut                                      bool
}

func holding(tb testing.TB, tx probity.ReadTx, domain string, p probity.Pseudonym) held {
	tb.Helper()
	var h held
	var err error
	check := func(n int, e error) int {
		if e != nil && err == nil {
			err = e
		}
		return n
	}
	evs, e := tx.SubjectEvents(domain, p, 1, t0)
	h.entries = check(len(evs), e)
	r, e := tx.RetractedEvents(domain, p)
	h.retracted = check(len(r), e)
	ds, e := tx.SubjectDisputes(domain, p)
	h.disputes = check(len(ds), e)
	cs, e := tx.SubjectConsents(domain, p)
	h.consents = check(len(cs), e)
	ts, e := tx.SubjectTerms(domain, p)
	h.terms = check(len(ts), e)
	_, h.optedOut, e = tx.OptedOut(domain, p)
	check(0, e)
	if err != nil {
		tb.Fatalf("reading what %s holds about %s: %v", domain, p, err)
	}
	return h
}

func testEraseSubject(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	update(t, s, func(tx probity.Tx) error {
		for _, h := range []struct {
			domain, tag string
			p           probity.Pseudonym
			entries     int
		}{{"a.test", "mine", p1, 3}, {"a.test", "theirs", p2, 2}, {"b.test", "elsewhere", p1, 2}} {
			if err := holdings(tx, h.domain, h.p, h.tag, h.entries); err != nil {
				return err
			}
		}
		return tx.RetractEvent("a.test", "mine-k2")
	})
	full := held{entries: 2, retracted: 0, disputes: 1, consents: 1, terms: 1, optedOut: true}
	view(t, s, func(tx probity.ReadTx) error {
		if got, want := holding(t, tx, "a.test", p1), (held{entries: 2, retracted: 1, disputes: 1, consents: 1, terms: 1, optedOut: true}); got != want {
			t.Fatalf("before erasure a.test holds %+v, want %+v", got, want)
		}
		return nil
	})
	update(t, s, func(tx probity.Tx) error {
		n, err := tx.EraseSubject("a.test", p1)
		if err != nil {
			return err
		}
		if got, want := n, 3; got != want {
			t.Fatalf("EraseSubject = %d entries, want %d (the retracted one included)", got, want)
		}
		if n, err := tx.EraseSubject("a.test", p1); err != nil || n != 0 {
			t.Fatalf("EraseSubject again = %d, %v; want 0, nil", n, err)
		}
		if n, err := tx.EraseSubject("a.test", p3); err != nil || n != 0 {
			t.Fatalf("EraseSubject(unknown subject) = %d, %v; want 0, nil", n, err)
		}
		return nil
	})
	view(t, s, func(tx probity.ReadTx) error {
		if got, want := holding(t, tx, "a.test", p1), (held{}); got != want {
			t.Fatalf("after erasure a.test holds %+v about the subject, want nothing", got)
		}
		for _, key := range []string{"mine-k0", "mine-k1", "mine-k2"} {
			wantCode(t, "EventByKey(erased "+key+")", second(tx.EventByKey("a.test", key)), probity.ENOTFOUND)
		}
		wantCode(t, "Dispute(erased)", second(tx.Dispute("a.test", "mine-d")), probity.ENOTFOUND)
		wantCode(t, "Consent(erased)", second(tx.Consent("a.test", "mine-c")), probity.ENOTFOUND)
		if got, want := holding(t, tx, "a.test", p2), full; got != want {
			t.Fatalf("erasure touched another subject: a.test holds %+v, want %+v", got, want)
		}
		if got, want := holding(t, tx, "b.test", p1), full; got != want {
			t.Fatalf("erasure touched another domain: b.test holds %+v, want %+v", got, want)
		}
		terms, err := tx.DomainTerms("a.test")
		if err != nil || len(terms) != 1 || terms[0].ID != "theirs-t" {
			t.Fatalf("DomainTerms after erasure = %v, %v; want only theirs-t", terms, err)
		}
		if got, want := collect(t, tx.EventRows, func(e *probity.EventRow) string { return e.Domain + "/" + e.Key }),
			"a.test/theirs-k0,a.test/theirs-k1,b.test/elsewhere-k0,b.test/elsewhere-k1"; got != want {
			t.Fatalf("EventRows after erasure = %s, want %s", got, want)
		}
		return nil
	})
}
