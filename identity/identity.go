// Package identity validates subject identifiers exactly, check characters
// included, and turns them into per-domain pseudonyms. Identifiers are never
// matched fuzzily: a mistyped ID is an error, not a guess, because mixed files
// are the top complaint against credit bureaus. The package is pure except for
// the master key file (see LoadOrCreateMasterKey).
package identity

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/probity-dev/probity"
)

// Identifier schemes: the part of `scheme:value` before the colon.
const (
	SchemeCNRID  = "cn-rid" // PRC resident ID, ISO 7064 MOD 11-2 check digit; a person
	SchemePerson = "person" // opaque; a person
	SchemeUSCC   = "uscc"   // Unified Social Credit Code, GB 32100-2015; an organization
	SchemeOrg    = "org"    // opaque; an organization
	SchemeGov    = "gov"    // opaque; a public body
)

// Schemes lists every identifier scheme, in the order shown in errors.
var Schemes = []string{SchemeCNRID, SchemePerson, SchemeUSCC, SchemeOrg, SchemeGov}

// MaxOpaqueLen is the longest value of an opaque identifier (person:, org:,
// gov:), in characters.
const MaxOpaqueLen = 128

// Parse validates an identifier `scheme:value` and returns it in canonical
// form with the kind its scheme implies. The scheme is matched exactly (lower
// case). A cn-rid's check character x and a uscc's letters are upper-cased;
// opaque values are kept exactly. Anything else is an EINVALID *probity.Error
// that says what was wrong and what is allowed.
func Parse(s string) (probity.Subject, error) {
	scheme, value, ok := strings.Cut(s, ":")
	if !ok {
		if s == "" {
			return probity.Subject{}, probity.Errorf(probity.EINVALID,
				"subject is empty; write scheme:value with scheme one of %s", strings.Join(Schemes, ", "))
		}
		return probity.Subject{}, probity.Errorf(probity.EINVALID,
			"subject %s: missing scheme; write scheme:value with scheme one of %s", quote(s), strings.Join(Schemes, ", "))
	}
	var (
		kind probity.SubjectKind
		msg  string
	)
	switch scheme {
	case SchemeCNRID:
		kind, value, msg = probity.KindPerson, strings.ToUpper(value), checkCNRID(value)
	case SchemeUSCC:
		kind, value, msg = probity.KindOrganization, strings.ToUpper(value), checkUSCC(value)
	case SchemePerson:
		kind, msg = probity.KindPerson, checkOpaque(value)
	case SchemeOrg:
		kind, msg = probity.KindOrganization, checkOpaque(value)
	case SchemeGov:
		kind, msg = probity.KindPublicBody, checkOpaque(value)
	default:
		return probity.Subject{}, probity.Errorf(probity.EINVALID,
			"subject %s: unknown scheme %s; allowed: %s", quote(s), quote(scheme), strings.Join(Schemes, ", "))
	}
	if msg != "" {
		return probity.Subject{}, probity.Errorf(probity.EINVALID, "subject %s: %s", quote(s), msg)
	}
	return probity.Subject{Scheme: scheme, Value: value, Kind: kind}, nil
}

// checkCNRID returns what is wrong with the value of a cn-rid, or "".
// Upper-casing the value before use is safe once it passes: only the check
// character can be a letter.
func checkCNRID(v string) string {
	if n := utf8.RuneCountInString(v); n != 18 {
		return fmt.Sprintf("a cn-rid is 18 characters: 17 digits and a check digit 0-9 or X, got %d", n)
	}
	pos := 0
	for _, r := range v {
		switch pos++; {
		case r >= '0' && r <= '9':
		case pos == 18 && (r == 'X' || r == 'x'):
		case pos == 18:
			return fmt.Sprintf("character 18 of the cn-rid is %q; want a check digit 0-9 or X", r)
		default:
			return fmt.Sprintf("character %d of the cn-rid is %q; want a digit", pos, r)
		}
	}
	// v is 18 ASCII characters now.
	if !isCNRegion(v) {
		return fmt.Sprintf("region code %s (characters 1-6) is not a GB/T 2260 administrative division code", v[:6])
	}
	if !isBirthDate(v[6:14]) {
		return fmt.Sprintf("birth date %s (characters 7-14) is not a real date from 1900-01-01 to today", v[6:14])
	}
	if got, want := upper(v[17]), CNRIDCheck(v[:17]); got != want {
		return fmt.Sprintf("check digit is %c, want %c", got, want)
	}
	return ""
}

