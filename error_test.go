package probity_test

import (
	"strings"
	"testing"

	"github.com/probity-dev/probity"
)

func TestQuote(t *testing.T) {
	for name, in := range map[string]string{
		"Short":     "cn-rid:1",
		"Long":      strings.Repeat("a", 1000),
		"Escapes":   strings.Repeat("\x82", 500),
		"Multibyte": strings.Repeat("信", 300),
	} {
		t.Run(name, func(t *testing.T) {
			q := probity.Quote(in)
			if len(q) > 2*probity.MaxQuoted+40 {
				t.Fatalf("Quote of %d bytes is %d bytes long: %s", len(in), len(q), q)
			}
			if len(in) < probity.MaxQuoted && q != `"`+in+`"` {
				t.Fatalf("Quote(%q) = %s, want the input quoted whole", in, q)
			}
		})
	}
}
