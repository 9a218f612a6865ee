package bureau

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/probity-dev/probity"
)

// ParseTime reads a time given as RFC 3339 or as YYYY-MM-DD (midnight UTC),
// in the years 1900 to 2200: times outside them are mistakes, and the store
// keeps nanoseconds, which end in 2262.
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, probity.Errorf(probity.EINVALID, "required; give a date (YYYY-MM-DD) or an RFC 3339 time")
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return time.Time{}, probity.Errorf(probity.EINVALID, "%s is not a time; give a date (YYYY-MM-DD) or an RFC 3339 time (2024-05-01T12:00:00Z)", probity.Quote(s))
		}
	}
	if t = t.UTC(); t.Year() < 1900 || t.Year() > 2200 {
		return time.Time{}, probity.Errorf(probity.EINVALID, "%s is out of range; years 1900 to 2200 are allowed", probity.Quote(s))
	}
	return t, nil
}

func validateKey(key string) error {
	if key == "" {
		return probity.Errorf(probity.EINVALID, "key: required; every event needs an idempotency key unique in its domain")
	}
	if len(key) > MaxKeyLength {
		return probity.Errorf(probity.EINVALID, "key: %d bytes; at most %d are allowed", len(key), MaxKeyLength)
	}
	for _, r := range key {
		if r < 0x21 || r > 0x7e {
			return probity.Errorf(probity.EINVALID, "key: %q contains %q; printable ASCII without spaces is allowed", truncate(key, 64), r)
		}
	}
	return nil
}

// noIdentifier refuses events that would carry the subject's identifier into
// the store through the back door of a key or a text field (P1: no raw
// identifier at rest). Short opaque values are not checked: they would
// match by chance.
func noIdentifier(s probity.Subject, key string, fields map[string]any) error {
	if len(s.Value) < 6 {
		return nil
	}
	value := strings.ToLower(s.Value)
	if strings.Contains(strings.ToLower(key), value) {
		return probity.Errorf(probity.EINVALID, "key: contains the subject's identifier; identifiers must not be stored, use an opaque key")
	}
	for name, v := range fields {
		if str, ok := v.(string); ok && strings.Contains(strings.ToLower(str), value) {
			return probity.Errorf(probity.EINVALID, "fields.%s: contains the subject's identifier; identifiers must not be stored", name)
		}
	}
	return nil
}

// storedFields turns typed field values into their stored JSON form: dates
// as YYYY-MM-DD, everything else as is.
func storedFields(typed map[string]any) map[string]any {
	out := make(map[string]any, len(typed))
	for k, v := range typed {
		if t, ok := v.(time.Time); ok {
			v = t.Format(time.DateOnly)
		}
		out[k] = v
	}
	return out
}

// difference names the first part in which two events with one key differ,
// or "" if they are the same event.
func difference(a, b *probity.Event) string {
	switch {
	case a.Type != b.Type:
		return "type"
	case a.Subject != b.Subject:
		return "subject"
	case !a.OccurredAt.Equal(b.OccurredAt):
		return "occurred_at"
	case a.Cures != b.Cures:
		return "cures"
	}
	fa, errA := json.Marshal(a.Fields)
	fb, errB := json.Marshal(b.Fields)
	if errA != nil || errB != nil || string(fa) != string(fb) {
		return "fields"
	}
	return ""
}

func prefixed(path string, err error) error {
	msg := probity.ErrorMessage(err)
	if strings.HasPrefix(msg, path+":") {
		return err
	}
	return probity.Errorf(probity.ErrorCode(err), "%s: %s", path, msg)
}

func ruleTypes(s *probity.Spec) []string {
	out := make([]string, len(s.Events))
	for i, r := range s.Events {
		out[i] = r.Type
	}
	return out
}

func kindList(kinds []probity.SubjectKind) string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = string(k)
	}
	return strings.Join(out, ", ")
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("%s…", s[:n])
}
