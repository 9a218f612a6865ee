package scoring

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/probity-dev/probity"
)

// Notes shown on entries.
const (
	notePerson    = "no penalty for persons in this domain"
	notePending   = "in grace period: counts when it ends unless cured first"
	noteSuspended = "open dispute: not counted until it is resolved"
	noteCured     = "cured within the grace period: never counts"
	noteLateCure  = "cured after the grace period: half weight from the cure on"
	noteSeparator = "; "
)

// record is a subject's candidate events at the evaluation time t, with all
// that does not change when they are evaluated later: what is known at t is
// what every projection is computed from.
type record struct {
	stop     *stopper
	spec     *probity.Spec
	optedOut bool
	cands    []candidate // sorted by occurred_at, then key
	// Per rule of spec, by index: the running sum of counted contributions,
	// the number of counted entries and the sum of adverse contributions.
	sums    []float64
	counts  []int
	adverse []float64
}

// candidate is one event visible at t whose type the spec declares (steps 1,
// 2 and 4). Points is the raw points after the person and official
// adjustments and the half weight of a late cure.
type candidate struct {
	ev        *probity.PointedEvent
	rule      *probity.EventRule
	typ       int // index of rule in spec.Events
	points    float64
	graced    bool // adverse with a penalty and no cure: waits out the grace period
	cure      *probity.PointedEvent
	cured     bool // cured within grace: never counts
	suspended bool
	note      string
	// state and weight are the result of the last tally.
	state  state
	weight float64
}

// newRecord selects the events known and occurred at in.AsOf whose type the
// spec declares, sorted by occurred_at then key, and applies the adjustments
// of step 4 that do not depend on time.
func newRecord(in Input, stop *stopper) *record {
	n := len(in.Spec.Events)
	buf := make([]float64, 2*n)
	r := &record{
		stop:     stop,
		spec:     in.Spec,
		optedOut: in.OptedOut,
		sums:     buf[:n],
		adverse:  buf[n:],
		counts:   make([]int, n),
		cands:    make([]candidate, 0, len(in.Events)),
	}
	var cures []*probity.PointedEvent
	for i := range in.Events {
		if stop.stop() {
			return r
		}
		e := &in.Events[i]
		if !known(e, in.AsOf) {
			continue
		}
		if e.Cures != "" {
			cures = append(cures, e)
		}
		if typ := ruleIndex(in.Spec, e.Type); typ >= 0 {
			r.cands = append(r.cands, candidate{ev: e, rule: &in.Spec.Events[typ], typ: typ})
		}
	}
	slices.SortFunc(r.cands, func(a, b candidate) int { return byTimeKey(a.ev, b.ev) })
	slices.SortFunc(cures, func(a, b *probity.PointedEvent) int {
		return cmp.Or(strings.Compare(a.Cures, b.Cures), byTimeKey(a, b))
	})
	for i := range r.cands {
		if stop.stop() {
			return r
		}
		c := &r.cands[i]
		c.suspended = in.Suspended[c.ev.Key]
		c.adjust(in, cures)
	}
	return r
}

// known reports whether e has occurred and been recorded by t (step 1).
func known(e *probity.PointedEvent, t time.Time) bool {
	return !e.OccurredAt.After(t) && !e.RecordedAt.After(t)
}

// byTimeKey orders events by occurred_at, then key.
func byTimeKey(a, b *probity.PointedEvent) int {
	return cmp.Or(a.OccurredAt.Compare(b.OccurredAt), strings.Compare(a.Key, b.Key))
}

// ruleIndex returns the index of the rule of typ in s.Events, or -1.
func ruleIndex(s *probity.Spec, typ string) int {
	return slices.IndexFunc(s.Events, func(r probity.EventRule) bool { return r.Type == typ })
}

// adjust applies step 4 to an adverse candidate, in order: no penalty for
// persons in an organizations_only domain, the officials' factor, then a cure
// within or after the grace period. What remains waits out the grace period.
func (c *candidate) adjust(in Input, cures []*probity.PointedEvent) {
	c.points = c.ev.Raw
	if c.points >= 0 {
		return
	}
	if in.Kind == probity.KindPerson && in.Spec.Penalties == probity.PenaltiesOrganizationsOnly {
		c.points, c.note = 0, notePerson
		return
	}
	if in.Spec.Officials != nil {
		if term, ok := officeAt(in.Terms, c.ev.OccurredAt); ok {
			f := in.Spec.Officials.PenaltyFactor
			c.points *= f
			c.note = fmt.Sprintf("in office as %s when it occurred: adverse points x%g", term.Office, f)
		}
	}
	c.cure = findCure(cures, c.ev.Key, c.rule.CuredBy)
	switch {
	case c.cure == nil:
		c.graced = c.rule.Grace > 0
	case !c.cure.OccurredAt.After(c.ev.OccurredAt.Add(c.rule.Grace.Std())):
		c.cured = true
	default:
		c.points *= 0.5
		c.addNote(noteLateCure)
	}
}

// addNote appends a note to the candidate's notes.
func (c *candidate) addNote(note string) {
	if c.note == "" {
		c.note = note
		return
	}
	c.note += noteSeparator + note
}

// officeAt returns the term in office at t that began first, if any.
func officeAt(terms []probity.OfficialTerm, t time.Time) (probity.OfficialTerm, bool) {
	var first probity.OfficialTerm
	found := false
	for _, term := range terms {
		if !term.InOffice(t) {
			continue
		}
		if !found || term.From.Before(first.From) || term.From.Equal(first.From) && term.Office < first.Office {
			first, found = term, true
		}
	}
	return first, found
}

// findCure returns the earliest event among cures (sorted by the key they
// cure, occurred_at and key) that cures key with a type in curedBy, or nil.
func findCure(cures []*probity.PointedEvent, key string, curedBy []string) *probity.PointedEvent {
	if len(curedBy) == 0 {
		return nil
	}
	i, _ := slices.BinarySearchFunc(cures, key, func(e *probity.PointedEvent, k string) int {
		return strings.Compare(e.Cures, k)
	})
	for ; i < len(cures) && cures[i].Cures == key; i++ {
		if slices.Contains(curedBy, cures[i].Type) {
			return cures[i]
		}
	}
	return nil
}
