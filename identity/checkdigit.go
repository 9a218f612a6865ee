package identity

import (
	"math/rand/v2"
	"time"
)

// cnridWeights are the ISO 7064 MOD 11-2 weights of a resident ID's first 17
// digits (2^(17-i) mod 11).
var cnridWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// cnridChecks maps the weighted sum mod 11 to the check character.
const cnridChecks = "10X98765432"

// CNRIDCheck returns the check character (0-9 or X) of a resident ID's first
// 17 characters, or 0 if first17 is not exactly 17 ASCII digits.
func CNRIDCheck(first17 string) byte { return cnridCheck(first17) }

// text is what the checks read: a string as given, or normalised bytes.
type text interface{ ~string | ~[]byte }

func cnridCheck[T text](first17 T) byte {
	if len(first17) != 17 {
		return 0
	}
	sum := 0
	for i := range 17 {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0
		}
		sum += int(c-'0') * cnridWeights[i]
	}
	return cnridChecks[sum%11]
}

// usccAlphabet is the 31-character alphabet of GB 32100-2015: digits and the
// capital letters without I, O, S, V, Z. A character's value is its index.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are the GB 32100-2015 weights of a code's first 17 characters
// (3^i mod 31).
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// usccIndex maps a byte to its value in usccAlphabet, or -1.
var usccIndex = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := range len(usccAlphabet) {
		t[usccAlphabet[i]] = int8(i)
	}
	return t
}()

// USCCCheck returns the check character of a Unified Social Credit Code's
// first 17 characters, or 0 if first17 is not exactly 17 characters of the
// code's alphabet (upper case: 0-9 and A-Y without I, O, S, V, Z).
func USCCCheck(first17 string) byte { return usccCheck(first17) }

func usccCheck[T text](first17 T) byte {
	if len(first17) != 17 {
		return 0
	}
	sum := 0
	for i := range 17 {
		v := usccIndex[first17[i]]
		if v < 0 {
			return 0
		}
		sum += int(v) * usccWeights[i]
	}
	return usccAlphabet[(31-sum%31)%31]
}

// regionCodes are real county-level administrative division codes, used so
// that generated identifiers look like the ones reporters send.
var regionCodes = []string{
	"110101", "110105", "110108", "120101", "310104", "310115", "320102", "320505",
	"330106", "350102", "370102", "420102", "440103", "440305", "500103", "510104",
	"610113", "650102",
}

var (
	birthFirst = time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC)
	birthDays  = int(time.Date(2005, 12, 31, 0, 0, 0, 0, time.UTC).Sub(birthFirst).Hours() / 24)
)

// GenerateCNRID returns a random valid resident ID with its scheme, e.g.
// "cn-rid:11010519491231002X": a real region code, a birth date between 1940
// and 2005, a sequence number and the check digit. It is meant for demo data
// and tests; the same r gives the same sequence.
func GenerateCNRID(r *rand.Rand) string {
	b := make([]byte, 0, len(SchemeCNRID)+1+18)
	b = append(b, SchemeCNRID+":"...)
	b = append(b, regionCodes[r.IntN(len(regionCodes))]...)
	b = birthFirst.AddDate(0, 0, r.IntN(birthDays+1)).AppendFormat(b, "20060102")
	seq := r.IntN(999) + 1
	b = append(b, byte('0'+seq/100), byte('0'+seq/10%10), byte('0'+seq%10))
	return string(append(b, CNRIDCheck(string(b[len(SchemeCNRID)+1:]))))
}

// GenerateUSCC returns a random valid Unified Social Credit Code with its
// scheme: "uscc:91" (an enterprise registered with market regulation), a real
// region code, nine characters of the code's alphabet and the check
// character. It is meant for demo data and tests.
func GenerateUSCC(r *rand.Rand) string {
	b := make([]byte, 0, len(SchemeUSCC)+1+18)
	b = append(b, SchemeUSCC+":91"...)
	b = append(b, regionCodes[r.IntN(len(regionCodes))]...)
	for range 9 {
		b = append(b, usccAlphabet[r.IntN(len(usccAlphabet))])
	}
	return string(append(b, USCCCheck(string(b[len(SchemeUSCC)+1:]))))
}
