package spec

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

// typedRule declares one field of every type.
var typedRule = &probity.EventRule{
	Type: "account_reported",
	Fields: map[string]string{
		"amount": probity.FieldNumber,
		"days":   probity.FieldInt,
		"closed": probity.FieldBool,
		"branch": probity.FieldString,
		"opened": probity.FieldDate,
	},
}

var opened = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

func TestFields(t *testing.T) {
	want := map[string]any{"amount": 12.5, "days": int64(30), "closed": true, "branch": "Main St", "opened": opened}
	for _, tt := range []struct {
		name   string
		fields map[string]any
		asText bool
	}{
		{"OKJSON", map[string]any{"amount": json.Number("12.5"), "days": json.Number("30"), "closed": true,
			"branch": "Main St", "opened": "2024-03-01"}, false},
		{"OKFloat64", map[string]any{"amount": 12.5, "days": 30.0, "closed": true, "branch": "Main St",
			"opened": opened}, false},
		{"OKText", map[string]any{"amount": "12.5", "days": "30", "closed": "true", "branch": "Main St",
			"opened": "2024-03-01"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Fields(typedRule, tt.fields, tt.asText)
			if err != nil {
				t.Fatalf("Fields: %v", err)
			}
			for k, w := range want {
				if g := got[k]; g != w {
					t.Fatalf("Fields[%s]=%#v (%T), want %#v (%T)", k, g, g, w, w)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("len(Fields)=%d, want %d", len(got), len(want))
			}
		})
	}
}

func TestFieldValue(t *testing.T) {
	for _, tt := range []struct {
		name   string
		typ    string
		raw    any
		asText bool
		want   any
	}{
		{"OKNumberInt", probity.FieldNumber, 7, false, 7.0},
		{"OKNumberJSON", probity.FieldNumber, json.Number("-1e3"), false, -1000.0},
		{"OKNumberText", probity.FieldNumber, " 2.5 ", true, 2.5},
		{"OKIntInt64", probity.FieldInt, int64(-4), false, int64(-4)},
		{"OKIntWholeFloat", probity.FieldInt, 4.0, false, int64(4)},
		{"OKIntText", probity.FieldInt, "12", true, int64(12)},
		{"OKBoolText", probity.FieldBool, "false", true, false},
		{"OKStringText", probity.FieldString, "42", true, "42"},
		{"OKDateText", probity.FieldDate, "2024-03-01", true, opened},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fieldValue(tt.typ, tt.raw, tt.asText)
			if err != nil {
				t.Fatalf("fieldValue: %v", err)
			}
			if got != tt.want {
				t.Fatalf("fieldValue=%#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestFieldsErrors(t *testing.T) {
	valid := func() map[string]any {
		return map[string]any{"amount": 1.0, "days": int64(1), "closed": false, "branch": "x", "opened": "2024-03-01"}
	}
	with := func(k string, v any) map[string]any {
		m := valid()
		m[k] = v
		return m
	}
	for _, tt := range []struct {
		name   string
		fields map[string]any
		asText bool
		want   string
	}{
		{"ErrNumberText", with("amount", "abc"), false, `fields.amount: want number, got "abc"`},
		{"ErrNumberNotNumericText", with("amount", "abc"), true, `fields.amount: want number, got "abc"`},
		{"ErrNumberNaN", with("amount", math.NaN()), false, "fields.amount: want number, got NaN"},
		{"ErrNumberInfText", with("amount", "Inf"), true, `fields.amount: want number, got "Inf"`},
		{"ErrNumberBool", with("amount", true), false, "fields.amount: want number, got true"},
		{"ErrIntFraction", with("days", 1.5), false, "fields.days: want int (a whole number), got 1.5"},
		{"ErrIntFractionJSON", with("days", json.Number("1.5")), false, "fields.days: want int (a whole number), got 1.5"},
		{"ErrIntFractionText", with("days", "1.5"), true, `fields.days: want int (a whole number), got "1.5"`},
		{"ErrIntTooLarge", with("days", 1e19), false, "fields.days: want int"},
		{"ErrBool", with("closed", "yes"), true, `fields.closed: want bool (true or false), got "yes"`},
		{"ErrBoolNumber", with("closed", 1), false, "fields.closed: want bool (true or false), got 1"},
		{"ErrStringNumber", with("branch", 5.0), false, "fields.branch: want string, got 5"},
		{"ErrStringTooLong", with("branch", strings.Repeat("x", MaxStringLen+1)), false,
			"fields.branch: want string of at most 1024 bytes"},
		{"ErrStringNotUTF8", with("branch", "\xff"), true, "fields.branch: want string, got text that is not valid UTF-8"},
		{"ErrDate", with("opened", "01/03/2024"), true, `fields.opened: want date (YYYY-MM-DD, years 1900 to 2200), got "01/03/2024"`},
		{"ErrDateOutOfRange", with("opened", "9999-12-31"), true, `fields.opened: want date (YYYY-MM-DD, years 1900 to 2200), got "9999-12-31"`},
		{"ErrDateTimeOutOfRange", with("opened", time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)), false, "fields.opened: want date (YYYY-MM-DD, years 1900 to 2200), got 1899-12-31T00:00:00Z"},
		{"ErrDateNotMidnight", with("opened", opened.Add(time.Hour)), false, "fields.opened: want date (YYYY-MM-DD, years 1900 to 2200), got 2024-03-01T01:00:00Z"},
		{"ErrNull", with("amount", nil), false, "fields.amount: want number, got null"},
		{"ErrMissing", func() map[string]any { m := valid(); delete(m, "days"); return m }(), false,
			"fields.days: required (int)"},
		{"ErrUndeclared", with("colour", "red"), false,
			"fields.colour: not a field of account_reported; fields: amount (number), branch (string)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Fields(typedRule, tt.fields, tt.asText)
			if msg := wantInvalid(t, err); !strings.Contains(msg, tt.want) {
				t.Fatalf("error %q does not contain %q", msg, tt.want)
			}
		})
	}
	t.Run("ErrSeveral", func(t *testing.T) {
		_, err := Fields(typedRule, map[string]any{"amount": "x", "colour": 1}, false)
		msg := wantInvalid(t, err)
		for _, w := range []string{"fields.amount:", "fields.days:", "fields.closed:", "fields.colour:"} {
			if !strings.Contains(msg, w) {
				t.Fatalf("error %q does not mention %q", msg, w)
			}
		}
	})
}
