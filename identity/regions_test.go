package identity

import (
	"strings"
	"testing"
)

// TestRegionCodes checks that the generator draws only from codes of the
// embedded GB/T 2260 list, so that generated identifiers pass Parse.
func TestRegionCodes(t *testing.T) {
	for _, code := range regionCodes {
		if !isCNRegion(code) {
			t.Errorf("generator region %s is not in cn_regions.tsv", code)
		}
	}
}

// TestParseRegions checks the embedded list and the parser's refusals.
func TestParseRegions(t *testing.T) {
	n := 0
	for _, w := range cnRegions() {
		for ; w != 0; w &= w - 1 {
			n++
		}
	}
	lines := 0
	for _, line := range strings.Split(cnRegionsTSV, "\n") {
		if line != "" && line[0] != '#' {
			lines++
		}
	}
	if got, want := n, lines; got != want || n < 6000 {
		t.Fatalf("%d codes, want one per line of data (%d)", got, want)
	}
	for _, tt := range []struct {
		name, tsv string
		err       string
	}{
		{"OK", "# comment\n110000\t\t\tx\n\n110101\t\t\ty", ""},
		{"ErrShort", "11000\t\t\tx\n", `line 1: "11000" is not a six-digit code`},
		{"ErrLong", "# c\n1100001\t\t\tx\n", `line 2: "1100001" is not a six-digit code`},
		{"ErrLetter", "11000A\t\t\tx\n", `line 1: "11000A" is not a six-digit code`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseRegions(tt.tsv)
			switch {
			case tt.err == "" && err != nil:
				t.Fatal(err)
			case tt.err != "" && (err == nil || !strings.HasSuffix(err.Error(), tt.err)):
				t.Fatalf("err=%v, want ...%s", err, tt.err)
			}
		})
	}
}
