package identity_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/identity"
)

// Identifiers the screen looks for; each is valid.
const (
	screenCNRID = "cn-rid:11010519491231002X"
	screenUSCC  = "uscc:91350100M000100Y43"
)

func TestScreenText(t *testing.T) {
	alice := mustParse(t, screenCNRID)
	acme := mustParse(t, screenUSCC)
	bob := mustParse(t, "person:Bob-Smith-42")
	short := mustParse(t, "org:ab1")
	for _, tt := range []struct {
		name string
		text string
		own  []probity.Subject
		kind string // what the message names; "" when the text passes
	}{
		{name: "ErrCNRID", text: "11010519491231002X", kind: "a cn-rid"},
		{name: "ErrCNRIDLowerX", text: "holder 11010519491231002x, late", kind: "a cn-rid"},
		{name: "ErrCNRIDSpaced", text: "ID 1101 0519 4912 3100 2X on file", kind: "a cn-rid"},
		{name: "ErrCNRIDDashed", text: "110105-19491231-002-x", kind: "a cn-rid"},
		{name: "ErrCNRIDDotted", text: "110.105.194.912.310.02X", kind: "a cn-rid"},
		{name: "ErrCNRIDSlashesAndColons", text: "110105/19491231:002X", kind: "a cn-rid"},
		{name: "ErrCNRIDInWord", text: "ref11010519491231002Xend", kind: "a cn-rid"},
		{name: "ErrCNRIDFullWidth", text: "身份证号１１０１０５１９４９１２３１００２Ｘ", kind: "a cn-rid"},
		{name: "ErrCNRIDZeroWidth", text: "110105\u200b19491231\u200d002X", kind: "a cn-rid"},
		{name: "ErrCNRIDNewlines", text: "110105\n19491231\r\n002X", kind: "a cn-rid"},
		{name: "ErrCNRIDOtherOfAny", text: "440305199001011248", own: []probity.Subject{alice}, kind: "a cn-rid"},
		{name: "ErrCNRIDGluedToLetters", text: "ID11010519491231002Xok", kind: "a cn-rid"},
		{name: "ErrCNRIDBetweenDigitGroups", text: "0000 11010519491231002X 0000", kind: "a cn-rid"},
		{name: "ErrUSCC", text: "91350100M000100Y43", kind: "a uscc"},
		{name: "ErrUSCCLower", text: "company 91350100m000100y43 in arrears", kind: "a uscc"},
		{name: "ErrUSCCSpaced", text: "9135 0100 M000 100Y 43", kind: "a uscc"},
		{name: "ErrUSCCDashed", text: "91-350100-M000100Y4-3", kind: "a uscc"},
		{name: "ErrSchemePerson", text: "person:abc", kind: "written person:value"},
		{name: "ErrSchemePersonUpper", text: "see PERSON:X1 for details", kind: "written person:value"},
		{name: "ErrSchemeOrg", text: "(org:acme)", kind: "written org:value"},
		{name: "ErrSchemeGov", text: "gov:x", kind: "written gov:value"},
		{name: "ErrSchemeCNRIDAlone", text: "CN-RID:", kind: "written cn-rid:value"},
		{name: "ErrSchemeCNRIDSpace", text: "cn-rid: 1101", kind: "written cn-rid:value"},
		{name: "ErrSchemeUSCC", text: "Uscc:9", kind: "written uscc:value"},
		{name: "ErrSchemeFullWidthColon", text: "person：abc", kind: "written person:value"},
		{name: "ErrSchemeAfterDash", text: "acme-org:5", kind: "written org:value"},
		{name: "ErrOwnCNRIDNoCheck", text: "11010519491231002", own: []probity.Subject{alice}, kind: "the subject's own"},
		{name: "ErrOwnCNRIDWrongCheck", text: "110105 19491231 0021", own: []probity.Subject{alice}, kind: "the subject's own"},
		{name: "ErrOwnCNRIDDashes", text: "1101-0519-4912-3100-2", own: []probity.Subject{alice}, kind: "the subject's own"},
		{name: "ErrOwnCNRID15Digits", text: "old ID 110105491231002", own: []probity.Subject{alice}, kind: "the subject's own"},
		{name: "ErrOwnUSCCOrganisationCode", text: "org code M000100Y-4", own: []probity.Subject{acme}, kind: "the subject's own"},
		{name: "ErrOwnUSCCNoCheck", text: "91350100m000100y4", own: []probity.Subject{acme}, kind: "the subject's own"},
		{name: "ErrOwnOpaque", text: "Bob-Smith-42 paid late", own: []probity.Subject{bob}, kind: "the subject's own"},
		{name: "ErrOwnOpaqueSpelled", text: "paid by bob smith 42", own: []probity.Subject{bob}, kind: "the subject's own"},
		{name: "ErrOwnOpaqueInKey", text: "loan-BOBSMITH42-7", own: []probity.Subject{bob}, kind: "the subject's own"},
		{name: "ErrOwnSecondSubject", text: "11010519491231002", own: []probity.Subject{bob, alice}, kind: "the subject's own"},

		{name: "OKEmpty", text: ""},
		{name: "OKProse", text: "The payment was 30 days late; the customer says the bank's reminder never arrived."},
		{name: "OKChinese", text: "借款人已于2024年1月31日还清全部欠款。"},
		{name: "OKDate", text: "2024-01-31"},
		{name: "OKDateTime", text: "2024-01-31T12:00:00Z"},
		{name: "OKAmount", text: "amount 12,000.00 CNY, fee 1.234.567,89"},
		{name: "OKEventKey", text: "acme-lending-0000004-006"},
		{name: "OKCureKey", text: "national-tax-0000072-001-c"},
		{name: "OKRef", text: "ref-123456"},
		{name: "OKPersonProse", text: "Contact person: the branch manager"},
		{name: "OKOrgAddress", text: "see https://courts.example.org:8080/case/42"},
		{name: "OKGovDomain", text: "filed at tax.gov:443"},
		{name: "OKSchemeInWord", text: "reorg:2024"},
		{name: "OKPersonColonSpace", text: "person: unknown"},
		{name: "OKCNRIDInLongerDigits", text: "000011010519491231002X0000"},
		{name: "OKUSCCInLongerWord", text: "loan91350100M000100Y43"},
		{name: "ErrUSCCAfterItsSchemeName", text: "r_uscc91350100m000100y43", kind: "a uscc"},
		{name: "OKNumericKey", text: "demo-1796491157840608030"}, // holds a valid uscc from its 5th character
		{name: "OKUUIDKey", text: "c2d0c7e3-9a4b-4f21-8d8e-112233445566"},
		{name: "OKLongDigitsInvalid", text: "314159265358979323846264338327950288"},
		{name: "OKLongDigitsInvalidSpaced", text: "2718 2818 2845 9045 2353 6028 7471 3526 6249"},
		{name: "OKPhoneAndAccount", text: "call 0755-8888 8888, account 6222 0202 0000 1234 567"},
		{name: "ErrCNRIDBadCheck", text: "110105194912310021", kind: "a cn-rid without its check digit"},
		{name: "ErrCNRIDNoCheck", text: "ID 1101-0519-4912-3100-2 on file", kind: "a cn-rid without its check digit"},
		{name: "OKCNRID31February", text: "110105199002311237"},
		{name: "OKCNRIDNoRegion", text: "999999199001011238"},
		{name: "OKCNRIDUnknownRegion", text: "990426199112010074"},
		{name: "OKCNRID17DigitsNoDate", text: "11010519491331002"},
		{name: "OKCNRID17DigitsNoRegion", text: "99010519491231002"},
		{name: "OKCNRID16Digits", text: "1101051949123100"},
		{name: "OKUSCCLetterInRegion", text: "9111000A6000373415"},
		{name: "OKUSCCBadCheck", text: "91350100M000100Y44"},
		{name: "OKSplitByComma", text: "110105194,91231002X"},
		{name: "OKOtherCNRID15Digits", text: "old ID 110105491231002"},
		{name: "OKOwnShortOpaque", text: "ab1 paid", own: []probity.Subject{short}},
		{name: "OKOwnOtherText", text: "paid on time", own: []probity.Subject{alice, acme, bob}},
		{name: "OKZeroSubject", text: "paid", own: []probity.Subject{{}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := identity.ScreenText("reason", tt.text, tt.own...)
			if tt.kind == "" {
				if err != nil {
					t.Fatalf("ScreenText(%q): %v", tt.text, err)
				}
				return
			}
			assertInvalid(t, err, "reason: holds an identifier ("+tt.kind+") at characters ...")
			msg := probity.ErrorMessage(err)
			if !strings.HasSuffix(msg, "; free text and keys must not contain identifiers — refer to the subject only through the subject field") {
				t.Fatalf("message=%q lacks the advice", msg)
			}
			if digits := strings.Map(keepDigits, msg); len(digits) > 8 {
				t.Fatalf("message=%q may echo the identifier", msg)
			}
		})
	}
}

