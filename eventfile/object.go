package eventfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/probity-dev/probity"
)

// Keys lists the keys of an event object, in the order shown in errors.
var Keys = []string{"key", "type", "subject", "occurred_at", "fields", "cures"}

// maxDepth is encoding/json's nesting limit, kept so that both agree on what
// is valid JSON.
const maxDepth = 10000

// errSyntax marks input that is not valid JSON; decodeObject replaces it with
// encoding/json's description of the problem.
var errSyntax = errors.New("invalid JSON")

// decodeObject decodes one event object into in. It is a small hand-written
// decoder, several times faster than encoding/json on the ingest hot path and
// stricter: keys match exactly (not case-insensitively) and a repeated key is
// an error rather than silently overriding the first, and so is a string that
// is not valid UTF-8 (see UTF8Error), where encoding/json would put U+FFFD.
// Strings with escapes and nested field values are handed to encoding/json,
// so that values are decoded exactly as encoding/json does, numbers as
// json.Number. The strings of in share s's memory.
func decodeObject(s string, in *probity.EventInput) error {
	d := objectDecoder{s: s}
	err := d.event(in)
	if err == nil {
		return nil
	}
	// A line that is not JSON at all is reported as such, even when a
	// problem with its content showed first.
	if err == errSyntax || !json.Valid([]byte(s)) {
		var se *json.SyntaxError
		if errors.As(json.Unmarshal([]byte(s), new(json.RawMessage)), &se) {
			return invalidf("invalid JSON: %s (at byte %d)", se, se.Offset)
		}
		return invalidf("invalid JSON")
	}
	return named(err, "a string")
}

// named returns the reporter's message for a string that is not valid UTF-8,
// naming the string by format and args; any other error is returned as is.
func named(err error, format string, args ...any) error {
	if e, ok := err.(*UTF8Error); ok {
		return invalidf("%s is %v", fmt.Sprintf(format, args...), e)
	}
	return err
}

type objectDecoder struct {
	s string
	i int
}

func (d *objectDecoder) ws() {
	for d.i < len(d.s) && isSpace(d.s[d.i]) {
		d.i++
	}
}

func (d *objectDecoder) peek() byte {
	if d.i < len(d.s) {
		return d.s[d.i]
	}
	return 0
}

// next skips whitespace and the byte c, or reports a syntax error.
func (d *objectDecoder) next(c byte) error {
	d.ws()
	if d.peek() != c {
		return errSyntax
	}
	d.i++
	d.ws()
	return nil
}

// event decodes the whole of d.s as one event object.
func (d *objectDecoder) event(in *probity.EventInput) error {
	d.ws()
	if c := d.peek(); c != '{' {
		return invalidf("an event must be a JSON object with keys %s; got %s", strings.Join(Keys, ", "), kindOf(c))
	}
	d.i++
	d.ws()
	if d.peek() == '}' {
		d.i++
	} else {
		var seen uint8
		for {
			name, err := d.str()
			if err != nil {
				return named(err, "a key")
			}
			if err := d.next(':'); err != nil {
				return err
			}
			bit, err := d.member(name, in)
			if err != nil {
				return err
			}
			if seen&bit != 0 {
				return invalidf("key %s appears twice", quote(name))
			}
			seen |= bit
			d.ws()
			if d.peek() == '}' {
				d.i++
				break
			}
			if err := d.next(','); err != nil {
				return err
			}
		}
	}
	d.ws()
	if d.i != len(d.s) {
		return errSyntax
	}
	return nil
}

// member decodes the value of the key name into in and returns the key's bit.
func (d *objectDecoder) member(name string, in *probity.EventInput) (bit uint8, err error) {
	switch name {
	case "key":
		in.Key, err = d.stringValue(name)
		return 1 << 0, err
	case "type":
		in.Type, err = d.stringValue(name)
		return 1 << 1, err
	case "subject":
		in.Subject, err = d.stringValue(name)
		return 1 << 2, err
	case "occurred_at":
		in.OccurredAt, err = d.stringValue(name)
		return 1 << 3, err
	case "fields":
		in.Fields, err = d.fields()
		return 1 << 4, err
	case "cures":
		if d.literalIs("null") { // no earlier event is cured
			d.i += len("null")
			return 1 << 5, nil
		}
		in.Cures, err = d.stringValue(name)
		return 1 << 5, err
	}
	return 0, invalidf("unknown key %s; allowed: %s", quote(name), strings.Join(Keys, ", "))
}

func (d *objectDecoder) stringValue(name string) (string, error) {
	if c := d.peek(); c != '"' {
		return "", invalidf("%q must be a string, got %s", name, kindOf(c))
	}
	v, err := d.str()
	if err != nil { // named boxes its arguments: not on the hot path
		return "", named(err, "%q", name)
	}
	return v, nil
}

