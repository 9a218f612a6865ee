package web

import (
	"encoding/json"
	"testing"

	"github.com/probity-dev/probity"
)

func TestScale(t *testing.T) {
	spec := &probity.Spec{Score: probity.ScoreRange{Base: 600, Min: 300, Max: 900},
		Grades: []probity.GradeBand{{Grade: "A", Min: 750}, {Grade: "B", Min: 650}, {Grade: "C", Min: 500}, {Grade: "D", Min: 300}}}
	score := func(status probity.Status, v int, g string) *probity.Score {
		s := &probity.Score{Status: status}
		if status == probity.StatusRated {
			s.Score, s.Grade = &v, &g
		}
		return s
	}
	tests := []struct {
		name   string
		score  *probity.Score
		value  int
		grade  string
		rated  bool
		marker float64
	}{
		{"Rated", score(probity.StatusRated, 708, "B"), 708, "B", true, 68},
		{"Lowest", score(probity.StatusRated, 300, "D"), 300, "D", true, 0},
		{"Highest", score(probity.StatusRated, 900, "A"), 900, "A", true, 100},
		// unrated and opted out are decided as the base, and marked there (P6)
		{"Unrated", score(probity.StatusUnrated, 0, ""), 600, "C", false, 50},
		{"OptedOut", score(probity.StatusOptedOut, 0, ""), 600, "C", false, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := newScale(spec, tt.score)
			if sc.Value != tt.value || sc.Grade != tt.grade || sc.Rated != tt.rated || sc.Marker != tt.marker {
				t.Fatalf("scale = value %d grade %s rated %v marker %.1f; want %d %s %v %.1f", sc.Value, sc.Grade, sc.Rated, sc.Marker, tt.value, tt.grade, tt.rated, tt.marker)
			}
			want := []band{{"D", 300, 499, 0, 33.3, "b0"}, {"C", 500, 649, 33.3, 25, "b1"}, {"B", 650, 749, 58.3, 16.7, "b3"}, {"A", 750, 900, 75, 25, "b5"}}
			if len(sc.Bands) != len(want) {
				t.Fatalf("bands = %+v", sc.Bands)
			}
			for i, b := range sc.Bands {
				w := want[i]
				if b.Grade != w.Grade || b.From != w.From || b.To != w.To || b.Class != w.Class || abs(b.Left-w.Left) > 0.2 || abs(b.Width-w.Width) > 0.2 {
					t.Errorf("band %d = %+v, want %+v", i, b, w)
				}
			}
		})
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func TestFieldWords(t *testing.T) {
	got := fieldWords(map[string]any{"amount": json.Number("12000"), "days_late": 45.0, "on_time": true, "rate": 1234567.5})
	if want := "amount 12,000; days late 45; on time yes; rate 1,234,567.5"; got != want {
		t.Fatalf("fieldWords = %q, want %q", got, want)
	}
}

func TestMaskIdentifier(t *testing.T) {
	for in, want := range map[string]string{
		"cn-rid:11010519491231002X": "cn-rid:••••••••••••••002X",
		"person:alice":              "person:••••e",
		"org:ab":                    "org:••",
	} {
		if got := maskIdentifier(in); got != want {
			t.Errorf("maskIdentifier(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestForPerson(t *testing.T) {
	for in, want := range map[string]string{
		"resolving disputes needs a bearer token (Authorization: Bearer ...) with the reviewer role in domain acme.lending": "resolving disputes needs signing in with a token that has the reviewer role in domain acme.lending",
		"1 of 2 lines rejected; nothing was applied (fix them, or skip them with --skip-invalid / ?skip_invalid=true)":      `1 of 2 lines rejected; nothing was applied (fix them, or tick "Apply the good lines" to store the others)`,
	} {
		if got := forPerson(in); got != want {
			t.Errorf("forPerson(%q) = %q, want %q", in, got, want)
		}
	}
}
