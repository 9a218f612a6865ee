package bureau

import (
	"context"
	"sort"

	"github.com/probity-dev/probity"
)

// The transparency figures are kept up to date incrementally: after one
// full count (at start, after a new spec version takes effect, after an
// erasure), each refresh reads only the domain log's leaves written since
// the last, and re-scores only the subjects those leaves are about, plus a
// slice of the others in turn, so that time's effect on scores (weights
// fading, entries expiring) reaches every subject within sweepRounds
// refreshes. The log is the change feed: every write to a subject is a
// leaf of it, and so is every read, whose purpose the figures count.

// sweepRounds is how many refreshes re-score every subject at least once
// (at FiguresTTL apart, a day).
const sweepRounds = 288

// subjectCell is what the figures count of one subject.
type subjectCell struct {
	status probity.Status
	grade  string
}

// tally is one domain's figures as they stand, with what keeps them so.
type tally struct {
	version int // the spec version the cells were scored under
	cells   map[probity.Pseudonym]subjectCell
	kinds   map[probity.Pseudonym]probity.SubjectKind
	order   []probity.Pseudonym // for the sweep
	next    int                 // the sweep's next place in order
	reads   map[string]int      // read leaves by purpose
	through uint64              // the domain log's leaves counted so far
	// scored is how many subjects the last refresh scored: the cost.
	scored int
}

