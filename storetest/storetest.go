// Package storetest is the conformance suite every probity.Store backend
// runs: each store method and each error contract documented on the
// interfaces of the root package.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

// Open returns a new, empty store whose transactions begin at now().
type Open func(tb testing.TB, now func() time.Time) probity.Store

// RunAll runs every conformance test against the backend.
func RunAll(t *testing.T, open Open) {
	t.Run("SpecVersions", func(t *testing.T) { testSpecVersions(t, open) })
	t.Run("Events", func(t *testing.T) { testEvents(t, open) })
	t.Run("SubjectEvents", func(t *testing.T) { testSubjectEvents(t, open) })
	t.Run("Rollback", func(t *testing.T) { testRollback(t, open) })
	t.Run("FixedNow", func(t *testing.T) { testFixedNow(t, open) })
	t.Run("AuditLog", func(t *testing.T) { testAuditLog(t, open) })
	t.Run("Rows", func(t *testing.T) { testRows(t, open) })
	t.Run("Principals", func(t *testing.T) { testPrincipals(t, open) })
	t.Run("OptOuts", func(t *testing.T) { testOptOuts(t, open) })
	t.Run("Disputes", func(t *testing.T) { testDisputes(t, open) })
	t.Run("DisputeQueues", func(t *testing.T) { testDisputeQueues(t, open) })
	t.Run("OptOutCycle", func(t *testing.T) { testOptOutCycle(t, open) })
	t.Run("PrincipalList", func(t *testing.T) { testPrincipalList(t, open) })
	t.Run("Orders", func(t *testing.T) { testOrders(t, open) })
	t.Run("Consents", func(t *testing.T) { testConsents(t, open) })
	t.Run("Terms", func(t *testing.T) { testTerms(t, open) })
	t.Run("EraseSubject", func(t *testing.T) { testEraseSubject(t, open) })
	t.Run("EventScope", func(t *testing.T) { testEventScope(t, open) })
	t.Run("Points", func(t *testing.T) { testPoints(t, open) })
	t.Run("Retracted", func(t *testing.T) { testRetracted(t, open) })
	t.Run("RowOrder", func(t *testing.T) { testRowOrder(t, open) })
	t.Run("Inquiries", func(t *testing.T) { testInquiries(t, open) })
	t.Run("Leaves", func(t *testing.T) { testLeaves(t, open) })
	t.Run("BatchLeaves", func(t *testing.T) { testBatchLeaves(t, open) })
	t.Run("CheckpointRoundTrip", func(t *testing.T) { testCheckpointRoundTrip(t, open) })
	t.Run("Stamps", func(t *testing.T) { testStamps(t, open) })
	t.Run("BulkInsert", func(t *testing.T) { testBulkInsert(t, open) })
	t.Run("AddPoints", func(t *testing.T) { testAddPoints(t, open) })
	t.Run("Snapshot", func(t *testing.T) { testSnapshot(t, open) })
	t.Run("RowsStop", func(t *testing.T) { testRowsStop(t, open) })
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)

func fixed(t time.Time) func() time.Time { return func() time.Time { return t } }

func update(tb testing.TB, s probity.Store, fn func(probity.Tx) error) {
	tb.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		tb.Fatal(err)
	}
}

func view(tb testing.TB, s probity.Store, fn func(probity.ReadTx) error) {
	tb.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		tb.Fatal(err)
	}
}

func testSpec(id string) *probity.Spec {
	return &probity.Spec{ID: id, Name: "Test", Category: "finance", Subjects: []probity.SubjectKind{probity.KindPerson},
		Notice: 30, Score: probity.ScoreRange{Base: 600, Min: 300, Max: 900, MinEvents: 1},
		Grades: []probity.GradeBand{{Grade: "A", Min: 300}},
		Events: []probity.EventRule{{Type: "paid", Basis: "repayment", Points: "1.0", Code: "P1", Reason: "Paid", Fields: map[string]string{"amount": "number"}}}}
}

