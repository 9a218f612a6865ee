package probity_test

import (
	"strings"
	"testing"

	"github.com/probity-dev/probity"
)

func TestCheckText(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		required   bool
		want       string // in the error; "" for none
	}{
		{"OK", "paid on time\treceipt\nattached", true, ""},
		{"OKUnicode", "已按时还款 — façade", true, ""},
		{"OKOptionalEmpty", "", false, ""},
		{"ErrRequired", "  \n", true, "reason: required, at most 40 bytes: say why"},
		{"ErrTooLong", strings.Repeat("x", 41), true, "reason: 41 bytes; at most 40"},
		{"ErrInvalidUTF8", "paid\xff", true, "reason: not valid UTF-8"},
		{"ErrNUL", "paid\x00", true, "control character U+0000 at byte 4"},
		{"ErrEscape", "\x1b[31mred", true, "U+001B"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := probity.CheckText("reason", tt.text, 40, tt.required, "say why")
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckText(%q) = %v, want nil", tt.text, err)
				}
				return
			}
			if probity.ErrorCode(err) != probity.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("CheckText(%q) = %v, want EINVALID with %q", tt.text, err, tt.want)
			}
		})
	}
}
