package identity_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

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
		{name: "ErrCNRIDImpossibleDate", in: "cn-rid:110105199913990015",
			err: `subject "cn-rid:110105199913990015": birth date 19991399 (characters 7-14) is not a real date from 1900-01-01 to today`},
		{name: "ErrCNRID31February", in: "cn-rid:110105199002311237",
			err: `subject "cn-rid:110105199002311237": birth date 19900231 (characters 7-14) is not a real date from 1900-01-01 to today`},
		{name: "ErrCNRID29FebruaryNotLeap", in: "cn-rid:110105199902290013",
			err: `subject "cn-rid:110105199902290013": birth date 19990229 (characters 7-14) is not a real date from 1900-01-01 to today`},
		{name: "OKCNRID29FebruaryLeap", in: "cn-rid:110105200002290013",
			want: probity.Subject{Scheme: "cn-rid", Value: "110105200002290013", Kind: probity.KindPerson}},
		{name: "ErrCNRIDMonth00", in: "cn-rid:110105199000010019",
			err: `subject "cn-rid:110105199000010019": birth date 19900001 (characters 7-14) is not a real date from 1900-01-01 to today`},
		{name: "ErrCNRIDMonth13", in: "cn-rid:110105199013010018",
			err: `subject "cn-rid:110105199013010018": birth date 19901301 (characters 7-14) is not a real date from 1900-01-01 to today`},
		{name: "ErrCNRIDDay00", in: "cn-rid:110105199001000015",
			err: `subject "cn-rid:110105199001000015": birth date 19900100 (characters 7-14) is not a real date from 1900-01-01 to today`},
		{name: "ErrCNRIDRegion000000", in: "cn-rid:00000019900101123X",
			err: `subject "cn-rid:00000019900101123X": region code 000000 (characters 1-6) is not a GB/T 2260 administrative division code`},
		{name: "ErrCNRIDRegion999999", in: "cn-rid:999999199001011238",
			err: `subject "cn-rid:999999199001011238": region code 999999 (characters 1-6) is not a GB/T 2260 administrative division code`},
		{name: "ErrCNRIDRegion990426", in: "cn-rid:990426199112010074",
			err: `subject "cn-rid:990426199112010074": region code 990426 (characters 1-6) is not a GB/T 2260 administrative division code`},
		{name: "OKCNRIDRegionSinceAbolished", in: "cn-rid:110103198001010013", // 崇文区, merged in 2010
			want: probity.Subject{Scheme: "cn-rid", Value: "110103198001010013", Kind: probity.KindPerson}},
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
		{name: "ErrUSCCLetterInRegion", in: "uscc:9111000A6000373415",
			err: `subject "uscc:9111000A6000373415": character 8 of the uscc is 'A'; characters 3-8 are a region code: digits`},
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

// cnrid returns the cn-rid of the 17 digits first17 with its right check
// digit, so that a test refuses it for what it means to refuse.
func cnrid(tb testing.TB, first17 string) string {
	tb.Helper()
	c := identity.CNRIDCheck(first17)
	if c == 0 {
		tb.Fatalf("CNRIDCheck(%q): not 17 digits", first17)
	}
	return "cn-rid:" + first17 + string(c)
}

// uscc returns the uscc of first17 with its right check character.
func uscc(tb testing.TB, first17 string) string {
	tb.Helper()
	c := identity.USCCCheck(first17)
	if c == 0 {
		tb.Fatalf("USCCCheck(%q): not 17 characters of the code's alphabet", first17)
	}
	return "uscc:" + first17 + string(c)
}

// TestParseBirthDate checks that a cn-rid's characters 7-14 must be a real
// date from 1900-01-01 to today.
func TestParseBirthDate(t *testing.T) {
	china := time.FixedZone("CST", 8*60*60)
	yesterday := time.Now().In(china).AddDate(0, 0, -1).Format("20060102")
	later := time.Now().In(china).AddDate(0, 0, 2).Format("20060102")
	for _, tt := range []struct {
		name, date string
		ok         bool
	}{
		{"OKFirstDay", "19000101", true},
		{"OKLeapDay2000", "20000229", true},
		{"OKLeapDay2024", "20240229", true},
		{"OKEndOfYear", "19491231", true},
		{"OKYesterday", yesterday, true},
		{"ErrBefore1900", "18991231", false},
		{"ErrLeapDay1900", "19000229", false},
		{"ErrLeapDay2023", "20230229", false},
		{"Err30February", "19920230", false},
		{"Err31April", "19900431", false},
		{"Err31June", "19900631", false},
		{"Err31September", "19900931", false},
		{"Err31November", "19901131", false},
		{"ErrDay32", "19900132", false},
		{"ErrDay00", "19900100", false},
		{"ErrMonth00", "19900001", false},
		{"ErrMonth13", "19901301", false},
		{"ErrMonth99", "19909901", false},
		{"ErrFuture", later, false},
		{"ErrYear9999", "99990101", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id := cnrid(t, "110105"+tt.date+"001")
			_, err := identity.Parse(id)
			if tt.ok {
				if err != nil {
					t.Fatalf("Parse(%q): %v", id, err)
				}
				return
			}
			assertInvalid(t, err, fmt.Sprintf("subject %q: birth date %s (characters 7-14) is not a real date from 1900-01-01 to today", id, tt.date))
		})
	}
}