// checkUSCC returns what is wrong with the value of a uscc, or "".
func checkUSCC(v string) string {
	const allowed = "0-9 and the letters A-Y except I, O, S, V, Z"
	if n := utf8.RuneCountInString(v); n != 18 {
		return fmt.Sprintf("a uscc is 18 characters from %s, got %d", allowed, n)
	}
	pos := 0
	for _, r := range v {
		if pos++; r >= utf8.RuneSelf || usccIndex[upper(byte(r))] < 0 {
			return fmt.Sprintf("character %d of the uscc is %q; allowed: %s", pos, r, allowed)
		}
	}
	// v is 18 ASCII characters of the code's alphabet now.
	authority, category := upper(v[0]), upper(v[1])
	if usccCategories[authority] == "" {
		return fmt.Sprintf("character 1 of the uscc is %q; want a registration authority: 1-9, A, N or Y", authority)
	}
	if !strings.ContainsRune(usccCategories[authority], rune(category)) {
		return fmt.Sprintf("character 2 of the uscc is %q; registration authority %c allows the organisation categories %s",
			category, authority, strings.Join(strings.Split(usccCategories[authority], ""), ", "))
	}
	for i := 2; i < 8; i++ {
		if v[i] < '0' || v[i] > '9' {
			return fmt.Sprintf("character %d of the uscc is %q; characters 3-8 are a region code: digits", i+1, v[i])
		}
	}
	if got, want := upper(v[17]), USCCCheck(strings.ToUpper(v[:17])); got != want {
		return fmt.Sprintf("check character is %c, want %c", got, want)
	}
	return ""
}

// usccCategories maps each registration authority (character 1 of a uscc)
// to the organisation categories (character 2) GB 32100-2015 allows under
// it, as amended since (A, the Central Military Commission's establishment
// office, and N, agriculture, were added):
//
//	1 establishment (机构编制): 1 organs, 2 public institutions, 3 mass organisations, 9 other
//	2 foreign affairs: 1 resident foreign news agencies, 9 other
//	3 justice: 1 law firms, 2 notaries, 3 legal service offices, 4 forensic bodies, 5 arbitration, 9 other
//	4 culture: 1 foreign cultural centres, 9 other
//	5 civil affairs (民政): 1 social organisations, 2 private non-enterprise units, 3 foundations, 9 other
//	6 tourism: 1 and 2 representative offices, 9 other
//	7 religion: 1 places of worship, 2 religious schools, 9 other
//	8 trade unions: 1 grass-roots unions, 9 other
//	9 market regulation (工商): 1 enterprises, 2 individual businesses, 3 farmers' cooperatives
//	A military establishment: 1 military public institutions, 9 other
//	N agriculture: 1, 2, 3 collective economic organisations (group, village, township), 9 other
//	Y other: 1 only
//
// A code outside the table was not issued under the standard; refusing it
// also keeps ScreenText from taking an ordinary run of 18 digits for a code.
var usccCategories = [256]string{
	'1': "1239", '2': "19", '3': "123459", '4': "19", '5': "1239", '6': "129",
	'7': "129", '8': "19", '9': "123", 'A': "19", 'N': "1239", 'Y': "1",
}

// checkOpaque returns what is wrong with the value of an opaque identifier, or "".
func checkOpaque(v string) string {
	const allowed = "1 to 128 printable ASCII characters without spaces (! to ~)"
	if v == "" {
		return "the value is empty; write " + allowed
	}
	if n := utf8.RuneCountInString(v); n > MaxOpaqueLen {
		return fmt.Sprintf("the value is %d characters; write %s", n, allowed)
	}
	for i, r := range v {
		if r < 0x21 || r > 0x7E {
			return fmt.Sprintf("character %d of the value is %q; write %s",
				utf8.RuneCountInString(v[:i])+1, r, allowed)
		}
	}
	return ""
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// quote quotes an input for an error message; see probity.Quote.
func quote(s string) string { return probity.Quote(s) }