func testSpecVersions(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	view(t, s, func(tx probity.ReadTx) error {
		if v, err := tx.SpecVersions("none"); err != nil || len(v) != 0 {
			t.Fatalf("SpecVersions(none) = %v, %v; want empty, nil", v, err)
		}
		return nil
	})
	v1 := &probity.SpecVersion{Domain: "b.test", Version: 1, Digest: "d1", AppliedAt: t0, EffectiveAt: t0, Spec: testSpec("b.test")}
	v2 := &probity.SpecVersion{Domain: "b.test", Version: 2, Digest: "d2", AppliedAt: t0, EffectiveAt: t0.Add(time.Hour), Spec: testSpec("b.test")}
	update(t, s, func(tx probity.Tx) error {
		for _, v := range []*probity.SpecVersion{v2, v1, {Domain: "a.test", Version: 1, Digest: "x", AppliedAt: t0, EffectiveAt: t0, Spec: testSpec("a.test")}} {
			if err := tx.InsertSpecVersion(v); err != nil {
				return err
			}
		}
		if err := tx.InsertSpecVersion(v1); probity.ErrorCode(err) != probity.ECONFLICT {
			t.Errorf("InsertSpecVersion(duplicate) = %v, want ECONFLICT", err)
		}
		return nil
	})
	view(t, s, func(tx probity.ReadTx) error {
		ids, err := tx.DomainIDs()
		if err != nil || len(ids) != 2 || ids[0] != "a.test" || ids[1] != "b.test" {
			t.Fatalf("DomainIDs = %v, %v; want [a.test b.test]", ids, err)
		}
		vs, err := tx.SpecVersions("b.test")
		if err != nil || len(vs) != 2 {
			t.Fatalf("SpecVersions = %d versions, %v; want 2", len(vs), err)
		}
		if got, want := vs[1].Version, 2; got != want {
			t.Fatalf("order: second version %d, want %d", got, want)
		}
		if !vs[1].EffectiveAt.Equal(v2.EffectiveAt) || !vs[0].AppliedAt.Equal(t0) || vs[0].Digest != "d1" {
			t.Fatalf("version round trip: %+v", vs[0])
		}
		if got, want := vs[0].Spec.Events[0].Fields["amount"], "number"; got != want {
			t.Fatalf("spec round trip: field type %q, want %q", got, want)
		}
		return nil
	})
}

func testEvent(key string, subject byte, occurred time.Time) *probity.Event {
	return &probity.Event{Domain: "a.test", Key: key, Type: "paid", Subject: probity.Pseudonym{subject}, Kind: probity.KindPerson,
		OccurredAt: occurred, RecordedAt: t0, Fields: map[string]any{"amount": 12.5}, Cures: ""}
}

func testEvents(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	e := testEvent("k1", 1, t0.Add(-48*time.Hour))
	e.Cures = "k0"
	update(t, s, func(tx probity.Tx) error {
		if ok, err := tx.InsertEvents([]*probity.Event{e}, [][]probity.Points{{{Version: 1, Raw: 2.5}}}); err != nil || !ok[0] {
			t.Fatalf("InsertEvents = %v, %v; want [true], nil", ok, err)
		}
		var batch []*probity.Event
		for i := range 250 {
			batch = append(batch, testEvent(fmt.Sprintf("b%03d", i), 3, t0))
		}
		batch[17] = testEvent("k1", 2, t0) // taken
		ok, err := tx.InsertEvents(batch, make([][]probity.Points, len(batch)))
		if err != nil || len(ok) != len(batch) {
			t.Fatalf("InsertEvents(250) = %d results, %v", len(ok), err)
		}
		for i, stored := range ok {
			if stored != (i != 17) {
				t.Fatalf("InsertEvents: event %d stored=%v, want %v (only the taken key is refused)", i, stored, i != 17)
			}
		}
		return nil
	})
	view(t, s, func(tx probity.ReadTx) error {
		got, err := tx.EventByKey("a.test", "k1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Subject != e.Subject || got.Type != "paid" || !got.OccurredAt.Equal(e.OccurredAt) || !got.RecordedAt.Equal(t0) || got.Cures != "k0" || got.Kind != probity.KindPerson {
			t.Fatalf("EventByKey = %+v, want %+v", got, e)
		}
		if got, want := got.Fields["amount"], "12.5"; got == nil || toString(got) != want {
			t.Fatalf("fields round trip: amount=%v, want %s", got, want)
		}
		if _, err := tx.EventByKey("a.test", "nope"); probity.ErrorCode(err) != probity.ENOTFOUND {
			t.Fatalf("EventByKey(missing) = %v, want ENOTFOUND", err)
		}
		if _, err := tx.EventByKey("b.test", "k1"); probity.ErrorCode(err) != probity.ENOTFOUND {
			t.Fatalf("EventByKey(other domain) = %v, want ENOTFOUND", err)
		}
		n := 0
		if err := tx.ScanEvents("a.test", func(*probity.Event) error { n++; return nil }); err != nil || n != 250 {
			t.Fatalf("ScanEvents = %d events, %v; want 250", n, err)
		}
		stop := errors.New("stop")
		if err := tx.ScanEvents("a.test", func(*probity.Event) error { return stop }); !errors.Is(err, stop) {
			t.Fatalf("ScanEvents did not return fn's error: %v", err)
		}
		return nil
	})
}

