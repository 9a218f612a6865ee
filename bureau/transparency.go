package bureau

import (
	"context"
	"sort"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/scoring"
)

var _ probity.TransparencyService = (*Bureau)(nil)

// readActions are the leaves that are inquiries into a subject's record.
var readActions = map[string]bool{probity.ActionScoreRead: true, probity.ActionDecisionRead: true,
	probity.ActionReportRead: true, probity.ActionRestrictionCheck: true, probity.ActionEntryRead: true}

// Transparency computes every domain's public figures from one snapshot:
// each subject the domain holds entries about is scored now, under the
// version in effect (as a reader would see them, open disputes suspending
// their entries), and the log is read once for the inquiries by purpose.
// The figures are aggregates with small counts suppressed, so anyone may
// read them; computing them reads no record for anyone and is not an
// inquiry. It reads every subject of every domain: callers should cache it.
func (b *Bureau) Transparency(ctx context.Context) ([]probity.DomainTransparency, error) {
	var out []probity.DomainTransparency
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		ids, err := tx.DomainIDs()
		if err != nil {
			return err
		}
		reads, err := inquiriesByPurpose(tx)
		if err != nil {
			return err
		}
		out = make([]probity.DomainTransparency, 0, len(ids))
		for _, id := range ids {
			t, err := domainTransparency(tx, id)
			if err != nil {
				return err
			}
			t.Inquiries = namedFigures(reads[id])
			out = append(out, *t)
		}
		return nil
	})
	return out, err
}

// inquiriesByPurpose counts the read leaves of each domain by purpose.
func inquiriesByPurpose(tx probity.ReadTx) (map[string]map[string]int, error) {
	logs, err := tx.Logs()
	if err != nil {
		return nil, err
	}
	counts := map[string]map[string]int{}
	for _, l := range logs {
		if l.Name == probity.InstallationLog {
			continue
		}
		err = tx.Leaves(l.Name, 0, l.Size, func(e *probity.AuditEntry) error {
			if e.Invalid != "" || e.Domain == "" || !readActions[e.Action] {
				return nil
			}
			if counts[e.Domain] == nil {
				counts[e.Domain] = map[string]int{}
			}
			counts[e.Domain][e.Purpose]++
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return counts, nil
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

// domainTransparency scores every subject of one domain and counts its
// statuses, grades and disputes.
func domainTransparency(tx probity.ReadTx, id string) (*probity.DomainTransparency, error) {
	_, cur, err := currentVersion(tx, id)
	if err != nil {
		return nil, err
	}
	now := tx.Now()
	subjects, kinds, err := domainSubjects(tx, id)
	if err != nil {
		return nil, err
	}
	suspended, disputes, err := disputeCounts(tx, id)
	if err != nil {
		return nil, err
	}
	terms, out, err := rosterAndOptOuts(tx, id)
	if err != nil {
		return nil, err
	}
	s := cur.Spec
	grades := make([]int, len(s.Grades))
	var statuses [3]int // rated, unrated, opted_out
	for i, p := range subjects {
		events, err := tx.SubjectEvents(id, p, cur.Version, now)
		if err != nil {
			return nil, err
		}
		since, isOut := out[p]
		score := scoring.Compute(scoring.Input{Domain: id, Version: cur.Version, Spec: s, Kind: kinds[i], Events: events,
			AsOf: now, OptedOut: isOut && !since.After(now), Suspended: suspended[p], Terms: terms[p]})
		switch score.Status {
		case probity.StatusRated:
			statuses[0]++
			for g := range s.Grades {
				if s.Grades[g].Grade == *score.Grade {
					grades[g]++
				}
			}
		case probity.StatusUnrated:
			statuses[1]++
		default:
			statuses[2]++
		}
	}
	t := &probity.DomainTransparency{Domain: id, AsOf: now, Subjects: probity.Suppress(len(subjects))[0],
		Statuses: figures([]string{"rated", "unrated", "opted_out"}, statuses[:]),
		Disputes: figures([]string{"filed", "open", "upheld", "rejected", "expired"}, disputes[:])}
	names := make([]string, len(s.Grades))
	for g := range s.Grades {
		names[g] = s.Grades[g].Grade
	}
	t.Grades = figures(names, grades)
	return t, nil
}
