package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

// clock is a settable time source for a store, in UTC.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// ticking returns a time source that moves one second on at every call, so
// that a store reading the clock more than once per transaction is caught.
func ticking(start time.Time) func() time.Time {
	var mu sync.Mutex
	n := 0
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		n++
		return start.Add(time.Duration(n) * time.Second)
	}
}

// joined lists items as "a,b,c", naming each with name.
func joined[T any](items []T, name func(T) string) string {
	names := make([]string, len(items))
	for i, it := range items {
		names[i] = name(it)
	}
	return strings.Join(names, ",")
}

// collect gathers what a Rows method passes to fn, naming each item.
func collect[T any](tb testing.TB, rows func(func(*T) error) error, name func(*T) string) string {
	tb.Helper()
	var names []string
	if err := rows(func(v *T) error { names = append(names, name(v)); return nil }); err != nil {
		tb.Fatal(err)
	}
	return strings.Join(names, ",")
}

// wantCode fails unless err carries code.
func wantCode(tb testing.TB, what string, err error, code string) {
	tb.Helper()
	if got := probity.ErrorCode(err); got != code {
		tb.Fatalf("%s = %v, want %s", what, err, code)
	}
}

// testStamps checks that every write stamped "at the transaction's time"
// uses the Now fixed when the transaction began, however often the store's
// clock is read afterwards.
func testStamps(t *testing.T, open Open) {
	s := open(t, ticking(t0))
	p := probity.Pseudonym{4}
	update(t, s, func(tx probity.Tx) error {
		if _, err := tx.InsertEvents([]*probity.Event{testEvent("k", 4, t0)}, [][]probity.Points{{{Version: 1, Raw: 1}}}); err != nil {
			return err
		}
		if err := tx.InsertOrder(&probity.CourtOrder{ID: "o", Domain: "a.test", Subject: p, Citation: "c", Restrictions: []string{"r"},
			IssuedAt: t0, EffectiveAt: t0, EndsAt: t0.Add(time.Hour), IssuedBy: "j"}); err != nil {
			return err
		}
		if err := tx.InsertConsent(&probity.ConsentGrant{ID: "c", Domain: "a.test", Subject: p, Grantee: "b.test", Purpose: "x", Until: t0.Add(time.Hour), CreatedAt: t0}); err != nil {
			return err
		}
		return tx.InsertPrincipal(&probity.Principal{ID: "p", Name: "n", CreatedAt: t0, CreatedBy: "t", SecretHash: []byte{1}})
	})
	var at time.Time
	update(t, s, func(tx probity.Tx) error {
		at = tx.Now()
		for _, write := range []func() error{
			func() error { return tx.RetractEvent("a.test", "k") },
			func() error { return tx.FulfillOrder("a.test", "o") },
			func() error { return tx.RevokeConsent("a.test", "c") },
			func() error { return tx.SetOptOut("a.test", p) },
			func() error { return tx.RevokePrincipal("p") },
		} {
			if err := write(); err != nil {
				return err
			}
			if !tx.Now().Equal(at) {
				t.Fatalf("Now moved within a transaction: %v, then %v", at, tx.Now())
			}
		}
		return nil
	})
	view(t, s, func(tx probity.ReadTx) error {
		if !tx.Now().After(at) {
			t.Fatalf("View Now = %v, want after the earlier Update's %v", tx.Now(), at)
		}
		r, err := tx.RetractedEvents("a.test", p)
		if err != nil || len(r) != 1 {
			t.Fatalf("RetractedEvents = %v, %v; want one", r, err)
		}
		o, err := tx.Order("a.test", "o")
		if err != nil {
			t.Fatal(err)
		}
		c, err := tx.Consent("a.test", "c")
		if err != nil {
			t.Fatal(err)
		}
		since, out, err := tx.OptedOut("a.test", p)
		if err != nil || !out {
			t.Fatalf("OptedOut = %v, %v; want out", out, err)
		}
		pr, err := tx.Principal("p")
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			got  time.Time
		}{
			{"RetractEvent", r[0].RetractedAt}, {"FulfillOrder", o.FulfilledAt}, {"RevokeConsent", c.RevokedAt},
			{"SetOptOut", since}, {"RevokePrincipal", pr.RevokedAt},
		} {
			if !tc.got.Equal(at) {
				t.Errorf("%s stamped %v, want the transaction's Now %v", tc.name, tc.got, at)
			}
		}
		return nil
	})
}

