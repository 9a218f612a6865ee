package spec

import (
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/probity-dev/probity"
)

func TestPoints(t *testing.T) {
	c := mustCompile(t, readFile(t, "design_example.yaml"))
	for _, tt := range []struct {
		name   string
		typ    string
		fields map[string]any
		want   float64
	}{
		{"OKLoanRepaidLarge", "loan_repaid", map[string]any{"amount": 20000.0}, 20},
		{"OKLoanRepaidSmall", "loan_repaid", map[string]any{"amount": 500.0}, 10},
		{"OKPaymentLate95", "payment_late", map[string]any{"days_late": int64(95)}, -80},
		{"OKPaymentLate30", "payment_late", map[string]any{"days_late": int64(30)}, -40},
		{"OKPaymentLate5", "payment_late", map[string]any{"days_late": int64(5)}, -15},
		{"OKNoFields", "payment_settled", nil, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Points(tt.typ, tt.fields)
			if err != nil {
				t.Fatalf("Points: %v", err)
			}
			if got != tt.want {
				t.Fatalf("Points=%v, want %v", got, tt.want)
			}
		})
	}
}

func TestPointsErrors(t *testing.T) {
	c := mustCompile(t, minimal(`  - type: ratio_reported
    basis: contract
    fields: {paid: int, due: int, amount: number, note: string, on: date}
    points: "double(paid / due)"
    expires: 1y
    code: R01
    reason: Ratio
  - type: amount_reported
    basis: contract
    fields: {amount: number}
    points: "1.0 / amount"
    expires: 1y
    code: A01
    reason: Amount
`, ""))
	for _, tt := range []struct {
		name   string
		typ    string
		fields map[string]any
		words  []string
	}{
		{"ErrDivisionByZero", "ratio_reported", map[string]any{"paid": int64(1), "due": int64(0)},
			[]string{"points of ratio_reported", "division by zero"}},
		{"ErrNotFinite", "amount_reported", map[string]any{"amount": 0.0},
			[]string{"points of amount_reported", "not a finite number"}},
		{"ErrMissingField", "amount_reported", map[string]any{}, []string{"points of amount_reported"}},
		{"ErrUnknownType", "payment_late", nil, []string{`"payment_late" is not declared`, "declared: ratio_reported, amount_reported"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Points(tt.typ, tt.fields)
			msg := wantInvalid(t, err)
			for _, w := range tt.words {
				if !strings.Contains(msg, w) {
					t.Fatalf("error %q does not mention %q", msg, w)
				}
			}
		})
	}
}

func TestPointsStringCostLimit(t *testing.T) {
	c := mustCompile(t, minimal(`  - type: note_added
    basis: contract
    fields: {note: string}
    points: "note.contains('x') ? 1.0 : 0.0"
    code: N01
    reason: Note
`, ""))
	if got, err := c.Points("note_added", map[string]any{"note": "a note"}); err != nil || got != 0 {
		t.Fatalf("Points=%v, %v, want 0, nil", got, err)
	}
	// A string far beyond MaxStringLen, which Fields would have refused,
	// runs into the runtime cost limit instead of running unbounded.
	huge := strings.Repeat("a", 200*MaxCost)
	wantInvalid(t, func() error { _, err := c.Points("note_added", map[string]any{"note": huge}); return err }())
}

func TestBenefit(t *testing.T) {
	c := mustCompile(t, readFile(t, "design_example.yaml"))
	for _, tt := range []struct {
		name  string
		score int
		grade string
		want  bool
	}{
		{"OKGradeA", 800, "A", true},
		{"OKGradeB", 700, "B", true},
		{"OKGradeC", 600, "C", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Benefit("deposit_waived", tt.score, tt.grade)
			if err != nil {
				t.Fatalf("Benefit: %v", err)
			}
			if got != tt.want {
				t.Fatalf("Benefit=%v, want %v", got, tt.want)
			}
		})
	}
	t.Run("ErrUnknownBenefit", func(t *testing.T) {
		_, err := c.Benefit("free_lunch", 800, "A")
		if got, want := probity.ErrorCode(err), probity.ENOTFOUND; got != want {
			t.Fatalf("ErrorCode=%q, want %q (err: %v)", got, want, err)
		}
		if msg := probity.ErrorMessage(err); !strings.Contains(msg, "benefits: deposit_waived") {
			t.Fatalf("message %q does not list the benefits", msg)
		}
	})
}

func TestCompile(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := mustParse(t, readFile(t, "design_example.yaml"))
		c, err := Compile(s)
		if err != nil {
			t.Fatalf("Compile: %v", err)
		}
		if c.Spec() != s {
			t.Fatal("Spec() is not the compiled spec")
		}
	})
	t.Run("ErrPointsNotDouble", func(t *testing.T) {
		s := mustParse(t, readFile(t, "design_example.yaml"))
		s.Events[0].Points = "amount"
		s.Events[0].Fields = map[string]string{"amount": probity.FieldInt}
		_, err := Compile(s)
		wantProblem(t, wantInvalid(t, err), "events[0].points", "must be a double", "got int")
	})
}

func TestAdverse(t *testing.T) {
	env, err := baseEnv()
	if err != nil {
		t.Fatal(err)
	}
	env, err = env.Extend(cel.Variable("n", cel.IntType), cel.Variable("x", cel.DoubleType), cel.Variable("s", cel.StringType))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		src  string
		want bool
	}{
		{"0.0", false},
		{"10.0 + (x > 10000.0 ? 10.0 : 0.0)", false},
		{"n > 3 ? 2.0 * 3.0 : 1.0 / 2.0", false},
		{"double(size(s)) + double(5 % 3) + double(uint(n))", false},
		{"-80.0", true},
		{"n >= 90 ? -80.0 : 0.0", true},
		{"-(80.0)", true},
		{"1.0 - 2.0", true},
		{"x", true},
		{"x * 2.0", true},
		{"double(n)", true},
		{"double('-5')", true},
		{"[1.0, -2.0][0]", true},
		{"timestamp('2020-01-01T00:00:00Z').getFullYear() > 0 ? 1.0 : 0.0", false},
	} {
		t.Run(tt.src, func(t *testing.T) {
			a, iss := env.Compile(tt.src)
			if iss.Err() != nil {
				t.Fatal(iss.Err())
			}
			if got := adverse(a.NativeRep().Expr()); got != tt.want {
				t.Fatalf("adverse(%s)=%v, want %v", tt.src, got, tt.want)
			}
		})
	}
}

func BenchmarkPoints(b *testing.B) {
	c := mustCompile(b, readFile(b, "design_example.yaml"))
	for _, bb := range []struct {
		typ    string
		fields map[string]any
	}{
		{"loan_repaid", map[string]any{"amount": 20000.0}},
		{"payment_late", map[string]any{"days_late": int64(95)}},
		{"payment_settled", nil},
	} {
		b.Run(bb.typ, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Points(bb.typ, bb.fields); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkFieldsAndPoints(b *testing.B) {
	c := mustCompile(b, readFile(b, "design_example.yaml"))
	rule := c.Spec().Rule("payment_late")
	raw := map[string]any{"days_late": "95"}
	b.ReportAllocs()
	for b.Loop() {
		f, err := Fields(rule, raw, true)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Points("payment_late", f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	src := readFile(b, "design_example.yaml")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(src); err != nil {
			b.Fatal(err)
		}
	}
}
