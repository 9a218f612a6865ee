package scoring

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/probity-dev/probity"
)

// maxReasons is how many adverse reason codes a score lists (P3).
const maxReasons = 4

// explain lists every candidate not expired in the last tally in the list of
// s its state puts it in, in occurred_at then key order, and sums the adverse
// contributions of each type into r.adverse for the reasons. With perPage
// more than 0 it lists only the entries of page (from 1) of the lists taken
// together, and says so in s.Page.
func (r *record) explain(s *probity.Score, page, perPage int) {
	var n [counted + 1]int // entries per state
	for i := range r.cands {
		n[r.cands[i].state]++
	}
	// Where each list starts in the lists taken together, and the window.
	first := [counted + 1]int{counted: 0, pending: n[counted], suspended: n[counted] + n[pending]}
	first[cured] = first[suspended] + n[suspended]
	total := first[cured] + n[cured]
	lo, hi := 0, total
	if perPage > 0 {
		page = max(page, 1)
		s.Page = &probity.EntryPage{Page: page, Pages: max(1, (total+perPage-1)/perPage), PerPage: perPage, Entries: total}
		lo, hi = min((page-1)*perPage, total), min(page*perPage, total)
	}
	s.Contributions = make([]probity.Entry, 0, max(0, min(hi, first[pending])-max(lo, 0)))
	s.Pending, s.Suspended, s.Cured = []probity.Entry{}, []probity.Entry{}, []probity.Entry{}
	lists := [counted + 1]*[]probity.Entry{counted: &s.Contributions, pending: &s.Pending, suspended: &s.Suspended, cured: &s.Cured}
	clear(r.adverse)
	times := make(timeArena, 0, 2*(hi-lo))
	var seen [counted + 1]int
	for i := range r.cands {
		if r.stop.stop() {
			return
		}
		c := &r.cands[i]
		if c.state == counted {
			if contrib := c.points * c.weight; contrib < 0 {
				r.adverse[c.typ] += contrib
			}
		}
		list := lists[c.state]
		if list == nil {
			continue // expired
		}
		pos := first[c.state] + seen[c.state]
		seen[c.state]++
		if pos >= lo && pos < hi {
			*list = append(*list, c.entry(&times))
		}
	}
}

// entry explains c in the state of the last tally, taking the times it
// points to from times.
func (c *candidate) entry(times *timeArena) probity.Entry {
	e := probity.Entry{
		Key:        c.ev.Key,
		Type:       c.ev.Type,
		Code:       c.rule.Code,
		OccurredAt: c.ev.OccurredAt.UTC(),
		Raw:        round(c.ev.Raw, 4),
		Points:     round(c.points, 4),
		Note:       c.note,
	}
	if c.rule.Expires > 0 && c.state != cured {
		e.CountsUntil = times.ptr(c.ev.OccurredAt.Add(c.rule.Expires.Std()))
	}
	if c.cure != nil {
		e.CuredBy, e.CuredAt = c.cure.Key, times.ptr(c.cure.OccurredAt)
	}
	switch c.state {
	case counted:
		e.Weight, e.Contribution = round(c.weight, 6), round(c.points*c.weight, 4)
	case pending:
		e.CountsFrom = times.ptr(c.ev.OccurredAt.Add(c.rule.Grace.Std()))
		e.CureWith = slices.Clone(c.rule.CuredBy)
		e.Note = joinNotes(e.Note, notePending)
	case suspended:
		e.Note = joinNotes(e.Note, noteSuspended)
	case cured:
		e.Note = joinNotes(e.Note, noteCured)
	}
	return e
}

// joinNotes appends note to notes.
func joinNotes(notes, note string) string {
	if notes == "" {
		return note
	}
	return notes + noteSeparator + note
}

// timeArena hands out pointers to times from one allocation: an entry
// points to at most two times.
type timeArena []time.Time

// ptr returns a pointer to t in UTC.
func (a *timeArena) ptr(t time.Time) *time.Time {
	*a = append(*a, t.UTC())
	return &(*a)[len(*a)-1]
}

// reasons sums the adverse contributions of each rule (by index in
// spec.Events) per reason code and returns the most negative codes, ties by
// code, with impacts rounded to 2 decimals (step 10). Rules sharing a code
// show the reason of the first of them.
func reasons(spec *probity.Spec, adverse []float64) []probity.Reason {
	rs := []probity.Reason{}
	for i, sum := range adverse {
		if sum >= 0 {
			continue
		}
		rule := &spec.Events[i]
		j := slices.IndexFunc(rs, func(r probity.Reason) bool { return r.Code == rule.Code })
		if j < 0 {
			rs = append(rs, probity.Reason{Code: rule.Code, Text: rule.Reason})
			j = len(rs) - 1
		}
		rs[j].Impact += sum
	}
	for i := range rs {
		rs[i].Impact = round(rs[i].Impact, 2)
	}
	slices.SortFunc(rs, func(a, b probity.Reason) int {
		return cmp.Or(cmp.Compare(a.Impact, b.Impact), strings.Compare(a.Code, b.Code))
	})
	return rs[:min(len(rs), maxReasons)]
}