func toString(v any) string {
	switch v := v.(type) {
	case interface{ String() string }:
		return v.String()
	case float64:
		return formatFloat(v)
	}
	return ""
}

func testSubjectEvents(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	update(t, s, func(tx probity.Tx) error {
		for i, e := range []*probity.Event{testEvent("b", 1, t0.Add(-time.Hour)), testEvent("a", 1, t0.Add(-time.Hour)), testEvent("c", 1, t0.Add(-2*time.Hour)), testEvent("z", 2, t0)} {
			if _, err := tx.InsertEvents([]*probity.Event{e}, [][]probity.Points{{{Version: 1, Raw: float64(i)}}}); err != nil {
				return err
			}
		}
		return tx.SetPoints("a.test", probity.Pseudonym{1}, "a", probity.Points{Version: 1, Raw: -7})
	})
	view(t, s, func(tx probity.ReadTx) error {
		evs, err := tx.SubjectEvents("a.test", probity.Pseudonym{1}, 1, t0)
		if err != nil {
			t.Fatal(err)
		}
		var keys string
		for _, e := range evs {
			keys += e.Key
		}
		if keys != "cab" {
			t.Fatalf("SubjectEvents order = %q, want cab (occurred_at, then key)", keys)
		}
		if got, want := evs[1].Raw, -7.0; got != want {
			t.Fatalf("SetPoints replaced raw = %v, want %v", got, want)
		}
		if evs, err := tx.SubjectEvents("a.test", probity.Pseudonym{1}, 1, t0.Add(-time.Nanosecond)); err != nil || len(evs) != 0 {
			t.Fatalf("SubjectEvents(recordedBy before recording) = %d, %v; want none", len(evs), err)
		}
		if _, err := tx.SubjectEvents("a.test", probity.Pseudonym{1}, 2, t0); probity.ErrorCode(err) != probity.EINTERNAL {
			t.Fatalf("SubjectEvents(version without points) = %v, want EINTERNAL", err)
		}
		return nil
	})
}

func testRollback(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	boom := errors.New("boom")
	err := s.Update(context.Background(), func(tx probity.Tx) error {
		if _, err := tx.InsertEvents([]*probity.Event{testEvent("k", 1, t0)}, [][]probity.Points{nil}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want fn's error", err)
	}
	view(t, s, func(tx probity.ReadTx) error {
		if _, err := tx.EventByKey("a.test", "k"); probity.ErrorCode(err) != probity.ENOTFOUND {
			t.Fatalf("event of a failed transaction is visible: %v", err)
		}
		return nil
	})
}

func testFixedNow(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	update(t, s, func(tx probity.Tx) error {
		if !tx.Now().Equal(t0) || tx.Now().Location() != time.UTC {
			t.Fatalf("Now = %v, want %v in UTC", tx.Now(), t0)
		}
		return nil
	})
}
