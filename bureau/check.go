package bureau

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/identity"
)

// ParseTime reads a time as probity.ParseTime does; the command line's
// flags use it.
func ParseTime(s string) (time.Time, error) { return probity.ParseTime(s) }

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

// screenEvent refuses an event that would carry an identifier into the
// store through its key, its cure or a field (P1: no raw identifier at
// rest): any valid identifier, or its own subject's in any spelling (see
// identity.ScreenText). Text fields are screened, and numbers long enough
// to spell a resident ID. It runs on every event at ingest, so it builds a
// field's path only for the message of a refusal.
func screenEvent(s probity.Subject, key, cures string, fields map[string]any) error {
	if err := identity.ScreenText("key", key, s); err != nil {
		return keyScreenedError{err}
	}
	if err := identity.ScreenText("cures", cures, s); err != nil {
		return err
	}
	bad := ""
	for name, v := range fields {
		if text, ok := screenedField(v); ok && identity.ScreenText("fields", text, s) != nil && (bad == "" || name < bad) {
			bad = name // the first in order, so that the message does not change from run to run
		}
	}
	if bad == "" {
		return nil
	}
	text, _ := screenedField(fields[bad])
	return identity.ScreenText("fields."+bad, text, s)
}

// screenedField returns the text of a field value to screen, if any: a
// string, or a number of 15 digits or more, as long as a resident ID.
func screenedField(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case int64:
		if v <= -1e14 || v >= 1e14 {
			return strconv.FormatInt(v, 10), true
		}
	case float64:
		if v <= -1e14 || v >= 1e14 {
			return strconv.FormatFloat(v, 'f', -1, 64), true
		}
	}
	return "", false
}

// keyScreenedError is a refusal of an event whose key holds an identifier:
// the line's error does not echo the key.
type keyScreenedError struct{ error }

func (e keyScreenedError) Unwrap() error { return e.error }

// screenTexts screens free text a request brings (a reason, a name, a
// citation), field by field, with the request's own subjects; see
// identity.ScreenText. Pairs are field, text.
func screenTexts(own []probity.Subject, pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := identity.ScreenText(pairs[i], pairs[i+1], own...); err != nil {
			return err
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
