package scoring

import (
	"math"
	"time"

	"github.com/probity-dev/probity"
)

// state is what becomes of a candidate at one evaluation time.
type state uint8

// States of a candidate. Only counted candidates move the score.
const (
	expired state = iota
	cured
	suspended
	pending
	counted
)

// assess classifies c at time at and returns its weight if it counts: expired
// at its expiry (step 3), cured within grace (step 4), suspended while
// disputed (step 5), pending in its grace period (step 4), else counted with
// its decayed weight (step 6).
func (c *candidate) assess(at time.Time) (state, float64) {
	age := at.Sub(c.ev.OccurredAt)
	switch {
	case c.rule.Expires > 0 && age >= c.rule.Expires.Std():
		return expired, 0
	case c.cured:
		return cured, 0
	case c.suspended:
		return suspended, 0
	case c.graced && age < c.rule.Grace.Std():
		return pending, 0
	}
	return counted, weight(age, c.rule.HalfLife)
}

// weight is 0.5^(age/halfLife) with age in fractional days, or 1 without a
// half-life.
func weight(age time.Duration, halfLife probity.Duration) float64 {
	if halfLife <= 0 {
		return 1
	}
	return math.Exp2(-age.Hours() / 24 / halfLife.Days())
}

// tally evaluates the record at time at: it returns the sum of the per-type
// totals and the number of counted entries, and leaves each type's
// contributions and counted entries in r.sums and r.counts, and each
// candidate's state and weight in the candidate (steps 6 and 7).
func (r *record) tally(at time.Time) (float64, int) {
	clear(r.sums)
	clear(r.counts)
	n := 0
	for i := range r.cands {
		if r.stop.stop() {
			return 0, 0
		}
		c := &r.cands[i]
		st, w := c.assess(at)
		c.state, c.weight = st, w
		if st != counted {
			continue
		}
		r.sums[c.typ] += c.points * w
		r.counts[c.typ]++
		n++
	}
	total := 0.0
	for i, sum := range r.sums {
		total += capped(sum, r.spec.Events[i].Cap)
	}
	return total, n
}

// capped is a type's total: its sum clamped to [-cap, cap], or the sum when
// the type has no cap.
func capped(sum, cap float64) float64 {
	if cap <= 0 {
		return sum
	}
	return clamp(sum, -cap, cap)
}

// typeTotals lists, in spec order, each type with counted entries in the
// last tally, before and after its cap.
func (r *record) typeTotals() []probity.TypeTotal {
	ts := []probity.TypeTotal{}
	for i, n := range r.counts {
		if n == 0 {
			continue
		}
		sum := r.sums[i]
		total := capped(sum, r.spec.Events[i].Cap)
		ts = append(ts, probity.TypeTotal{
			Type:   r.spec.Events[i].Type,
			Sum:    round(sum, 4),
			Total:  round(total, 4),
			Capped: total != sum,
		})
	}
	return ts
}