func keepDigits(r rune) rune {
	if unicode.IsDigit(r) {
		return r
	}
	return -1
}

// TestScreenTextSpan checks that the message says where the identifier is,
// in characters of the text as written.
func TestScreenTextSpan(t *testing.T) {
	for _, tt := range []struct {
		text, want string
	}{
		{"11010519491231002X", "at characters 1-18"},
		{"ID: 1101 0519 4912 3100 2X.", "at characters 5-26"},
		{"é 91350100M000100Y43", "at characters 3-20"},
		{"see person:abc", "at characters 5-11"}, // the scheme and its colon
		{"résumé: cn-rid:", "at characters 9-15"},
	} {
		err := identity.ScreenText("reason", tt.text)
		if msg := probity.ErrorMessage(err); !strings.Contains(msg, tt.want) {
			t.Errorf("ScreenText(%q)=%q, want %q", tt.text, msg, tt.want)
		}
	}
}

// TestScreenTextGenerated checks every generated identifier, spelled in the
// ways people write them into text, is refused, and the subject's own
// without its check character too.
func TestScreenTextGenerated(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		id := identity.GenerateCNRID(r)
		if r.IntN(2) == 0 {
			id = identity.GenerateUSCC(r)
		}
		s := mustParse(t, id)
		spelled := spell(r, s.Value)
		text := "entry " + spelled + " reported"
		if err := identity.ScreenText("reason", text); err == nil {
			t.Fatalf("ScreenText(%q) passes %s", text, id)
		}
		text = "entry " + spell(r, s.Value[:17]) + " reported"
		if err := identity.ScreenText("reason", text, s); err == nil {
			t.Fatalf("ScreenText(%q, own %s) passes the subject's own without check", text, id)
		}
	}
}

