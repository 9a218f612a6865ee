package probity

import (
	"context"
	"fmt"
	"time"
)

// SuppressBelow is the smallest count a transparency figure publishes: a
// count from 1 to SuppressBelow-1 could single a subject out, so it is shown
// only as "fewer than SuppressBelow". Zero is published: it names no one.
const SuppressBelow = 5

// Figure is one published count. When Suppressed is set, N is 0 and the
// true count lies between 1 and SuppressBelow-1. When Withheld is set, N is
// 0 and the count, whatever it is, is not published, so that a suppressed
// one cannot be worked out from a total and the other figures of its group.
type Figure struct {
	N          int  `json:"n"`
	Suppressed bool `json:"suppressed,omitempty"`
	Withheld   bool `json:"withheld,omitempty"`
}

// String writes the figure for a reader: the count, "fewer than 5" or
// "withheld".
func (f Figure) String() string {
	switch {
	case f.Suppressed:
		return fmt.Sprintf("fewer than %d", SuppressBelow)
	case f.Withheld:
		return "withheld"
	}
	return fmt.Sprint(f.N)
}

// Suppress returns the figures of one group of counts that add up to a
// published total: each count from 1 to SuppressBelow-1 is suppressed, and
// when exactly one is, the smallest other non-zero count is suppressed too,
// so that the total minus the rest does not give it away.
func Suppress(counts ...int) []Figure {
	out := make([]Figure, len(counts))
	suppressed := 0
	for i, n := range counts {
		out[i] = Figure{N: n}
		if n > 0 && n < SuppressBelow {
			out[i] = Figure{Suppressed: true}
			suppressed++
		}
	}
	if suppressed == 1 {
		next := -1
		for i, n := range counts {
			if !out[i].Suppressed && n > 0 && (next < 0 || n < counts[next]) {
				next = i
			}
		}
		if next >= 0 {
			out[next] = Figure{Withheld: true}
		}
	}
	return out
}

// NamedFigure is a figure of one grade, purpose or dispute outcome.
type NamedFigure struct {
	Name  string `json:"name"`
	Count Figure `json:"count"`
}

// DomainTransparency is what a domain publishes about how it is used: how
// many subjects it holds and rates, the grades they have, what became of
// their disputes and why their records were read. Every count is
// suppressed below SuppressBelow (see Suppress).
type DomainTransparency struct {
	Domain string    `json:"domain"`
	AsOf   time.Time `json:"as_of"`
	// Subjects is how many subjects the domain holds entries about.
	Subjects Figure `json:"subjects"`
	// Statuses are rated, unrated and opted_out, adding up to Subjects.
	Statuses []NamedFigure `json:"statuses"`
	// Grades are the rated subjects by grade, best first.
	Grades []NamedFigure `json:"grades"`
	// Disputes are filed, open, upheld, rejected and expired.
	Disputes []NamedFigure `json:"disputes"`
	// Inquiries are the reads of subjects' records by purpose.
	Inquiries []NamedFigure `json:"inquiries"`
}

// TransparencyService publishes every domain's figures. They are public:
// aggregates with small counts suppressed, never a subject's record.
type TransparencyService interface {
	// Transparency computes every domain's figures now: it scores every
	// subject, so callers use Figures.
	Transparency(ctx context.Context) ([]DomainTransparency, error)
	// Figures returns the figures computed last, at most a few minutes
	// old; EUNAVAILABLE while the first are being computed.
	Figures(ctx context.Context) ([]DomainTransparency, error)
	// DomainFigures returns one domain's figures (Figures); ENOTFOUND for
	// a domain that does not exist.
	DomainFigures(ctx context.Context, domain string) (*DomainTransparency, error)
}
