package identity_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/identity"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		want probity.Subject // zero when an error is expected
		err  string          // the whole message, or a prefix ending in "..."
	}{
		{name: "OKCNRID", in: "cn-rid:11010519491231002X",
			want: probity.Subject{Scheme: "cn-rid", Value: "11010519491231002X", Kind: probity.KindPerson}},
		{name: "OKCNRIDLowerX", in: "cn-rid:11010519491231002x",
			want: probity.Subject{Scheme: "cn-rid", Value: "11010519491231002X", Kind: probity.KindPerson}},
		{name: "OKCNRIDDigitCheck", in: "cn-rid:440305199001011248",
			want: probity.Subject{Scheme: "cn-rid", Value: "440305199001011248", Kind: probity.KindPerson}},
		{name: "OKCNRIDImpossibleDate", in: "cn-rid:110105199913990015",
			want: probity.Subject{Scheme: "cn-rid", Value: "110105199913990015", Kind: probity.KindPerson}},
		{name: "ErrCNRIDCheckDigit", in: "cn-rid:110105194912310021",
			err: `subject "cn-rid:110105194912310021": check digit is 1, want X`},
		{name: "ErrCNRIDCheckDigitLowerX", in: "cn-rid:11010519491231003x",
			err: `subject "cn-rid:11010519491231003x": check digit is X, want 8`},
		{name: "ErrCNRIDLong", in: "cn-rid:11010519491231002X0",
			err: `subject "cn-rid:11010519491231002X0": a cn-rid is 18 characters: 17 digits and a check digit 0-9 or X, got 19`},
		{name: "ErrCNRIDShort", in: "cn-rid:1101051949123100",
			err: `subject "cn-rid:1101051949123100": a cn-rid is 18 characters: 17 digits and a check digit 0-9 or X, got 16`},
		{name: "ErrCNRIDEmpty", in: "cn-rid:",
			err: `subject "cn-rid:": a cn-rid is 18 characters: 17 digits and a check digit 0-9 or X, got 0`},
		{name: "ErrCNRIDLetter", in: "cn-rid:1101051949A231002X",
			err: `subject "cn-rid:1101051949A231002X": character 11 of the cn-rid is 'A'; want a digit`},
		{name: "ErrCNRIDBadCheckChar", in: "cn-rid:11010519491231002Y",
			err: `subject "cn-rid:11010519491231002Y": character 18 of the cn-rid is 'Y'; want a check digit 0-9 or X`},
		{name: "ErrCNRIDNonASCII", in: "cn-rid:11010519491231002é",
			err: `subject "cn-rid:11010519491231002é": character 18 of the cn-rid is 'é'; want a check digit 0-9 or X`},
		{name: "ErrCNRIDFullWidthDigit", in: "cn-rid:１10105194912310021",
			err: `subject "cn-rid:１10105194912310021": character 1 of the cn-rid is '１'; want a digit`},
		{name: "ErrUSCCNonASCII", in: "uscc:91350100M000100Yı3",
			err: `subject "uscc:91350100M000100Yı3": character 17 of the uscc is 'ı'; allowed: 0-9 and the letters A-Y except I, O, S, V, Z`},
		{name: "ErrCNRIDSpace", in: "cn-rid: 11010519491231002X",
			err: `subject "cn-rid: 11010519491231002X": a cn-rid is 18 characters: 17 digits and a check digit 0-9 or X, got 19`},

		{name: "OKUSCC", in: "uscc:91350100M000100Y43",
			want: probity.Subject{Scheme: "uscc", Value: "91350100M000100Y43", Kind: probity.KindOrganization}},
		{name: "OKUSCCLowerCase", in: "uscc:91350100m000100y43",
			want: probity.Subject{Scheme: "uscc", Value: "91350100M000100Y43", Kind: probity.KindOrganization}},
		{name: "ErrUSCCCheck", in: "uscc:91350100M000100Y44",
			err: `subject "uscc:91350100M000100Y44": check character is 4, want 3`},
		{name: "ErrUSCCLength", in: "uscc:91350100M000100Y4",
			err: `subject "uscc:91350100M000100Y4": a uscc is 18 characters from 0-9 and the letters A-Y except I, O, S, V, Z, got 17`},
		{name: "ErrUSCCForbiddenLetter", in: "uscc:91350100M0001O0Y43",
			err: `subject "uscc:91350100M0001O0Y43": character 14 of the uscc is 'O'; allowed: 0-9 and the letters A-Y except I, O, S, V, Z`},
		{name: "ErrUSCCEmpty", in: "uscc:",
			err: `subject "uscc:": a uscc is 18 characters from 0-9 and the letters A-Y except I, O, S, V, Z, got 0`},

		{name: "OKPerson", in: "person:Alice-42",
			want: probity.Subject{Scheme: "person", Value: "Alice-42", Kind: probity.KindPerson}},
		{name: "OKOrg", in: "org:acme:branch/7",
			want: probity.Subject{Scheme: "org", Value: "acme:branch/7", Kind: probity.KindOrganization}},
		{name: "OKGov", in: "gov:city.of.springfield",
			want: probity.Subject{Scheme: "gov", Value: "city.of.springfield", Kind: probity.KindPublicBody}},
		{name: "OKOpaqueMaxLength", in: "person:" + strings.Repeat("a", 128),
			want: probity.Subject{Scheme: "person", Value: strings.Repeat("a", 128), Kind: probity.KindPerson}},
		{name: "ErrOpaqueEmpty", in: "org:",
			err: `subject "org:": the value is empty; write 1 to 128 printable ASCII characters without spaces (! to ~)`},
		{name: "ErrOpaqueSpace", in: "person:Alice Smith",
			err: `subject "person:Alice Smith": character 6 of the value is ' '; write 1 to 128 printable ASCII characters without spaces (! to ~)`},
		{name: "ErrOpaqueNonASCII", in: "gov:zürich",
			err: `subject "gov:zürich": character 2 of the value is 'ü'; write 1 to 128 printable ASCII characters without spaces (! to ~)`},
		{name: "ErrOpaqueTooLong", in: "person:" + strings.Repeat("a", 129),
			err: `subject "person:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"... (136 bytes): the value is 129 characters; write ...`},

		{name: "ErrUnknownScheme", in: "foo:1",
			err: `subject "foo:1": unknown scheme "foo"; allowed: cn-rid, person, uscc, org, gov`},
		{name: "ErrUpperCaseScheme", in: "CN-RID:11010519491231002X",
			err: `subject "CN-RID:11010519491231002X": unknown scheme "CN-RID"; allowed: cn-rid, person, uscc, org, gov`},
		{name: "ErrMissingColon", in: "11010519491231002X",
			err: `subject "11010519491231002X": missing scheme; write scheme:value with scheme one of cn-rid, person, uscc, org, gov`},
		{name: "ErrEmpty", in: "",
			err: `subject is empty; write scheme:value with scheme one of cn-rid, person, uscc, org, gov`},
		{name: "ErrLongInputTruncated", in: strings.Repeat("x", 10000),
			err: `subject "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"... (10000 bytes): missing scheme; ...`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := identity.Parse(tt.in)
			if tt.err == "" {
				if err != nil {
					t.Fatalf("Parse(%q): %v", tt.in, err)
				}
				if got != tt.want {
					t.Fatalf("Parse(%q)=%+v, want %+v", tt.in, got, tt.want)
				}
				return
			}
			assertInvalid(t, err, tt.err)
		})
	}
}

