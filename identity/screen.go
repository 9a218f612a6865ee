package identity

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/probity-dev/probity"
)

// ScreenText reports an *probity.Error (EINVALID) if text holds an identifier:
// a valid identifier of any scheme in any spelling, or one of own (the
// request's own subjects) with or without its check character.
//
// It is the guard of P1 for text: services call it on every free-text field
// and key before anything is stored, so that no identifier reaches the
// store through a reason, a name or an event key. What counts:
//
//   - a valid cn-rid or uscc, exactly as Parse checks them (region, date,
//     structure and check character), in any spelling: upper or lower
//     case, its characters grouped by spaces or the separators - . _ / :
//     (full-width forms and zero-width characters included). It must stand
//     on its own: start and end where a word does (at a space, a separator
//     or other punctuation, or the text's start or end; a cn-rid also where
//     its digits meet a letter, a uscc also right after the word uscc). An identifier glued inside a longer run of
//     letters and digits is not looked for, because such runs are what
//     machines write into keys: about one 19-digit number in 60 and one
//     UUID in 300 hold a valid uscc somewhere by chance (its check is one
//     character in 31), so looking inside them would refuse honest keys;
//   - 17 digits standing on their own, or followed by one more character,
//     whose region and birth date are those of a valid cn-rid: a resident
//     ID without (or with a mistyped) check digit still names its holder,
//     and the two checks leave about one chance in 300,000 for random
//     digits (a uscc's structure is too loose for the same rule);
//   - a scheme followed by a colon, in any case: cn-rid: and uscc: always,
//     person:, org: and gov: when a value follows without a space (so
//     "contact person: the branch" is prose, "person:p-17" an identifier);
//     the scheme must start a word ("example.org:8080" is an address);
//   - the value of an own subject, spelled the same loose way and
//     anywhere, even inside a longer word: a cn-rid or
//     uscc by its first 17 characters (with or without its check
//     character) and by the older identifier it holds (a 15-digit resident
//     ID, a 9-character organisation code), an opaque value if it keeps at
//     least 4 characters once normalised (shorter ones would match ordinary
//     words by chance).
//
// The message names the field, what kind of identifier it holds and where
// (in characters), never the identifier. ScreenText does not allocate for
// text of up to 256 bytes.
func ScreenText(field, text string, own ...probity.Subject) error {
	if text == "" {
		return nil
	}
	if at, scheme := schemePrefix(text); at >= 0 {
		first := utf8.RuneCountInString(text[:at]) + 1
		return screenError(field, "written "+scheme+":value", first, first+utf8.RuneCountInString(scheme))
	}
	var stack [256]byte
	var bounds [256/64 + 1]uint64
	norm, words := normalize(stack[:0], bounds[:0], text)
	for _, s := range own {
		if at, n := ownIn(norm, s); at >= 0 {
			first, last := origSpan(text, at, at+n)
			return screenError(field, "the subject's own", first, last)
		}
	}
	if at, kind, n := findIdentifier(norm, words); at >= 0 {
		first, last := origSpan(text, at, at+n)
		return screenError(field, kind, first, last)
	}
	return nil
}

func screenError(field, kind string, first, last int) error {
	return probity.Errorf(probity.EINVALID, "%s: holds an identifier (%s) at characters %d-%d; free text and keys must not contain identifiers — refer to the subject only through the subject field",
		field, kind, first, last)
}

// breakChar stands in the normalised text for a character that ends a run
// of identifier characters.
const breakChar = ' '

// asciiNorm maps each ASCII byte to what it becomes in normalised text.
var asciiNorm = func() (t [utf8.RuneSelf]byte) {
	for c := range t {
		t[c] = breakChar
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c)
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c], t[c-'A'+'a'] = byte(c), byte(c)
	}
	for _, c := range " \t\n\r\v\f-._/:" {
		t[c] = 0
	}
	return t
}()

