package audit

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

// TestEventDigester checks that the verifier's event digest is
// EventDigest's, byte for byte, for strings that need no escape and for
// every kind that does: a row Probity wrote must not show as changed, nor
// a changed one pass.
func TestEventDigester(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 890123456, time.FixedZone("X", 3600))
	base := probity.Event{Domain: "acme.lending", Key: "L-0000001", Type: "payment_missed", Subject: probity.Pseudonym{1, 2, 3},
		Kind: probity.KindPerson, OccurredAt: at, RecordedAt: at.Add(time.Hour), Fields: map[string]any{"amount": 120.5, "days": 30.0}}
	for _, tt := range []struct {
		name string
		edit func(e *probity.Event)
	}{
		{"Plain", func(e *probity.Event) {}},
		{"Cures", func(e *probity.Event) { e.Cures = "L-0000000" }},
		{"NilFields", func(e *probity.Event) { e.Fields = nil }},
		{"EmptyFields", func(e *probity.Event) { e.Fields = map[string]any{} }},
		{"WholeSecond", func(e *probity.Event) { e.OccurredAt, e.RecordedAt = at.Truncate(time.Second), time.Time{} }},
		{"QuoteAndBackslash", func(e *probity.Event) { e.Key = `a"b\c` }},
		{"HTML", func(e *probity.Event) { e.Key, e.Type, e.Cures = "a<b", "x&y", "1>0" }},
		{"Control", func(e *probity.Event) { e.Key, e.Type, e.Domain = "a\nb", "\x1f", "d\x7f" }},
		{"Unicode", func(e *probity.Event) { e.Key, e.Type = "Zürich €", "\u2028\u2029" }},
		{"InvalidUTF8", func(e *probity.Event) { e.Key, e.Cures = "a\xffb", "\xc3" }},
		{"Kind", func(e *probity.Event) { e.Kind = `"odd"` }},
		{"FieldStrings", func(e *probity.Event) {
			e.Fields = map[string]any{"note": "<b>&\"", "list": []any{"x", 1.0, true, nil}}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := base
			tt.edit(&e)
			fields, err := json.Marshal(e.Fields)
			if err != nil {
				t.Fatal(err)
			}
			var d eventDigester
			d.digest(&base, []byte(`{}`)) // a longer buffer left from another row
			if got, want := d.digest(&e, fields), EventDigest(&e); got != want {
				t.Fatalf("digest = %s, want EventDigest's %s (encoded %s)", got, want, d.buf)
			}
		})
	}
}
