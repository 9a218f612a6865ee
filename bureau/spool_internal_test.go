package bureau

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

// TestSpoolSpills checks that an event read back from the spool's file is
// the event that was spooled, down to the JSON of its fields (what is
// stored and digested), for every kind of field value, and that a damaged
// file is an error rather than another event.
func TestSpoolSpills(t *testing.T) {
	var p probity.Pseudonym
	for i := range p {
		p[i] = byte(255 - i)
	}
	at := time.Date(2026, 3, 4, 5, 6, 7, 891011, time.UTC)
	events := []*probity.Event{
		{Domain: "acme.lending", Key: "L-2", Type: "payment_settled", Subject: p, Kind: probity.KindOrganization, OccurredAt: at, RecordedAt: at, Fields: map[string]any{}, Cures: "L-1"},
		{Domain: "acme.lending", Key: "L-1", Type: "loan_repaid", Subject: p, Kind: probity.KindPerson, OccurredAt: at, RecordedAt: at.Add(time.Hour),
			Fields: map[string]any{"amount": 12500.5, "big": 1e21, "small": 1e-7, "days": int64(-42), "n": 3, "ok": true, "no": false, "note": "a\tb\n\"c\"", "due": "2026-01-31", "num": json.Number("7.50")}},
		{Domain: "acme.lending", Key: "L-3", Type: "odd", Subject: p, Kind: probity.KindPerson, OccurredAt: at, RecordedAt: at, Fields: map[string]any{"list": []any{1.5, "x"}, "nothing": nil}},
	}
	points := [][]probity.Points{nil, {{Version: 1, Raw: 10.25}, {Version: 3, Raw: -80}}, {{Version: 2, Raw: 0}}}
	s := &spool{inMemory: 1} // the first in memory, the rest in the file
	defer s.close()
	for i, e := range events {
		if err := s.add(spooled{i + 1, e, points[i], "digest of " + e.Key}); err != nil {
			t.Fatal(err)
		}
	}
	if s.file == nil {
		t.Fatal("nothing was spilled to the file")
	}
	if _, err := os.Stat(s.file.Name()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the spool's file %s has a name on disk while in use (%v): a server stopped mid-upload would leave it behind", s.file.Name(), err)
	}
	n := 0
	err := s.each(func(p *spooled) error {
		line, e, pts := p.Line, p.Event, p.Points
		want := events[n]
		n++
		if p.Digest != "digest of "+want.Key {
			t.Errorf("event %s: digest %q, want the one spooled", want.Key, p.Digest)
		}
		if line != n {
			t.Errorf("event %s: line %d, want %d", want.Key, line, n)
		}
		gotFields, _ := json.Marshal(e.Fields)
		wantFields, _ := json.Marshal(want.Fields)
		if string(gotFields) != string(wantFields) {
			t.Errorf("event %s: fields %s, want %s", want.Key, gotFields, wantFields)
		}
		got, w := *e, *want
		got.Fields, w.Fields = nil, nil
		if !got.OccurredAt.Equal(w.OccurredAt) || !got.RecordedAt.Equal(w.RecordedAt) {
			t.Errorf("event %s: times %s %s, want %s %s", want.Key, got.OccurredAt, got.RecordedAt, w.OccurredAt, w.RecordedAt)
		}
		got.OccurredAt, got.RecordedAt, w.OccurredAt, w.RecordedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("event = %+v, want %+v", got, w)
		}
		if len(pts) != len(points[n-1]) || (len(pts) > 0 && !reflect.DeepEqual(pts, points[n-1])) {
			t.Errorf("event %s: points %v, want %v", want.Key, pts, points[n-1])
		}
		return nil
	})
	if err != nil || n != len(events) {
		t.Fatalf("each = %v after %d events, want all %d", err, n, len(events))
	}
	t.Run("ErrDamaged", func(t *testing.T) {
		record, err := appendSpooled(nil, &spooled{1, events[1], points[1], "d"})
		if err != nil {
			t.Fatal(err)
		}
		for cut := 0; cut < len(record); cut++ {
			if _, err := decodeSpooled(record[:cut]); err == nil {
				t.Fatalf("a record cut to %d of %d bytes was read", cut, len(record))
			}
		}
		if _, err := decodeSpooled(append(record, 0)); err == nil {
			t.Fatal("a record with a byte too many was read")
		}
	})
}