// normChar returns what the character at s[i] becomes in normalised text
// (an upper-case letter or digit, breakChar, or 0 when it is dropped) and
// its width in bytes.
func normChar(s string, i int) (byte, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return asciiNorm[c], 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // full-width forms of ASCII
		return asciiNorm[r-0xFEE0], n
	case r >= 0x2010 && r <= 0x2015, r == 0x2212: // dashes, minus
		return 0, n
	case unicode.IsSpace(r), unicode.Is(unicode.Cf, r): // spaces, zero-width characters
		return 0, n
	}
	return breakChar, n
}

// normalize returns the normalised form of s, in dst's array if it is
// large enough: upper-case letters and digits, separators dropped, and one
// breakChar for each stretch of other characters between them. It is never
// longer than s. It also returns, in bounds' array if it is large enough,
// where words start and end: bit k is set when position k of the
// normalised text is the start or the end of the text, or a separator or
// breakChar lies between bytes k-1 and k.
func normalize(dst []byte, bounds []uint64, s string) ([]byte, wordBounds) {
	if cap(dst) < len(s) {
		dst = make([]byte, 0, len(s))
	}
	if words := len(s)/64 + 1; cap(bounds) < words {
		bounds = make([]uint64, words)
	} else {
		bounds = bounds[:words]
		clear(bounds)
	}
	out, n := dst[:len(s)], 0
	bounds[0] = 1     // the start
	broken := true    // no breakChar at the start
	separated := true // a separator since the last byte out
	for i := 0; i < len(s); {
		c, w := s[i], 1
		if c < utf8.RuneSelf {
			c = asciiNorm[c]
		} else {
			c, w = normChar(s, i)
		}
		i += w
		switch {
		case c == 0:
			separated = true
			continue
		case c != breakChar:
			out[n], broken = c, false
		case !broken:
			out[n], broken = breakChar, true
		default:
			continue
		}
		if separated || c == breakChar {
			bounds[n/64] |= 1 << (n % 64)
		}
		n++
		separated = c == breakChar
	}
	bounds[n/64] |= 1 << (n % 64) // the end
	return out[:n], bounds
}

// wordBounds holds the word boundaries of normalised text, a bit for each
// position from 0 to its length.
type wordBounds []uint64

func (b wordBounds) at(k int) bool { return b[k/64]&(1<<(k%64)) != 0 }

// origSpan returns the characters of s (counted from 1) that became the
// normalised bytes from a to b-1.
func origSpan(s string, a, b int) (first, last int) {
	broken, out, chars := true, 0, 0
	for i := 0; i < len(s); {
		c, n := normChar(s, i)
		i, chars = i+n, chars+1
		if c == 0 || (c == breakChar && broken) {
			continue
		}
		broken = c == breakChar
		if out == a {
			first = chars
		}
		if out == b-1 {
			return first, chars
		}
		out++
	}
	return first, chars
}