// spell writes v with random case and random separators between characters.
func spell(r *rand.Rand, v string) string {
	seps := []string{"", "", "", " ", "-", ".", "  ", "/", "_", ":", "\u3000"}
	var b strings.Builder
	for i := range len(v) {
		c := string(v[i])
		if r.IntN(2) == 0 {
			c = strings.ToLower(c)
		}
		b.WriteString(c)
		if i < len(v)-1 {
			b.WriteString(seps[r.IntN(len(seps))])
		}
	}
	return b.String()
}

// TestScreenTextAgreesWithParse checks the screen against Parse on random
// runs of characters near valid identifiers: a run is refused exactly when
// one of its windows parses as a uscc, or as a cn-rid once given its check
// digit (see holdsIdentifier).
func TestScreenTextAgreesWithParse(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXYX"
	refused := 0
	for range 20000 {
		id := identity.GenerateCNRID(r)
		if r.IntN(2) == 0 {
			id = identity.GenerateUSCC(r)
		}
		b := []byte(id[strings.IndexByte(id, ':')+1:])
		for range r.IntN(3) { // mutate, so that most are invalid
			b[r.IntN(len(b))] = alphabet[r.IntN(len(alphabet))]
		}
		seps := []string{"", "", " ", "-", "x"}
		run := string(randomDigits(r, r.IntN(4))) + seps[r.IntN(len(seps))] + string(b) + seps[r.IntN(len(seps))] + string(randomDigits(r, r.IntN(4)))
		want := holdsIdentifier(run)
		err := identity.ScreenText("reason", run)
		if got := err != nil; got != want {
			t.Fatalf("ScreenText(%q) refused=%v, want %v (%v)", run, got, want, err)
		}
		if want {
			refused++
		}
	}
	if refused < 2000 || refused > 15000 {
		t.Fatalf("%d of 20000 runs refused: the mutations do not test both sides", refused)
	}
}

func randomDigits(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return b
}

func FuzzScreenText(f *testing.F) {
	for _, s := range []string{"", "11010519491231002X", "person:abc", "acme-lending-0000004-006", "１１０１０５", "é:", "cn-rid:", "\u200b",
		"1101 0519 4912 3100 2x", "9135-0100-M000-100Y-43", "ID １１０１０５１９４９１２３１００２Ｘ.", "a,91350100M000100Y43,b"} {
		f.Add(s, "person:Bob-42")
	}
	f.Fuzz(func(t *testing.T, text, own string) {
		var subjects []probity.Subject
		if s, err := identity.Parse(own); err == nil {
			subjects = append(subjects, s)
		}
		err := identity.ScreenText("reason", text, subjects...)
		present := holdsIdentifier(text)
		if present && err == nil {
			t.Fatalf("ScreenText(%q) passes a valid identifier", text)
		}
		if err == nil {
			return
		}
		if msg := probity.ErrorMessage(err); !present && (strings.Contains(msg, "(a cn-rid") || strings.Contains(msg, "(a uscc")) {
			t.Fatalf("ScreenText(%q)=%q, but no run of it parses", text, msg)
		}
		if probity.ErrorCode(err) != probity.EINVALID {
			t.Fatalf("ScreenText(%q): code %q", text, probity.ErrorCode(err))
		}
		var first, last int
		msg := probity.ErrorMessage(err)
		at := strings.Index(msg, " at characters ")
		if _, scanErr := fmt.Sscanf(msg[at:], " at characters %d-%d;", &first, &last); at < 0 || scanErr != nil {
			t.Fatalf("ScreenText(%q)=%q: no span", text, msg)
		}
		if n := len([]rune(text)); first < 1 || last < first || last > n {
			t.Fatalf("ScreenText(%q)=%q: span %d-%d outside 1-%d", text, msg, first, last, n)
		}
	})
}

