package probity_test

import (
	"slices"
	"testing"

	"github.com/probity-dev/probity"
)

func TestSuppress(t *testing.T) {
	small := probity.Figure{Suppressed: true}
	withheld := probity.Figure{Withheld: true}
	tests := []struct {
		name   string
		counts []int
		want   []probity.Figure
	}{
		{"OK", []int{0, 5, 120}, []probity.Figure{{N: 0}, {N: 5}, {N: 120}}},
		{"SmallCount", []int{3}, []probity.Figure{small}},
		// one small count and a total would give it away: the next
		// smallest is withheld too
		{"OneSmallInGroup", []int{0, 3, 152, 107}, []probity.Figure{{N: 0}, small, {N: 152}, withheld}},
		{"TwoSmallInGroup", []int{1, 4, 50}, []probity.Figure{small, small, {N: 50}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := probity.Suppress(tt.counts...); !slices.Equal(got, tt.want) {
				t.Fatalf("Suppress(%v) = %v, want %v", tt.counts, got, tt.want)
			}
		})
	}
	if got, want := small.String(), "fewer than 5"; got != want {
		t.Fatalf("String = %q, want %q", got, want)
	}
}
