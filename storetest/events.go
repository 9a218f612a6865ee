package storetest

import (
	"strconv"
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

func eventKey(e probity.PointedEvent) string { return e.Key }

// testEventScope checks that keys are unique per domain only and that the
// per-domain and per-subject reads keep to their domain and subject.
func testEventScope(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	update(t, s, func(tx probity.Tx) error {
		var events []*probity.Event
		for _, key := range []string{"c", "a", "b"} {
			events = append(events, testEvent(key, 1, t0.Add(-time.Hour)))
		}
		events = append(events, testEvent("0", 2, t0.Add(-time.Hour))) // first by key, last by subject
		if _, err := tx.InsertEvents(events, [][]probity.Points{{{Version: 1, Raw: 1}}, {{Version: 1, Raw: 1}}, {{Version: 1, Raw: 1}}, {{Version: 1, Raw: 1}}}); err != nil {
			return err
		}
		// One call per domain: keys within one call must be distinct.
		other := testEvent("a", 1, t0.Add(-time.Hour))
		other.Domain = "b.test"
		ok, err := tx.InsertEvents([]*probity.Event{other}, [][]probity.Points{{{Version: 1, Raw: 1}}})
		if err != nil || len(ok) != 1 || !ok[0] {
			t.Fatalf("InsertEvents(a key taken in another domain) = %v, %v; want [true]: keys are unique within a domain only", ok, err)
		}
		return nil
	})
	view(t, s, func(tx probity.ReadTx) error {
		var keys []string
		err := tx.ScanEvents("a.test", func(e *probity.Event) error {
			if e.Domain != "a.test" {
				t.Fatalf("ScanEvents(a.test) passed an event of %s", e.Domain)
			}
			keys = append(keys, e.Key)
			return nil
		})
		if got, want := joined(keys, func(k string) string { return k }), "a,b,c,0"; err != nil || got != want {
			t.Fatalf("ScanEvents = %s, %v; want %s (subject, then key order)", got, err, want)
		}
		if e, err := tx.EventByKey("b.test", "a"); err != nil || e.Domain != "b.test" {
			t.Fatalf("EventByKey(b.test, a) = %+v, %v", e, err)
		}
		evs, err := tx.SubjectEvents("a.test", p1, 1, t0)
		if got, want := joined(evs, eventKey), "a,b,c"; err != nil || got != want {
			t.Fatalf("SubjectEvents = %s, %v; want %s (the subject's, in that domain)", got, err, want)
		}
		if none, err := tx.SubjectEvents("a.test", p3, 1, t0); err != nil || len(none) != 0 {
			t.Fatalf("SubjectEvents(no events) = %v, %v; want empty, nil", none, err)
		}
		return nil
	})
}

// testPoints checks SubjectEvents' points under every version, its
// recordedBy bound, and SetPoints.
func testPoints(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	update(t, s, func(tx probity.Tx) error {
		early := testEvent("early", 1, t0.Add(-2*time.Hour))
		late := testEvent("late", 1, t0.Add(-3*time.Hour))
		late.RecordedAt = t0.Add(time.Hour)
		_, err := tx.InsertEvents([]*probity.Event{early, late, testEvent("theirs", 2, t0)},
			[][]probity.Points{{{Version: 1, Raw: 1}, {Version: 2, Raw: 2}}, {{Version: 1, Raw: 10}, {Version: 2, Raw: 20}}, {{Version: 1, Raw: 5}}})
		if err != nil {
			return err
		}
		for _, tc := range []struct {
			name, domain string
			p            probity.Pseudonym
			key          string
		}{
			{"missing key", "a.test", p1, "nope"},
			{"another subject's event", "a.test", p1, "theirs"},
			{"another domain", "b.test", p1, "early"},
		} {
			wantCode(t, "SetPoints("+tc.name+")", tx.SetPoints(tc.domain, tc.p, tc.key, probity.Points{Version: 1, Raw: 9}), probity.ENOTFOUND)
		}
		if err := tx.SetPoints("a.test", p1, "early", probity.Points{Version: 3, Raw: 3}); err != nil {
			return err
		}
		return tx.SetPoints("a.test", p1, "late", probity.Points{Version: 3, Raw: 30})
	})
	view(t, s, func(tx probity.ReadTx) error {
		evs, err := tx.SubjectEvents("a.test", p1, 2, t0)
		if got, want := joined(evs, eventKey), "early"; err != nil || got != want {
			t.Fatalf("SubjectEvents(recordedBy t0) = %s, %v; want %s (recorded at or before)", got, err, want)
		}
		e := evs[0]
		if got, want := e.Raw, 2.0; got != want {
			t.Fatalf("Raw under version 2 = %v, want %v", got, want)
		}
		for _, tc := range []struct {
			version int
			want    float64
		}{{1, 1}, {2, 2}, {3, 3}} {
			if got, ok := e.RawUnder(tc.version); !ok || got != tc.want {
				t.Fatalf("Points under version %d = %v, %v; want %v (every version, SetPoints' added)", tc.version, got, ok, tc.want)
			}
		}
		if got, want := len(e.Points), 3; got != want {
			t.Fatalf("Points = %v, want %d versions", e.Points, want)
		}
		evs, err = tx.SubjectEvents("a.test", p1, 3, t0.Add(time.Hour))
		if got, want := joined(evs, eventKey), "late,early"; err != nil || got != want {
			t.Fatalf("SubjectEvents(recordedBy t0+1h) = %s, %v; want %s", got, err, want)
		}
		if got, want := evs[0].Raw, 30.0; got != want {
			t.Fatalf("Raw under version 3 = %v, want %v", got, want)
		}
		_, err = tx.SubjectEvents("a.test", p2, 2, t0)
		wantCode(t, "SubjectEvents(an event lacks the version's points)", err, probity.EINTERNAL)
		return nil
	})
}

// testRetracted checks RetractEvent, RetractedEvents and how retracted
// entries show in SubjectEvents and EventRows.
func testRetracted(t *testing.T, open Open) {
	c := &clock{t: t0}
	s := open(t, c.now)
	update(t, s, func(tx probity.Tx) error {
		var events []*probity.Event
		var points [][]probity.Points
		for i, key := range []string{"z", "y", "x", "w"} {
			e := testEvent(key, 1, t0.Add(-time.Duration(4-i)*time.Hour))
			e.Fields = map[string]any{"amount": float64(i)}
			events = append(events, e)
			points = append(points, []probity.Points{{Version: 1, Raw: float64(i)}})
		}
		other := testEvent("v", 1, t0)
		other.Domain = "b.test"
		if _, err := tx.InsertEvents(append(events, other), append(points, []probity.Points{{Version: 1, Raw: 1}})); err != nil {
			return err
		}
		wantCode(t, "RetractEvent(missing)", tx.RetractEvent("a.test", "nope"), probity.ECONFLICT)
		wantCode(t, "RetractEvent(another domain's key)", tx.RetractEvent("b.test", "z"), probity.ECONFLICT)
		return nil
	})
	view(t, s, func(tx probity.ReadTx) error {
		if r, err := tx.RetractedEvents("a.test", p1); err != nil || len(r) != 0 {
			t.Fatalf("RetractedEvents(none retracted) = %v, %v; want empty, nil", r, err)
		}
		return nil
	})
	// Retract in order of occurrence, one transaction each, so that "oldest
	// first" means the same by occurrence and by retraction.
	for i, key := range []string{"z", "x"} {
		c.set(t0.Add(time.Duration(i+1) * time.Minute))
		update(t, s, func(tx probity.Tx) error { return tx.RetractEvent("a.test", key) })
	}
	update(t, s, func(tx probity.Tx) error {
		wantCode(t, "RetractEvent(retracted already)", tx.RetractEvent("a.test", "x"), probity.ECONFLICT)
		return nil
	})
	view(t, s, func(tx probity.ReadTx) error {
		r, err := tx.RetractedEvents("a.test", p1)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := joined(r, func(e probity.RetractedEvent) string { return e.Key }), "z,x"; got != want {
			t.Fatalf("RetractedEvents = %s, want %s (oldest first)", got, want)
		}
		for i, e := range r {
			if want := t0.Add(time.Duration(i+1) * time.Minute); !e.RetractedAt.Equal(want) {
				t.Fatalf("RetractedEvents[%d].RetractedAt = %v, want %v", i, e.RetractedAt, want)
			}
		}
		if got, want := toString(r[1].Fields["amount"]), "2"; got != want || r[1].Type != "paid" || !r[1].OccurredAt.Equal(t0.Add(-2*time.Hour)) || r[1].Domain != "a.test" {
			t.Fatalf("RetractedEvents[1] = %+v; want the event as stored (amount %s)", r[1], want)
		}
		if r, err := tx.RetractedEvents("b.test", p1); err != nil || len(r) != 0 {
			t.Fatalf("RetractedEvents(another domain) = %v, %v; want empty", r, err)
		}
		evs, err := tx.SubjectEvents("a.test", p1, 1, t0)
		if got, want := joined(evs, eventKey), "y,w"; err != nil || got != want {
			t.Fatalf("SubjectEvents = %s, %v; want %s (retracted ones excepted)", got, err, want)
		}
		if e, err := tx.EventByKey("a.test", "z"); err != nil || e.Key != "z" {
			t.Fatalf("EventByKey(retracted) = %v, %v; want the entry, kept for the record", e, err)
		}
		retracted := map[string]string{}
		err = tx.EventRows(func(e *probity.EventRow) error {
			retracted[e.Domain+"/"+e.Key] = e.RetractedAt.Format(time.RFC3339)
			if e.RetractedAt.IsZero() {
				retracted[e.Domain+"/"+e.Key] = "-"
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string]string{"a.test/z": t0.Add(time.Minute).Format(time.RFC3339), "a.test/x": t0.Add(2 * time.Minute).Format(time.RFC3339),
			"a.test/y": "-", "a.test/w": "-", "b.test/v": "-"} {
			if got := retracted[key]; got != want {
				t.Errorf("EventRows %s RetractedAt = %s, want %s", key, got, want)
			}
		}
		return nil
	})
}

// testRowOrder checks SpecRows' and EventRows' domain-then-version and
// domain-then-key order.
func testRowOrder(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	update(t, s, func(tx probity.Tx) error {
		for _, v := range []struct {
			domain  string
			version int
		}{{"b.test", 1}, {"a.test", 2}, {"a.test", 10}, {"a.test", 1}} {
			if err := tx.InsertSpecVersion(&probity.SpecVersion{Domain: v.domain, Version: v.version, Digest: "d" + strconv.Itoa(v.version),
				AppliedAt: t0, EffectiveAt: t0, Spec: testSpec(v.domain)}); err != nil {
				return err
			}
		}
		var events []*probity.Event
		for _, k := range []struct{ domain, key string }{{"b.test", "a"}, {"a.test", "c"}, {"a.test", "a"}, {"a.test", "b"}} {
			e := testEvent(k.key, 1, t0)
			e.Domain = k.domain
			events = append(events, e)
		}
		_, err := tx.InsertEvents(events, make([][]probity.Points, len(events)))
		return err
	})
	view(t, s, func(tx probity.ReadTx) error {
		spec := func(r *probity.SpecRow) string {
			if r.Invalid != "" || len(r.SpecJSON) == 0 || r.Spec == nil || r.Spec.ID != r.Domain || r.Digest != "d"+strconv.Itoa(r.Version) {
				t.Fatalf("SpecRows row = %+v; want a valid row with its spec", r)
			}
			return r.Domain + "/" + strconv.Itoa(r.Version)
		}
		if got, want := collect(t, tx.SpecRows, spec), "a.test/1,a.test/2,a.test/10,b.test/1"; got != want {
			t.Fatalf("SpecRows = %s, want %s (domain and version order)", got, want)
		}
		event := func(r *probity.EventRow) string { return r.Domain + "/" + r.Key }
		if got, want := collect(t, tx.EventRows, event), "a.test/a,a.test/b,a.test/c,b.test/a"; got != want {
			t.Fatalf("EventRows = %s, want %s (domain and key order)", got, want)
		}
		vs, err := tx.SpecVersions("a.test")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := joined(vs, func(v probity.SpecVersion) string { return strconv.Itoa(v.Version) }), "1,2,10"; got != want {
			t.Fatalf("SpecVersions = %s, want %s (version number order)", got, want)
		}
		return nil
	})
}
