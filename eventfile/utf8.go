package eventfile

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// A UTF8Error is the first place where JSON text is not valid UTF-8: a byte
// that is not part of a UTF-8 character, or a \u escape of half a surrogate
// pair (\ud800 alone, or \udc00 without a \ud800-\udbff before it).
// encoding/json would silently turn either into U+FFFD, so that what was
// recorded would differ from what was sent; refusing it lets the sender fix
// the encoding instead.
type UTF8Error struct {
	Offset int    // of the byte or the escape, from 0
	Byte   byte   // the byte, when Escape is ""
	Escape string // the escape, such as `\ud800`

	// Key is the key of the innermost object member whose key or value
	// holds the place, "" if none (a string at the top); InKey says that it
	// is in a key itself. CheckJSONUTF8 sets them.
	Key   string
	InKey bool
}

// Error says what is wrong, where (byte Offset+1, as encoding/json's syntax
// errors count) and what is allowed. It starts with "not valid UTF-8", so
// that a caller can put the name of the string before it.
func (e *UTF8Error) Error() string {
	if e.Escape != "" {
		return fmt.Sprintf(`not valid UTF-8: %s at byte %d is half of a surrogate pair; `+
			`an escape \ud800-\udbff must be followed by one \udc00-\udfff`, e.Escape, e.Offset+1)
	}
	return fmt.Sprintf("not valid UTF-8: byte 0x%02X at byte %d; text must be sent as UTF-8", e.Byte, e.Offset+1)
}

// CheckJSONUTF8 returns the first place in data, JSON text such as a request
// body, that is not valid UTF-8, with the key it is under, or nil. Text that
// is not valid JSON is checked as far as it goes: syntax is the JSON
// decoder's concern.
func CheckJSONUTF8(data string) *UTF8Error {
	e := checkUTF8(data)
	if e != nil {
		e.Key, e.InKey = memberAt(data, e.Offset)
	}
	return e
}

// checkUTF8 is CheckJSONUTF8 without Key, for JSON text or the content of one
// JSON string. It is cheap on the valid text it nearly always sees: one
// utf8.ValidString pass, then a look at each backslash only.
func checkUTF8(data string) *UTF8Error {
	end := len(data)
	var bad *UTF8Error
	if !utf8.ValidString(data) {
		end = invalidByte(data)
		bad = &UTF8Error{Offset: end, Byte: data[end]}
	}
	for i := 0; i < end; {
		j := strings.IndexByte(data[i:end], '\\')
		if j < 0 {
			break
		}
		i += j
		r, ok := hexEscape(data[i:end])
		switch {
		case !ok: // \" \\ \n ...: the escaped byte is not the start of an escape
			i += 2
		case r < 0xd800 || r > 0xdfff:
			i += 6
		case r <= 0xdbff:
			if r2, ok := hexEscape(data[i+6 : end]); ok && r2 >= 0xdc00 && r2 <= 0xdfff {
				i += 12
				continue
			}
			fallthrough
		default:
			return &UTF8Error{Offset: i, Escape: data[i : i+6]}
		}
	}
	return bad
}

// memberAt returns the key of the innermost object member of the JSON text
// data whose key or value holds byte offset, and whether offset is in the
// key itself; "" if none.
func memberAt(data string, offset int) (key string, inKey bool) {
	type level struct {
		object, wantKey bool
		above           string // the key of the member the level is in
		key             string // of the member being read, or above
	}
	var stack []level
	dec := json.NewDecoder(strings.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		var top *level
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		isKey := top != nil && top.object && top.wantKey
		if _, ok := tok.(string); ok && dec.InputOffset() > int64(offset) {
			switch {
			case top == nil:
				return "", false
			case isKey:
				return top.above, true
			}
			return top.key, false
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			l := level{object: tok == json.Delim('{'), wantKey: true}
			if top != nil {
				l.above, l.key, top.wantKey = top.key, top.key, true
			}
			stack = append(stack, l)
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		default:
			if isKey {
				top.key, top.wantKey = tok.(string), false
			} else if top != nil {
				top.wantKey = true
			}
		}
	}
}

// invalidByte returns the offset of the first byte of s that is not part of
// a UTF-8 character, or len(s).
func invalidByte(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return i
			}
		}
	}
	return len(s)
}

// hexEscape returns the code unit of the \uXXXX escape s starts with, and
// whether s starts with one.
func hexEscape(s string) (rune, bool) {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[2:6]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