// findIdentifier returns where in normalised text a cn-rid or uscc
// standing on its own starts, what it is, and how many bytes it takes, or
// -1 (see ScreenText).
func findIdentifier(norm []byte, words wordBounds) (int, string, int) {
	// d and u are the first non-digits at or after the window's first
	// character and its third: a cn-rid needs 17 digits from the first, a
	// uscc 6 from the third. Keeping them makes a long run linear.
	d, u := 0, 0
	for i := 0; i+17 <= len(norm); i++ {
		if d < i {
			d = i
		}
		for d < len(norm) && isDigit(norm[d]) {
			d++
		}
		// A cn-rid's digits also end where a letter starts ("ID1101...").
		if d-i >= 17 && (words.at(i) || !isDigit(norm[i-1])) && isBirthDate(norm[i+6:i+14]) && isCNRegion(norm[i:]) {
			if i+18 <= len(norm) && (words.at(i+18) || !isDigit(norm[i+18])) && (isDigit(norm[i+17]) || norm[i+17] == 'X') {
				if cnridCheck(norm[i:i+17]) == norm[i+17] {
					return i, "a " + SchemeCNRID, 18
				}
				return i, "a " + SchemeCNRID + " without its check digit", 18
			}
			if words.at(i+17) || (d == i+17 && norm[i+17] != 'X') {
				return i, "a " + SchemeCNRID + " without its check digit", 17
			}
		}
		if i+18 > len(norm) || !words.at(i+18) || !(words.at(i) || bytes.HasSuffix(norm[:i], []byte("USCC"))) {
			continue // a uscc stands on its own, or right after its scheme's name ("uscc9135...")
		}
		w := norm[i : i+18]
		if cats := usccCategories[w[0]]; cats != "" && strings.IndexByte(cats, w[1]) >= 0 {
			if u < i+2 {
				u = i + 2
			}
			for u < len(norm) && isDigit(norm[u]) {
				u++
			}
			if u-(i+2) >= 6 && usccCheck(w[:17]) == w[17] {
				return i, "a " + SchemeUSCC, 18
			}
		}
	}
	return -1, "", 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// ownIn returns where the value of s appears in normalised text, and the
// length of what matched, or -1.
func ownIn(norm []byte, s probity.Subject) (int, int) {
	if s.Value == "" {
		return -1, 0
	}
	if s.Scheme == SchemeCNRID || s.Scheme == SchemeUSCC {
		return ownCodeIn(norm, s)
	}
	var buf [MaxOpaqueLen]byte
	var bounds [MaxOpaqueLen/64 + 1]uint64
	norm1, _ := normalize(buf[:0], bounds[:0], s.Value)
	needle := bytes.Trim(norm1, string(breakChar))
	if alnum := len(needle) - bytes.Count(needle, []byte{breakChar}); alnum < minOwnOpaque {
		return -1, 0
	}
	return bytes.Index(norm, needle), len(needle)
}

// ownCodeIn looks for a cn-rid or uscc by its first 17 characters, and by
// the older identifier it contains: a cn-rid of the 1900s in its 15-digit
// form (no century, no check digit), a uscc's organisation code
// (characters 9-17).
func ownCodeIn(norm []byte, s probity.Subject) (int, int) {
	if len(s.Value) != 18 {
		return -1, 0
	}
	var buf [17]byte
	for i := range buf {
		buf[i] = upper(s.Value[i])
	}
	if at := bytes.Index(norm, buf[:]); at >= 0 {
		return at, 17
	}
	if s.Scheme == SchemeUSCC {
		return bytes.Index(norm, buf[8:17]), 9
	}
	if buf[6] != '1' || buf[7] != '9' {
		return -1, 0
	}
	var old [15]byte
	copy(old[:6], buf[:6])
	copy(old[6:], buf[8:17])
	return bytes.Index(norm, old[:]), 15
}

// minOwnOpaque is the fewest letters and digits an opaque value needs for
// ScreenText to look for it: shorter ones would match ordinary words.
const minOwnOpaque = 4

// schemePrefix returns the byte offset and name of the first scheme written
// as a prefix (see ScreenText), or -1.
func schemePrefix(text string) (int, string) {
	const wideColon = "："
	wide := strings.IndexByte(text, wideColon[0]) >= 0 // ASCII text has no wide colon
	for i := 0; i < len(text); i++ {
		var rest string
		switch {
		case text[i] == ':':
			rest = text[i+1:]
		case wide && strings.HasPrefix(text[i:], wideColon):
			rest = text[i+len(wideColon):]
		case !wide:
			j := strings.IndexByte(text[i:], ':')
			if j < 0 {
				return -1, ""
			}
			i += j - 1
			continue
		default:
			continue
		}
		if at, scheme := schemeBefore(text, i); at >= 0 {
			opaque := scheme != SchemeCNRID && scheme != SchemeUSCC
			if !opaque || (rest != "" && rest[0] > ' ' && rest[0] <= '~') {
				return at, scheme
			}
		}
	}
	return -1, ""
}

// schemeBefore returns the scheme that ends at text[i], starting a word,
// and where it starts, or -1.
func schemeBefore(text string, i int) (int, string) {
	for _, scheme := range Schemes {
		at := i - len(scheme)
		if at >= 0 && strings.EqualFold(text[at:i], scheme) && (at == 0 || !wordByte(text[at-1])) {
			return at, scheme
		}
	}
	return -1, ""
}

// wordByte reports whether c continues a word before a scheme: then the
// scheme is the tail of another word or of an address (example.org:443).
func wordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.'
}
