package bureau

import (
	"context"
	"sort"

	"github.com/probity-dev/probity"
)

var _ probity.TransparencyService = (*Bureau)(nil)

// readActions are the leaves that are inquiries into a subject's record.
var readActions = map[string]bool{probity.ActionScoreRead: true, probity.ActionDecisionRead: true,
	probity.ActionReportRead: true, probity.ActionRestrictionCheck: true, probity.ActionEntryRead: true}

// Transparency computes every domain's public figures from one snapshot,
// counting from scratch: each subject the domain holds entries about is
// scored now, under the version in effect (as a reader would see them,
// open disputes suspending their entries), and each domain's log is read
// for the inquiries by purpose. The figures are aggregates with small
// counts suppressed, so anyone may read them; computing them reads no
// record for anyone and is not an inquiry. It scores every subject of
// every domain: callers use Figures, which keeps them up to date.
func (b *Bureau) Transparency(ctx context.Context) ([]probity.DomainTransparency, error) {
	out, _, err := b.tallyFigures(ctx, map[string]*tally{})
	return out, err
}

// namedFigures turns counts by name into figures sorted by name.
func namedFigures(counts map[string]int) []probity.NamedFigure {
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	sort.Strings(names)
	ns := make([]int, len(names))
	for i, n := range names {
		ns[i] = counts[n]
	}
	out := make([]probity.NamedFigure, len(names))
	for i, f := range probity.Suppress(ns...) {
		out[i] = probity.NamedFigure{Name: names[i], Count: f}
	}
	return out
}

// figures names a group of counts, suppressed together.
func figures(names []string, counts []int) []probity.NamedFigure {
	out := make([]probity.NamedFigure, len(names))
	for i, f := range probity.Suppress(counts...) {
		out[i] = probity.NamedFigure{Name: names[i], Count: f}
	}
	return out
}