// holdsIdentifier is the screen's rule for cn-rid and uscc written plainly:
// normalise into runs, note where words meet, and Parse every window that
// stands on its own: 18 characters as a uscc, 17 digits as a cn-rid given
// its right check digit.
func holdsIdentifier(text string) bool {
	type run struct {
		s     []byte
		bound []bool // bound[k]: a word starts or ends at k
	}
	var runs []run
	cur := run{bound: []bool{true}}
	sep := false
	for _, r := range text {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		switch {
		case unicode.IsSpace(r), unicode.Is(unicode.Cf, r), strings.ContainsRune("-._/:", r), r >= 0x2010 && r <= 0x2015, r == 0x2212:
			sep = true
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			cur.bound[len(cur.bound)-1] = cur.bound[len(cur.bound)-1] || sep
			cur.s = append(cur.s, byte(unicode.ToUpper(r)))
			cur.bound = append(cur.bound, false)
			sep = false
		default:
			cur.bound[len(cur.bound)-1] = true
			runs = append(runs, cur)
			cur, sep = run{bound: []bool{true}}, false
		}
	}
	cur.bound[len(cur.bound)-1] = true
	runs = append(runs, cur)
	digit := func(c byte) bool { return c >= '0' && c <= '9' }
	for _, r := range runs {
		s, b := string(r.s), r.bound
		for i := 0; i+17 <= len(s); i++ {
			first17 := s[i : i+17]
			if c := identity.CNRIDCheck(first17); c != 0 && (b[i] || !digit(s[i-1])) {
				if _, err := identity.Parse("cn-rid:" + first17 + string(c)); err == nil {
					if i+18 <= len(s) && (b[i+18] || !digit(s[i+18])) && (digit(s[i+17]) || s[i+17] == 'X') {
						return true // a cn-rid, its check digit right or wrong
					}
					if b[i+17] || (!digit(s[i+17]) && s[i+17] != 'X') {
						return true // a cn-rid without its check digit
					}
				}
			}
			if i+18 > len(s) || !b[i+18] || !(b[i] || strings.HasSuffix(s[:i], "USCC")) {
				continue
			}
			if _, err := identity.Parse("uscc:" + s[i:i+18]); err == nil {
				return true
			}
		}
	}
	return false
}

func BenchmarkScreenText(b *testing.B) {
	alice := mustParse(b, screenCNRID)
	bob := mustParse(b, "person:P00000042")
	reason := strings.Repeat("The customer says the payment of 1,200.00 was made on 2024-01-31. ", 40)
	for _, bb := range []struct {
		name string
		text string
		own  []probity.Subject
	}{
		{"Key", "acme-lending-0000004-006", []probity.Subject{alice}},
		{"KeyOpaqueOwn", "acme-lending-0000042-006", []probity.Subject{bob}},
		{"Field", "ref-123456", []probity.Subject{alice}},
		{"Digits36", "314159265358979323846264338327950288", nil},
		{"Reason80", reason[:80], []probity.Subject{alice}},
		{"Reason2000", reason[:2000], []probity.Subject{alice}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bb.text)))
			for b.Loop() {
				if err := identity.ScreenText("key", bb.text, bb.own...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestScreenTextAllocs checks the promise of the doc comment: the screen
// runs on every key and text field at ingest, so it does not allocate for
// text of up to 256 bytes.
func TestScreenTextAllocs(t *testing.T) {
	alice := mustParse(t, screenCNRID)
	bob := mustParse(t, "person:Bob-Smith-42")
	text := strings.Repeat("paid 2024-01-31, ref-88 ", 11)[:256]
	if n := testing.AllocsPerRun(100, func() { identity.ScreenText("reason", text, alice, bob) }); n != 0 {
		t.Fatalf("%v allocations per call, want 0", n)
	}
}
