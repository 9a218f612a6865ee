package spec

import (
	"strings"
	"unicode"
)

// protectedP2 is the tail of every protected-input error.
const protectedP2 = "P2 forbids political, religious, ethnic, health, union, sexual, biometric, location, social and lifestyle inputs"

// protectedInputs are the words that name an input P2 forbids, by category.
// A name is split into tokens on everything but letters ("petition_signed"
// is "petition", "signed"); a pattern matches consecutive tokens. A pattern
// token ending in * matches any token it begins ("politic*" matches
// "politics"); any other matches the token exactly or with a plural s or es
// ("race" matches "races" but not "grace", "contact*" does not match
// "contract").
var protectedInputs = []struct {
	category string
	patterns []string
}{
	{"political opinions and activity", []string{"politic*", "vote", "voted", "voting", "voter*",
		"partisan*", "party member*", "party affiliat*", "party dues", "opinion", "speech", "dissent*", "activis*"}},
	{"petitions and complaints to authorities", []string{"petition*", "complain*", "protest*", "demonstration*", "whistleblow*"}},
	{"religion and belief", []string{"relig*", "church*", "mosque*", "temple*", "synagogue*", "faith*", "belief*",
		"believer", "worship*", "prayer*", "atheis*"}},
	{"ethnic origin and nationality", []string{"ethnic*", "race", "racial*", "nationalit*", "caste", "tribe", "tribal",
		"immigra*", "migrant"}},
	{"health and genetic data", []string{"health*", "medical*", "diagnos*", "disease*", "disabilit*", "disabled",
		"pregnan*", "genetic*", "genome*", "dna", "illness*", "hospital*", "covid*", "vaccin*", "mental"}},
	{"trade union membership", []string{"union", "unionis*", "unioniz*"}},
	{"sex life and sexual orientation", []string{"sexual*", "sex", "gender*", "orientation*", "lgbt*", "gay", "lesbian",
		"transgender*"}},
	{"biometric data", []string{"biometric*", "fingerprint*", "face", "facial*", "retina*", "voiceprint*"}},
	{"location and movement", []string{"location*", "gps", "geoloc*", "movement*", "travel*", "whereabouts"}},
	{"social relationships and social media", []string{"friend*", "contact*", "relationship*", "social*", "follower*",
		"marital", "divorce*", "wechat", "weibo", "facebook", "twitter", "tiktok", "instagram"}},
	{"lifestyle and purchases", []string{"lifestyle*", "purchase*", "shopping", "alcohol*", "smoking", "smoker*",
		"tobacco", "gaming", "gambl*", "drinking"}},
}

// notProtected are fixed phrases of finance whose tokens would otherwise hit
// a protected word: a credit union is a lender, face value is a bond's
// nominal amount, an audit opinion is an auditor's finding on accounts.
var notProtected = []string{"credit union", "face value", "audit opinion*"}

// protectedPattern is one pattern of protectedInputs, split into tokens.
type protectedPattern struct {
	category string
	tokens   []string
}

// protectedPatterns and notProtectedPatterns are the lists above, split once.
var protectedPatterns, notProtectedPatterns = func() (ps, nps []protectedPattern) {
	for _, group := range protectedInputs {
		for _, p := range group.patterns {
			ps = append(ps, protectedPattern{group.category, strings.Fields(p)})
		}
	}
	for _, p := range notProtected {
		nps = append(nps, protectedPattern{"", strings.Fields(p)})
	}
	return ps, nps
}()

// protected returns the category of protected input that name names, or ""
// if it names none.
func protected(name string) string {
	tokens := tokenize(name)
	covered := make([]bool, len(tokens))
	for _, phrase := range notProtectedPatterns {
		pat := phrase.tokens
		for i := range tokens {
			if matchAt(tokens, i, pat) {
				for j := range pat {
					covered[i+j] = true
				}
			}
		}
	}
	for i := range tokens {
		if covered[i] {
			continue
		}
		for _, p := range protectedPatterns {
			if matchAt(tokens, i, p.tokens) {
				return p.category
			}
		}
	}
	return ""
}

// tokenize splits s into lower-case runs of letters.
func tokenize(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) })
}

// matchAt reports whether the pattern tokens match tokens from i on.
func matchAt(tokens []string, i int, pat []string) bool {
	if i+len(pat) > len(tokens) {
		return false
	}
	for j, p := range pat {
		if !matchToken(tokens[i+j], p) {
			return false
		}
	}
	return true
}

// matchToken matches one token against one pattern token.
func matchToken(tok, pat string) bool {
	if prefix, ok := strings.CutSuffix(pat, "*"); ok {
		return strings.HasPrefix(tok, prefix)
	}
	return tok == pat || tok == pat+"s" || tok == pat+"es"
}
