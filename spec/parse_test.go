package spec

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
)

func TestParse(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := mustParse(t, readFile(t, "design_example.yaml"))
		if got, want := s.ID, "acme.lending"; got != want {
			t.Fatalf("ID=%q, want %q", got, want)
		}
		if got, want := len(s.Events), 3; got != want {
			t.Fatalf("len(Events)=%d, want %d", got, want)
		}
		late := s.Rule("payment_late")
		if late == nil {
			t.Fatal("Rule(payment_late)=nil")
		}
		if got, want := late.Expires, probity.Duration(7*365); got != want {
			t.Fatalf("Expires=%v, want %v", got, want)
		}
		if got, want := late.Cap, 200.0; got != want {
			t.Fatalf("Cap=%v, want %v", got, want)
		}
		if got, want := late.Fields["days_late"], probity.FieldInt; got != want {
			t.Fatalf("Fields[days_late]=%q, want %q", got, want)
		}
		if got, want := s.Officials.PenaltyFactor, 2.0; got != want {
			t.Fatalf("PenaltyFactor=%v, want %v", got, want)
		}
		if got, want := s.GradeFor(700), "B"; got != want {
			t.Fatalf("GradeFor(700)=%q, want %q", got, want)
		}
	})
	t.Run("OKDefaults", func(t *testing.T) {
		s := mustParse(t, exampleWith(t, func(s map[string]any) {
			delete(s, "penalties")
			delete(s["score"].(map[string]any), "min_events")
		}))
		if got, want := s.Penalties, probity.PenaltiesAll; got != want {
			t.Fatalf("Penalties=%q, want %q", got, want)
		}
		if got, want := s.Score.MinEvents, 1; got != want {
			t.Fatalf("MinEvents=%d, want %d", got, want)
		}
		if got, want := Digest(s), Digest(mustParse(t, readFile(t, "design_example.yaml"))); got != want {
			t.Fatal("Digest differs between explicit and default penalties and min_events")
		}
	})
	t.Run("OKOptOutNotAllowedPublicTask", func(t *testing.T) {
		mustParse(t, exampleWith(t, func(s map[string]any) {
			s["lawful_basis"] = "public_task"
			s["opt_out"] = "not_allowed"
		}))
	})
	t.Run("OKNotProtected", func(t *testing.T) {
		mustParse(t, minimal(`  - type: grace_extended
    basis: contract
    fields: {trace_number: string, contract_amount: number, face_value: number, credit_union_id: string}
    points: "trace_number == 'trace' ? 1.0 : 0.0"
    code: G01
    reason: Grace extended
`, "  contract_renewal: \"grade == 'A'\"\n"))
	})
	t.Run("OKStringFieldNeedsNoExpiry", func(t *testing.T) {
		mustParse(t, minimal(`  - type: account_opened
    basis: contract
    fields: {branch: string, opened: date, amount: int}
    points: "branch.startsWith('x') && opened.getFullYear() > 2000 && amount > 5 ? 5.0 * 2.0 : double(size(branch))"
    code: A01
    reason: Account opened
`, ""))
	})
}

func TestDigest(t *testing.T) {
	t.Run("OKJSONAndYAML", func(t *testing.T) {
		y := mustParse(t, readFile(t, "design_example.yaml"))
		j := mustParse(t, readFile(t, "design_example.json"))
		if got, want := Digest(j), Digest(y); got != want {
			t.Fatalf("Digest(JSON)=%s, want Digest(YAML)=%s", got, want)
		}
	})
	t.Run("OKChanged", func(t *testing.T) {
		a := mustParse(t, readFile(t, "design_example.yaml"))
		b := mustParse(t, exampleWith(t, func(s map[string]any) { s["notice"] = "31d" }))
		if Digest(a) == Digest(b) {
			t.Fatal("Digest is the same after notice changed")
		}
	})
}

func TestParseMultipleProblems(t *testing.T) {
	src := exampleWith(t, func(s map[string]any) {
		s["id"] = "ACME"
		s["category"] = "social"
		event(s, 1)["basis"] = "political_opinion"
		delete(event(s, 1), "expires")
		event(s, 0)["points"] = "amout > 1.0 ? 1.0 : 0.0"
		s["benefits"].(map[string]any)["deposit_waived"] = "score"
	})
	_, err := Parse(src)
	msg := wantInvalid(t, err)
	wantProblem(t, msg, "id", "not a domain id")
	wantProblem(t, msg, "category", `"social" is not a category`)
	wantProblem(t, msg, "events[1].basis", `"political_opinion" is not a lawful basis`)
	wantProblem(t, msg, "events[1].expires", "required for an adverse rule")
	wantProblem(t, msg, "events[0].points", "undeclared reference to 'amout'")
	wantProblem(t, msg, "benefits.deposit_waived", "must be a bool")
	if got, want := strings.Count(msg, "\n")+1, 6; got != want {
		t.Fatalf("%d problems, want %d:\n%s", got, want, msg)
	}
}

func TestParseLineNumbers(t *testing.T) {
	src := strings.Replace(string(readFile(t, "design_example.yaml")), "basis: repayment\n    fields: {days_late",
		"basis: politics\n    fields: {days_late", 1)
	_, err := Parse([]byte(src))
	wantProblem(t, wantInvalid(t, err), "events[1].basis (line 30)", `"politics" is not a lawful basis`)
}

func TestValidate(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		if err := Validate(mustParse(t, readFile(t, "design_example.yaml"))); err != nil {
			t.Fatalf("Validate: %v", err)
		}
	})
	t.Run("OKDomainIDs", func(t *testing.T) {
		for _, id := range []string{"ab", "acme.lending", "acme-bank.lending-2", "9.x", "a.b-c.d"} {
			s := mustParse(t, readFile(t, "design_example.yaml"))
			s.ID = id
			if err := Validate(s); err != nil {
				t.Fatalf("Validate with id %q: %v", id, err)
			}
		}
	})
	t.Run("ErrUnknownBasis", func(t *testing.T) {
		s := mustParse(t, readFile(t, "design_example.yaml"))
		s.Events[2].Basis = "gossip"
		wantProblem(t, wantInvalid(t, Validate(s)), "events[2].basis", `"gossip" is not a lawful basis`)
	})
}

func FuzzParse(f *testing.F) {
	f.Add(readFile(f, "design_example.yaml"))
	f.Add(readFile(f, "design_example.json"))
	f.Add(minimal("  - {type: a_b, basis: tax, points: '1.0', code: A, reason: r}\n", "  x: 'score > 1'\n"))
	f.Add([]byte("id: [\n"))
	f.Add([]byte("a: &x [1]\nb: *x\n"))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, source []byte) {
		s, err := Parse(source)
		if err != nil {
			if got, want := probity.ErrorCode(err), probity.EINVALID; got != want {
				t.Fatalf("ErrorCode=%q, want %q: %v", got, want, err)
			}
			return
		}
		if _, err := Compile(s); err != nil {
			t.Fatalf("Compile of a parsed spec: %v", err)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		again, err := Parse(b)
		if err != nil {
			t.Fatalf("Parse of the JSON of a parsed spec: %v\n%s", err, b)
		}
		if Digest(again) != Digest(s) {
			t.Fatalf("Digest changed through JSON:\n%s", b)
		}
	})
}
