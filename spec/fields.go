package spec

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/probity-dev/probity"
)

// Fields checks an event's field values against its rule and types them:
// every declared field present, no undeclared field, each value of its type.
// The result holds float64 for number (JSON numbers arrive as json.Number or
// float64; whole numbers of any Go integer type are accepted), int64 for int
// (1.5 is rejected), bool, string (valid UTF-8, at most MaxStringLen bytes)
// and time.Time at midnight UTC for date (written YYYY-MM-DD). With asText,
// string values are parsed by their declared type, as read from CSV: numbers
// as decimals, bools as true or false. Its error is EINVALID and names every
// bad field: `fields.amount: want number, got "abc"`.
func Fields(rule *probity.EventRule, fields map[string]any, asText bool) (map[string]any, error) {
	out := make(map[string]any, len(rule.Fields))
	var bad []string
	present := 0
	for name, typ := range rule.Fields {
		raw, ok := fields[name]
		if !ok {
			bad = append(bad, fmt.Sprintf("fields.%s: required (%s)", name, typ))
			continue
		}
		present++
		v, err := fieldValue(typ, raw, asText)
		if err != nil {
			bad = append(bad, fmt.Sprintf("fields.%s: %s", name, err.Error()))
			continue
		}
		out[name] = v
	}
	if present < len(fields) {
		for name := range fields {
			if _, ok := rule.Fields[name]; !ok {
				bad = append(bad, fmt.Sprintf("fields.%s: not a field of %s; %s", name, rule.Type, declared(rule)))
			}
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return nil, probity.Errorf(probity.EINVALID, "%s", strings.Join(bad, "; "))
	}
	return out, nil
}

// declared lists a rule's fields for an error message.
func declared(rule *probity.EventRule) string {
	if len(rule.Fields) == 0 {
		return "it has no fields"
	}
	names := sortedKeys(rule.Fields)
	for i, n := range names {
		names[i] = n + " (" + rule.Fields[n] + ")"
	}
	return "fields: " + strings.Join(names, ", ")
}

// fieldValue types one value.
func fieldValue(typ string, raw any, asText bool) (any, error) {
	if s, ok := raw.(string); ok && (asText || typ == probity.FieldString || typ == probity.FieldDate) {
		return textValue(typ, s)
	}
	switch typ {
	case probity.FieldNumber:
		if f, ok := asFloat(raw); ok && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, nil
		}
	case probity.FieldInt:
		if i, ok := asInt(raw); ok {
			return i, nil
		}
	case probity.FieldBool:
		if b, ok := raw.(bool); ok {
			return b, nil
		}
	case probity.FieldDate:
		if t, ok := raw.(time.Time); ok && t.Equal(t.UTC().Truncate(24*time.Hour)) && probity.CheckTime("", t) == nil {
			return t.UTC(), nil
		}
	case probity.FieldString:
	default:
		return nil, fmt.Errorf("%q is not a field type", typ)
	}
	return nil, want(typ, raw)
}

// textValue parses a value written as text.
func textValue(typ, s string) (any, error) {
	switch typ {
	case probity.FieldNumber:
		if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, nil
		}
	case probity.FieldInt:
		if i, ok := asInt(json.Number(strings.TrimSpace(s))); ok {
			return i, nil
		}
	case probity.FieldBool:
		switch s {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	case probity.FieldString:
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("want string, got text that is not valid UTF-8")
		}
		if len(s) > MaxStringLen {
			return nil, fmt.Errorf("want string of at most %d bytes, got %d bytes", MaxStringLen, len(s))
		}
		return s, nil
	case probity.FieldDate:
		if t, err := time.Parse(time.DateOnly, s); err == nil && probity.CheckTime("", t) == nil {
			return t, nil
		}
	default:
		return nil, fmt.Errorf("%q is not a field type", typ)
	}
	return nil, want(typ, s)
}

// want is the error for a value that is not of its type.
func want(typ string, got any) error {
	hint := map[string]string{
		probity.FieldInt:  " (a whole number)",
		probity.FieldBool: " (true or false)",
		probity.FieldDate: fmt.Sprintf(" (YYYY-MM-DD, years %d to %d)", probity.FirstYear, probity.LastYear),
	}[typ]
	switch g := got.(type) {
	case nil:
		return fmt.Errorf("want %s%s, got null", typ, hint)
	case string:
		if len(g) > 40 {
			g = g[:40] + "..."
		}
		return fmt.Errorf("want %s%s, got %q", typ, hint, g)
	case json.Number, float64, float32, int, int64, int32, int16, int8, uint, uint64, uint32, uint16, uint8, bool:
		return fmt.Errorf("want %s%s, got %v", typ, hint, g)
	case time.Time:
		return fmt.Errorf("want %s%s, got %s", typ, hint, g.Format(time.RFC3339))
	}
	return fmt.Errorf("want %s%s, got a %T", typ, hint, got)
}

// asFloat converts a JSON or Go number to float64.
func asFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case json.Number:
		f, err := strconv.ParseFloat(string(n), 64)
		return f, err == nil
	}
	if i, ok := asGoInt(v); ok {
		return float64(i), true
	}
	return 0, false
}

// asInt converts a JSON or Go number with no fractional part to int64.
func asInt(v any) (int64, bool) {
	if i, ok := asGoInt(v); ok {
		return i, true
	}
	if n, ok := v.(json.Number); ok {
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return i, true
		}
	}
	f, ok := asFloat(v)
	if !ok || f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, false
	}
	return int64(f), true
}

// asGoInt converts any Go integer that fits to int64.
func asGoInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case int32:
		return int64(n), true
	case int16:
		return int64(n), true
	case int8:
		return int64(n), true
	case uint:
		return int64(n), n <= math.MaxInt64
	case uint64:
		return int64(n), n <= math.MaxInt64
	case uint32:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint8:
		return int64(n), true
	}
	return 0, false
}
