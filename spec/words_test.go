package spec_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/probity-dev/probity/spec"
)

func TestPointsInWords(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"OKLadder", "days_late >= 90 ? -80.0 : (days_late >= 30 ? -40.0 : -15.0)",
			"days late 90 or more: -80 points | days late 30 or more: -40 points | : -15 points"},
		{"OKBaseAndBonus", "10.0 + (amount > 10000.0 ? 10.0 : 0.0)", "amount over 10,000: +20 points | : +10 points"},
		{"OKConstant", "0.0", ": no points"},
		{"OKBool", "on_time ? 5.0 : -20.0", "on time: +5 points | : -20 points"},
		{"OKNotAnd", "!on_time && amount > 100.0 ? -10.0 : 0.0", "not on time and amount over 100: -10 points | : no points"},
		{"OKPerUnit", "double(amount) * 0.01", ": +0.01 points for each 1 of amount"},
		{"ErrFunction", "size(name) > 3 ? 1.0 : 0.0", ""},
		{"ErrArithmetic", "amount / (days + 1.0)", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cases, ok := spec.PointsInWords(tt.src)
			got := ""
			for i, c := range cases {
				if i > 0 {
					got += " | "
				}
				got += fmt.Sprintf("%s: %s", c.When, c.Points)
			}
			if ok != (tt.want != "") || got != tt.want {
				t.Fatalf("PointsInWords(%q) = %q, %v; want %q", tt.src, got, ok, tt.want)
			}
		})
	}
}

// TestPointsInWordsExamples: every rule of the example domains is told in
// words on the registry, not only as CEL.
func TestPointsInWordsExamples(t *testing.T) {
	files, err := filepath.Glob("../examples/domains/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example domains: %v", err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := spec.Parse(src)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, r := range s.Events {
			if _, ok := spec.PointsInWords(r.Points); !ok {
				t.Errorf("%s: %s's points %q are not told in words", filepath.Base(f), r.Type, r.Points)
			}
		}
	}
}