// fields decodes the fields object; null means no fields.
func (d *objectDecoder) fields() (map[string]any, error) {
	if d.literalIs("null") {
		d.i += len("null")
		return nil, nil
	}
	if c := d.peek(); c != '{' {
		return nil, invalidf("fields must be an object, got %s", kindOf(c))
	}
	d.i++
	m := make(map[string]any, 4)
	d.ws()
	if d.peek() == '}' {
		d.i++
		return m, nil
	}
	for {
		name, err := d.str()
		if err != nil {
			return nil, named(err, "a field name")
		}
		if err := d.next(':'); err != nil {
			return nil, err
		}
		v, err := d.value()
		if err != nil {
			return nil, named(err, "field %s", quote(name))
		}
		if _, dup := m[name]; dup {
			return nil, invalidf("field %s appears twice", quote(name))
		}
		m[name] = v
		d.ws()
		if d.peek() == '}' {
			d.i++
			return m, nil
		}
		if err := d.next(','); err != nil {
			return nil, err
		}
	}
}

// value decodes a field value as encoding/json with UseNumber would.
func (d *objectDecoder) value() (any, error) {
	switch c := d.peek(); {
	case c == '"':
		return d.str()
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	case c == '{' || c == '[':
		start := d.i
		if err := d.skip(3); err != nil { // inside the event and its fields
			return nil, err
		}
		dec := json.NewDecoder(strings.NewReader(d.s[start:d.i]))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, errSyntax
		}
		return v, nil
	}
	return d.literal()
}

// str decodes a string token. Strings without escapes and with valid UTF-8,
// nearly all of them, are sliced from d.s without a copy. A string that is
// not valid UTF-8 is a *UTF8Error, with its Offset in d.s, for the caller to
// name the string.
func (d *objectDecoder) str() (string, error) {
	if d.peek() != '"' {
		return "", errSyntax
	}
	start, ascii := d.i+1, true
	for i := start; i < len(d.s); i++ {
		switch c := d.s[i]; {
		case c == '"':
			v := d.s[start:i]
			if !ascii && !utf8.ValidString(v) {
				e := checkUTF8(v)
				e.Offset += start
				return "", e
			}
			d.i = i + 1
			return v, nil
		case c == '\\':
			return d.slowStr()
		case c < 0x20:
			return "", errSyntax
		case c >= 0x80:
			ascii = false
		}
	}
	return "", errSyntax
}

// slowStr decodes the string token at d.i, which has escapes, with
// encoding/json, after making sure that it is valid UTF-8 and that its
// escapes make no half surrogate pair, either of which encoding/json would
// replace with U+FFFD.
func (d *objectDecoder) slowStr() (string, error) {
	ascii, halfPair := true, false
	for i := d.i + 1; i < len(d.s); i++ {
		switch c := d.s[i]; {
		case c == '"':
			if (!ascii && !utf8.ValidString(d.s[d.i:i+1])) || halfPair {
				e := checkUTF8(d.s[d.i : i+1]) // where, and which comes first
				e.Offset += d.i
				return "", e
			}
			var v string
			if err := json.Unmarshal([]byte(d.s[d.i:i+1]), &v); err != nil {
				return "", errSyntax
			}
			d.i = i + 1
			return v, nil
		case c == '\\':
			if r, ok := hexEscape(d.s[i:]); ok && r >= 0xd800 && r <= 0xdfff {
				if r2, ok := hexEscape(d.s[i+6:]); ok && r <= 0xdbff && r2 >= 0xdc00 && r2 <= 0xdfff {
					i += 6 // a pair: on to the second half
				} else {
					halfPair = true
				}
			}
			i++ // the escaped byte; encoding/json checks the escape
		case c < 0x20:
			return "", errSyntax
		case c >= 0x80:
			ascii = false
		}
	}
	return "", errSyntax
}

// number decodes a number token, kept exact as a json.Number.
func (d *objectDecoder) number() (json.Number, error) {
	s, i := d.s, d.i
	digits := func() bool {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if !digits() {
		return "", errSyntax
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return "", errSyntax
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return "", errSyntax
		}
	}
	n := json.Number(s[d.i:i])
	d.i = i
	return n, nil
}

func (d *objectDecoder) literalIs(lit string) bool { return strings.HasPrefix(d.s[d.i:], lit) }

// literal decodes true, false or null.
func (d *objectDecoder) literal() (any, error) {
	for _, l := range [...]struct {
		text  string
		value any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if d.literalIs(l.text) {
			d.i += len(l.text)
			return l.value, nil
		}
	}
	return nil, errSyntax
}

// skip moves past one valid JSON value at nesting level depth.
func (d *objectDecoder) skip(depth int) error {
	c := d.peek()
	if c != '{' && c != '[' {
		_, err := d.value()
		return err
	}
	if depth > maxDepth {
		return errSyntax
	}
	end := byte('}')
	if c == '[' {
		end = ']'
	}
	d.i++
	d.ws()
	if d.peek() == end {
		d.i++
		return nil
	}
	for {
		if c == '{' {
			if _, err := d.str(); err != nil {
				return err
			}
			if err := d.next(':'); err != nil {
				return err
			}
		}
		if err := d.skip(depth + 1); err != nil {
			return err
		}
		d.ws()
		if d.peek() == end {
			d.i++
			return nil
		}
		if err := d.next(','); err != nil {
			return err
		}
	}
}

// kindOf names the kind of JSON value that starts with c, for errors.
func kindOf(c byte) string {
	switch {
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || c >= '0' && c <= '9':
		return "a number"
	}
	return "something else"
}
