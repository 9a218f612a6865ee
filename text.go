package probity

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// CheckText validates free text a person writes into the record (a
// dispute's reason, an order's citation, an office, a principal's name):
// present when required, at most max bytes, valid UTF-8 and free of control
// characters other than newline and tab. Subjects are shown this text and
// every store keeps it byte for byte, so what cannot be shown or kept is
// refused here with the field's name, never halfway into a store.
func CheckText(field, s string, max int, required bool, hint string) error {
	switch {
	case required && strings.TrimSpace(s) == "":
		return Errorf(EINVALID, "%s: required, at most %d bytes: %s", field, max, hint)
	case len(s) > max:
		return Errorf(EINVALID, "%s: %d bytes; at most %d", field, len(s), max)
	case !utf8.ValidString(s):
		return Errorf(EINVALID, "%s: not valid UTF-8 text", field)
	}
	for i, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return Errorf(EINVALID, "%s: control character %U at byte %d; text, newlines and tabs are allowed", field, r, i)
		}
	}
	return nil
}