// refreshTally brings a domain's tally up to date in tx (a snapshot), by a
// full count when it must, else incrementally.
func (b *Bureau) refreshTally(ctx context.Context, tx probity.ReadTx, id string, t *tally) (*tally, error) {
	versions, cur, err := currentVersion(tx, id)
	if err != nil {
		return nil, err
	}
	size, err := tx.LogSize(id)
	if err != nil {
		return nil, err
	}
	if t == nil || t.version != cur.Version || size < t.through {
		return b.countTally(ctx, tx, id, versions, cur, size)
	}
	touched := map[probity.Pseudonym]bool{}
	newcomers := map[probity.Pseudonym]string{} // a subject first seen, and the key of an entry of theirs ("" from a batch leaf)
	hints := map[probity.SubjectHint]bool{}     // the subjects of batch leaves
	full := false
	err = tx.Leaves(id, t.through, size, func(e *probity.AuditEntry) error {
		switch {
		case e.Invalid != "" || e.Shredded:
		case e.Action == probity.ActionSubjectErased:
			full = true // a subject is gone, and the erasure leaf does not say who
		case readActions[e.Action]:
			t.reads[e.Purpose]++
		case e.Action == probity.ActionEventsAccepted:
			for _, m := range e.Members {
				if m.Subject != (probity.SubjectHint{}) { // else no event stored there, or erased
					hints[m.Subject] = true
				}
			}
		case e.Subject != nil:
			touched[*e.Subject] = true
			if _, known := t.kinds[*e.Subject]; !known && e.Action == probity.ActionEventAccepted {
				newcomers[*e.Subject] = e.Ref
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if full {
		return b.countTally(ctx, tx, id, versions, cur, size)
	}
	// after the scan: PostgreSQL runs no query while another's rows are open
	for h := range hints {
		subjects, err := tx.SubjectsByHint(id, h)
		if err != nil {
			return nil, err
		}
		for _, p := range subjects {
			touched[p] = true
			if _, known := t.kinds[p]; !known {
				newcomers[p] = ""
			}
		}
	}
	// after the scan: PostgreSQL runs no query while another's rows are open
	for p, key := range newcomers {
		kind, ok, err := subjectKind(tx, id, cur.Version, p, key)
		if err != nil {
			return nil, err
		} else if !ok {
			continue // corrected or erased since
		}
		t.kinds[p] = kind
		t.order = append(t.order, p)
	}
	t.through = size
	// the sweep: a slice of every subject in turn
	if n := len(t.order); n > 0 {
		for i := 0; i < max(n/sweepRounds, 1) && i < n; i++ {
			touched[t.order[(t.next+i)%n]] = true
		}
		t.next = (t.next + max(n/sweepRounds, 1)) % n
	}
	t.scored = 0
	for p := range touched {
		kind, known := t.kinds[p]
		if !known {
			continue // no entry: not a subject the figures count
		}
		if err := b.scoreCell(ctx, tx, versions, cur, kind, p, t); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// subjectKind returns the kind of a subject first seen in a domain's log,
// from its entry with key, or from any of its entries when key is "" (a
// batch leaf names no key); false if none is stored any more.
func subjectKind(tx probity.ReadTx, id string, version int, p probity.Pseudonym, key string) (probity.SubjectKind, bool, error) {
	if key == "" {
		events, err := tx.SubjectEvents(id, p, version, tx.Now())
		if err != nil || len(events) == 0 {
			return "", false, err
		}
		return events[0].Kind, true, nil
	}
	ev, err := tx.EventByKey(id, key)
	if probity.ErrorCode(err) == probity.ENOTFOUND {
		return "", false, nil
	} else if err != nil {
		return "", false, err
	}
	return ev.Kind, true, nil
}

// countTally counts a domain from scratch: every subject scored, every
// read leaf of its log counted.
func (b *Bureau) countTally(ctx context.Context, tx probity.ReadTx, id string, versions []probity.SpecVersion, cur *probity.SpecVersion, size uint64) (*tally, error) {
	subjects, kinds, err := domainSubjects(tx, id)
	if err != nil {
		return nil, err
	}
	t := &tally{version: cur.Version, cells: make(map[probity.Pseudonym]subjectCell, len(subjects)),
		kinds: make(map[probity.Pseudonym]probity.SubjectKind, len(subjects)), order: subjects, reads: map[string]int{}, through: size}
	for i, p := range subjects {
		t.kinds[p] = kinds[i]
		if err := b.scoreCell(ctx, tx, versions, cur, kinds[i], p, t); err != nil {
			return nil, err
		}
	}
	err = tx.Leaves(id, 0, size, func(e *probity.AuditEntry) error {
		if e.Invalid == "" && readActions[e.Action] {
			t.reads[e.Purpose]++
		}
		return nil
	})
	return t, err
}

// scoreCell scores one subject now, as a reader would see them (open
// disputes suspending their entries), and keeps the result.
func (b *Bureau) scoreCell(ctx context.Context, tx probity.ReadTx, versions []probity.SpecVersion, cur *probity.SpecVersion,
	kind probity.SubjectKind, p probity.Pseudonym, t *tally) error {
	st, _, err := readStanding(tx, cur.Domain, p)
	if err != nil {
		return err
	}
	score, _, err := computeWith(ctx, tx, versions, cur, kind, p, st, tx.Now(), paging{}, false)
	if err != nil {
		return err
	}
	c := subjectCell{status: score.Status}
	if score.Grade != nil {
		c.grade = *score.Grade
	}
	t.cells[p] = c
	t.scored++
	return nil
}

// figures makes the domain's published figures from its tally and its
// disputes, counted now.
func (t *tally) figures(tx probity.ReadTx, id string, s *probity.Spec) (*probity.DomainTransparency, error) {
	_, disputes, err := disputeCounts(tx, id)
	if err != nil {
		return nil, err
	}
	var statuses [3]int // rated, unrated, opted_out
	byGrade := map[string]int{}
	for _, c := range t.cells {
		switch c.status {
		case probity.StatusRated:
			statuses[0]++
			byGrade[c.grade]++
		case probity.StatusUnrated:
			statuses[1]++
		default:
			statuses[2]++
		}
	}
	names := make([]string, len(s.Grades))
	counts := make([]int, len(s.Grades))
	for g := range s.Grades {
		names[g], counts[g] = s.Grades[g].Grade, byGrade[s.Grades[g].Grade]
	}
	out := &probity.DomainTransparency{Domain: id, AsOf: tx.Now(), Subjects: probity.Suppress(len(t.cells))[0],
		Statuses: figures([]string{"rated", "unrated", "opted_out"}, statuses[:]),
		Disputes: figures([]string{"filed", "open", "upheld", "rejected", "expired"}, disputes[:]),
		Grades:   figures(names, counts), Inquiries: namedFigures(t.reads)}
	return out, nil
}

// tallyFigures refreshes every domain's tally in one snapshot and returns
// the figures, in domain order, with how many subjects it scored.
func (b *Bureau) tallyFigures(ctx context.Context, tallies map[string]*tally) ([]probity.DomainTransparency, int, error) {
	var out []probity.DomainTransparency
	scored := 0
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		ids, err := tx.DomainIDs()
		if err != nil {
			return err
		}
		sort.Strings(ids)
		for _, id := range ids {
			t, err := b.refreshTally(ctx, tx, id, tallies[id])
			if err != nil {
				return err
			}
			tallies[id] = t
			scored += t.scored
			_, cur, err := currentVersion(tx, id)
			if err != nil {
				return err
			}
			f, err := t.figures(tx, id, cur.Spec)
			if err != nil {
				return err
			}
			out = append(out, *f)
		}
		return nil
	})
	return out, scored, err
}