// assertInvalid fails unless err is an EINVALID *probity.Error whose message
// is want, or starts with want's text before a trailing "...".
func assertInvalid(tb testing.TB, err error, want string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("err=nil, want %q", want)
	}
	if got := probity.ErrorCode(err); got != probity.EINVALID {
		tb.Fatalf("ErrorCode=%q, want %q (%v)", got, probity.EINVALID, err)
	}
	msg := probity.ErrorMessage(err)
	if prefix, ok := strings.CutSuffix(want, "..."); ok {
		if !strings.HasPrefix(msg, prefix) {
			tb.Fatalf("message=%q, want prefix %q", msg, prefix)
		}
	} else if msg != want {
		tb.Fatalf("message=%q, want %q", msg, want)
	}
	if len(msg) > 300 {
		tb.Fatalf("message is %d bytes long; long inputs must be truncated", len(msg))
	}
}

func TestCheck(t *testing.T) {
	for _, tt := range []struct {
		name  string
		check func(string) byte
		in    string
		want  byte
	}{
		{name: "OKCNRID", check: identity.CNRIDCheck, in: "11010519491231002", want: 'X'},
		{name: "OKCNRIDDigit", check: identity.CNRIDCheck, in: "44030519900101124", want: '8'},
		{name: "OKUSCC", check: identity.USCCCheck, in: "91350100M000100Y4", want: '3'},
		{name: "ErrCNRIDLength", check: identity.CNRIDCheck, in: "1101051949123100", want: 0},
		{name: "ErrCNRIDLetter", check: identity.CNRIDCheck, in: "1101051949123100A", want: 0},
		{name: "ErrUSCCLowerCase", check: identity.USCCCheck, in: "91350100m000100Y4", want: 0},
		{name: "ErrUSCCForbiddenLetter", check: identity.USCCCheck, in: "91350100M000100S4", want: 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.check(tt.in); got != tt.want {
				t.Fatalf("check(%q)=%q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestGenerate(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tt := range []struct {
		name     string
		generate func(*rand.Rand) string
		kind     probity.SubjectKind
		prefix   string
	}{
		{name: "OKCNRID", generate: identity.GenerateCNRID, kind: probity.KindPerson, prefix: "cn-rid:"},
		{name: "OKUSCC", generate: identity.GenerateUSCC, kind: probity.KindOrganization, prefix: "uscc:91"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[string]bool{}
			for range 2000 {
				id := tt.generate(r)
				s, err := identity.Parse(id)
				if err != nil {
					t.Fatalf("Parse(%q): %v", id, err)
				}
				if got := s.String(); got != id {
					t.Fatalf("String()=%q, want %q", got, id)
				}
				if s.Kind != tt.kind {
					t.Fatalf("Kind=%q, want %q", s.Kind, tt.kind)
				}
				if !strings.HasPrefix(id, tt.prefix) {
					t.Fatalf("%q does not start with %q", id, tt.prefix)
				}
				seen[id] = true
			}
			if len(seen) < 1990 {
				t.Fatalf("%d distinct identifiers out of 2000", len(seen))
			}
		})
	}
	t.Run("OKBirthDate", func(t *testing.T) {
		for range 2000 {
			id := identity.GenerateCNRID(r)
			y, m, d := id[13:17], id[17:19], id[19:21]
			if y < "1940" || y > "2005" || m < "01" || m > "12" || d < "01" || d > "31" {
				t.Fatalf("%q has birth date %s-%s-%s", id, y, m, d)
			}
		}
	})
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"cn-rid:11010519491231002X", "cn-rid:11010519491231002x", "uscc:91350100M000100Y43",
		"uscc:91350100m000100y43", "person:alice", "org:a:b", "gov:x", "foo:1", "", ":", "cn-rid:",
		"person:é", "uscc:" + strings.Repeat("ı", 18),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := identity.Parse(in)
		if err != nil {
			if probity.ErrorCode(err) != probity.EINVALID {
				t.Fatalf("Parse(%q): code %q, want %q", in, probity.ErrorCode(err), probity.EINVALID)
			}
			if n := len(probity.ErrorMessage(err)); n > 400 {
				t.Fatalf("Parse(%q): message of %d bytes", in, n)
			}
			return
		}
		again, err := identity.Parse(s.String())
		if err != nil {
			t.Fatalf("Parse(%q)=%+v, which does not re-parse: %v", in, s, err)
		}
		if again != s {
			t.Fatalf("Parse(%q)=%+v, re-parsed as %+v", in, s, again)
		}
	})
}