// testSnapshot checks that a View sees one snapshot: a write committed while
// it runs is not visible to it.
func testSnapshot(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	update(t, s, func(tx probity.Tx) error {
		_, err := tx.InsertEvents([]*probity.Event{testEvent("before", 1, t0)}, [][]probity.Points{{{Version: 1, Raw: 1}}})
		return err
	})
	done := make(chan error, 1)
	var werr error
	waited := false
	err := s.View(context.Background(), func(tx probity.ReadTx) error {
		if _, err := tx.EventByKey("a.test", "before"); err != nil {
			return err
		}
		go func() {
			done <- s.Update(context.Background(), func(tx probity.Tx) error {
				_, err := tx.InsertEvents([]*probity.Event{testEvent("during", 1, t0)}, [][]probity.Points{{{Version: 1, Raw: 1}}})
				return err
			})
		}()
		select {
		case werr = <-done:
			waited = true
			if werr != nil {
				return werr
			}
		case <-time.After(5 * time.Second):
			t.Log("the write waits for the read to end: a snapshot by exclusion")
		}
		if _, err := tx.EventByKey("a.test", "during"); probity.ErrorCode(err) != probity.ENOTFOUND {
			t.Errorf("a View saw a write committed after it began: EventByKey = %v, want ENOTFOUND", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !waited {
		werr = <-done
	}
	if werr != nil {
		t.Fatal(werr)
	}
	view(t, s, func(tx probity.ReadTx) error {
		if _, err := tx.EventByKey("a.test", "during"); err != nil {
			t.Fatalf("EventByKey after the write = %v", err)
		}
		return nil
	})
}

// testRowsStop checks that every method that calls fn per row stops at fn's
// first error and returns it.
func testRowsStop(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	update(t, s, func(tx probity.Tx) error {
		return populate(tx, []probity.Pseudonym{{1}, {2}})
	})
	stop := errors.New("stop")
	tests := []struct {
		name string
		call func(tx probity.ReadTx, fn func() error) error
	}{
		{"ScanEvents", func(tx probity.ReadTx, fn func() error) error {
			return tx.ScanEvents("a.test", func(*probity.Event) error { return fn() })
		}},
		{"OptOutRows", func(tx probity.ReadTx, fn func() error) error {
			return tx.OptOutRows(func(*probity.OptOut) error { return fn() })
		}},
		{"OrderRows", func(tx probity.ReadTx, fn func() error) error {
			return tx.OrderRows(func(*probity.CourtOrder) error { return fn() })
		}},
		{"ConsentRows", func(tx probity.ReadTx, fn func() error) error {
			return tx.ConsentRows(func(*probity.ConsentGrant) error { return fn() })
		}},
		{"TermRows", func(tx probity.ReadTx, fn func() error) error {
			return tx.TermRows(func(*probity.OfficialTerm) error { return fn() })
		}},
		{"DisputeRows", func(tx probity.ReadTx, fn func() error) error {
			return tx.DisputeRows(func(*probity.Dispute) error { return fn() })
		}},
		{"Leaves", func(tx probity.ReadTx, fn func() error) error {
			return tx.Leaves("a.test", 0, 10, func(*probity.AuditEntry) error { return fn() })
		}},
		{"Checkpoints", func(tx probity.ReadTx, fn func() error) error {
			return tx.Checkpoints("a.test", func(*probity.Checkpoint) error { return fn() })
		}},
		{"SpecRows", func(tx probity.ReadTx, fn func() error) error {
			return tx.SpecRows(func(*probity.SpecRow) error { return fn() })
		}},
		{"EventRows", func(tx probity.ReadTx, fn func() error) error {
			return tx.EventRows(func(*probity.EventRow) error { return fn() })
		}},
	}
	view(t, s, func(tx probity.ReadTx) error {
		for _, tc := range tests {
			calls := 0
			err := tc.call(tx, func() error { calls++; return stop })
			if !errors.Is(err, stop) {
				t.Errorf("%s = %v, want fn's error", tc.name, err)
			}
			if got, want := calls, 1; got != want {
				t.Errorf("%s called fn %d times after its error, want %d", tc.name, got, want)
			}
		}
		return nil
	})
}

// populate stores at least two rows of every kind (two spec versions and
// checkpoints; per subject, in a.test, one of each other row), so
// that a scan has something to stop on.
func populate(tx probity.Tx, subjects []probity.Pseudonym) error {
	for i, d := range []string{"a.test", "b.test"} {
		if err := tx.InsertSpecVersion(&probity.SpecVersion{Domain: d, Version: 1, Digest: "d", AppliedAt: t0, EffectiveAt: t0, Spec: testSpec(d)}); err != nil {
			return err
		}
		if err := tx.InsertCheckpoint(&probity.Checkpoint{Log: "a.test", Size: uint64(i + 1), Root: hash([]byte(d)), At: t0, Note: d + "\n"}); err != nil {
			return err
		}
	}
	for i, p := range subjects {
		id := string(rune('a' + i))
		e := testEvent("k"+id, p[0], t0)
		if _, err := tx.InsertEvents([]*probity.Event{e}, [][]probity.Points{{{Version: 1, Raw: 1}}}); err != nil {
			return err
		}
		if err := tx.SetOptOut("a.test", p); err != nil {
			return err
		}
		if err := tx.InsertOrder(&probity.CourtOrder{ID: "o" + id, Domain: "a.test", Subject: p, Citation: "c", Restrictions: []string{"r"},
			IssuedAt: t0, EffectiveAt: t0, EndsAt: t0.Add(time.Hour), IssuedBy: "j"}); err != nil {
			return err
		}
		if err := tx.InsertConsent(&probity.ConsentGrant{ID: "c" + id, Domain: "a.test", Subject: p, Grantee: "b.test", Purpose: "x",
			Until: t0.Add(time.Hour), CreatedAt: t0}); err != nil {
			return err
		}
		if err := tx.InsertTerm(&probity.OfficialTerm{ID: "t" + id, Domain: "a.test", Subject: p, Office: "mayor", From: t0}); err != nil {
			return err
		}
		if err := tx.InsertDispute(&probity.Dispute{ID: "d" + id, Domain: "a.test", Subject: p, EventKey: e.Key, Reason: "r",
			FiledAt: t0, DueAt: t0.Add(time.Hour), Status: probity.DisputeOpen}); err != nil {
			return err
		}
		if _, err := appendLeaves(tx, []probity.AuditLeaf{{At: t0, Actor: "x", Action: probity.ActionScoreRead, Domain: "a.test", Subject: &p}}, hash); err != nil {
			return err
		}
	}
	return nil
}