// TestParseRegion checks that a cn-rid's characters 1-6 must be a GB/T 2260
// code that was ever in force, whenever it was.
func TestParseRegion(t *testing.T) {
	for _, tt := range []struct {
		name, region string
		ok           bool
	}{
		{"OKProvince", "110000", true},
		{"OKDistrict", "440305", true},
		{"OKAbolished", "110103", true},    // 崇文区, to 2010
		{"OKCreatedLater", "110119", true}, // 延庆区, from 2015: numbers are issued long after birth
		{"OKMacao", "820000", true},
		{"ErrZero", "000000", false},
		{"ErrNines", "999999", false},
		{"ErrNoSuchProvince", "990426", false},
		{"ErrNoSuchDistrict", "110199", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id := cnrid(t, tt.region+"19800101"+"001")
			_, err := identity.Parse(id)
			if tt.ok {
				if err != nil {
					t.Fatalf("Parse(%q): %v", id, err)
				}
				return
			}
			assertInvalid(t, err, fmt.Sprintf("subject %q: region code %s (characters 1-6) is not a GB/T 2260 administrative division code", id, tt.region))
		})
	}
}

// TestParseUSCCStructure checks characters 1-8 of a uscc against GB 32100:
// a registration authority, an organisation category it allows, and a
// region code of digits. Every code has its right check character.
func TestParseUSCCStructure(t *testing.T) {
	for _, tt := range []struct {
		name, first17 string
		err           string // after `subject "...": `; "" if valid
	}{
		{"OKEnterprise", "91350100M000100Y4", ""},
		{"OKIndividualBusiness", "92350100M000100Y4", ""},
		{"OKCooperative", "93350100M000100Y4", ""},
		{"OKPublicInstitution", "12100000400001234", ""},
		{"OKSocialOrganisation", "51110000500001234", ""},
		{"OKLawFirm", "31110000E00001234", ""},
		{"OKMilitary", "A1110000000001234", ""},
		{"OKAgriculture", "N2110000000001234", ""},
		{"OKOther", "Y1110000000001234", ""},
		{"ErrAuthority0", "01110000000001234", "character 1 of the uscc is '0'; want a registration authority: 1-9, A, N or Y"},
		{"ErrAuthorityB", "B1110000000001234", "character 1 of the uscc is 'B'; want a registration authority: 1-9, A, N or Y"},
		{"ErrCategoryOfMarket", "94350100M000100Y4", "character 2 of the uscc is '4'; registration authority 9 allows the organisation categories 1, 2, 3"},
		{"ErrCategoryOfOther", "Y2110000000001234", "character 2 of the uscc is '2'; registration authority Y allows the organisation categories 1"},
		{"ErrCategoryLetter", "9A350100M000100Y4", "character 2 of the uscc is 'A'; registration authority 9 allows the organisation categories 1, 2, 3"},
		{"ErrRegionLetter", "9111000A600037341", "character 8 of the uscc is 'A'; characters 3-8 are a region code: digits"},
		{"ErrRegionLetterFirst", "91B10000600037341", "character 3 of the uscc is 'B'; characters 3-8 are a region code: digits"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id := uscc(t, tt.first17)
			for _, in := range []string{id, strings.ToLower(id[:5]) + strings.ToLower(id[5:])} {
				_, err := identity.Parse(in)
				if tt.err == "" {
					if err != nil {
						t.Fatalf("Parse(%q): %v", in, err)
					}
					continue
				}
				want := fmt.Sprintf("subject %q: %s", in, tt.err)
				if in != id { // lower case: the message shows the character as written
					want = fmt.Sprintf("subject %q: ...", in)
				}
				assertInvalid(t, err, want)
			}
		})
	}
}

// TestGenerateMutations checks that Parse refuses a generated cn-rid whose
// birth date or region is made impossible, even with its check digit
// recomputed: exactness is more than the check digit.
func TestGenerateMutations(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, tt := range []struct {
		name   string
		mutate func(v string) string // the 17 digits, changed
		want   string                // what the message says is wrong
	}{
		{"ErrDay32", func(v string) string { return v[:12] + "32" + v[14:] }, "birth date"},
		{"ErrDay00", func(v string) string { return v[:12] + "00" + v[14:] }, "birth date"},
		{"ErrMonth13", func(v string) string { return v[:10] + "13" + v[12:] }, "birth date"},
		{"ErrMonth00", func(v string) string { return v[:10] + "00" + v[12:] }, "birth date"},
		{"Err30February", func(v string) string { return v[:10] + "0230" + v[14:] }, "birth date"},
		{"Err29FebruaryOf1999", func(v string) string { return v[:6] + "19990229" + v[14:] }, "birth date"},
		{"ErrYear1899", func(v string) string { return v[:6] + "1899" + v[10:] }, "birth date"},
		{"ErrRegionNone", func(v string) string { return "000000" + v[6:] }, "region code"},
		{"ErrRegionUnknownProvince", func(v string) string { return fmt.Sprintf("%02d%04d", 91+r.IntN(9), r.IntN(10000)) + v[6:] }, "region code"},
		{"ErrRegionUnknownCounty", func(v string) string { return v[:4] + "99" + v[6:] }, "region code"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for range 200 {
				first17 := identity.GenerateCNRID(r)[len("cn-rid:"):][:17]
				id := cnrid(t, tt.mutate(first17))
				_, err := identity.Parse(id)
				if err == nil || !strings.Contains(probity.ErrorMessage(err), ": "+tt.want+" ") {
					t.Fatalf("Parse(%q)=%v, want a refusal of its %s", id, err, tt.want)
				}
			}
		})
	}
}
