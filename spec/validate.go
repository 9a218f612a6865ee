package spec

import (
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/probity-dev/probity"
)

var (
	idPattern   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`) // labels as in DNS; length checked apart
	namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	codePattern = regexp.MustCompile(`^[A-Z0-9]{1,8}$`)
)

// Text limits, in bytes.
const (
	maxTitle = 200  // name, owner, reason
	maxCite  = 1000 // legal_basis
	maxGrade = 32
)

// validator checks what a spec means, after decoding has checked its shape.
// A check whose input was already reported (p.ok is false) is skipped.
type validator struct {
	s *probity.Spec
	p *problems
}

// validate reports every problem of s to p. Its error is an internal failure
// of CEL, not a problem of the spec.
func validate(s *probity.Spec, p *problems) error {
	v := &validator{s: s, p: p}
	v.header()
	v.score()
	v.grades()
	v.officials()
	v.limits()
	chk, err := check(s, p)
	if err != nil {
		return err
	}
	v.events(chk)
	v.benefits(chk)
	return nil
}

// header checks the domain's identity, lawful basis and due-process settings.
func (v *validator) header() {
	s := v.s
	if v.p.ok("id") && (len(s.ID) < 2 || len(s.ID) > 63 || !idPattern.MatchString(s.ID)) {
		v.p.add("id", "%q is not a domain id; want 2-63 characters: labels of a-z, 0-9 and '-' separated by single dots, each starting and ending with a letter or digit (acme.lending)", s.ID)
	}
	v.text("name", s.Name, maxTitle)
	v.text("owner", s.Owner, maxTitle)
	v.oneOf("category", s.Category, probity.Categories, "a category")
	v.text("legal_basis", s.LegalBasis, maxCite)
	v.oneOf("lawful_basis", s.LawfulBasis, probity.LawfulBases, "a lawful basis (GDPR Art. 6)")
	kinds := make([]string, len(probity.SubjectKinds))
	for i, k := range probity.SubjectKinds {
		kinds[i] = string(k)
	}
	subjects := make([]string, len(s.Subjects))
	for i, k := range s.Subjects {
		subjects[i] = string(k)
	}
	v.names("subjects", subjects, func(path, k string) { v.oneOf(path, k, kinds, "a subject kind") })
	v.oneOf("penalties", s.Penalties, probity.PenaltyModes, "a penalty mode")
	v.oneOf("opt_out", s.OptOut, probity.OptOutModes, "an opt-out mode")
	if s.OptOut == probity.OptOutNotAllowed && v.p.ok("opt_out", "lawful_basis") &&
		s.LawfulBasis != "legal_obligation" && s.LawfulBasis != "public_task" {
		v.p.add("opt_out", "%q is only allowed with lawful_basis legal_obligation or public_task; "+
			"a domain resting on %s must let subjects opt out (P6)", s.OptOut, s.LawfulBasis)
	}
	if v.p.ok("notice") && s.Notice < 0 {
		v.p.add("notice", "must not be negative; want a duration such as 30d")
	}
	v.duration("notice", s.Notice)
	if v.p.ok("dispute_sla") && s.DisputeSLA <= 0 {
		v.p.add("dispute_sla", "required, more than 0d; a dispute is resolved for the subject when it expires (P4)")
	}
	v.duration("dispute_sla", s.DisputeSLA)
	v.names("purposes", s.Purposes, func(path, name string) {
		if !namePattern.MatchString(name) {
			v.p.add(path, "%q is not a purpose name; want a-z, 0-9 and '_', starting with a letter, at most 63", name)
		}
	})
}

// score checks the score range.
func (v *validator) score() {
	r := v.s.Score
	if !v.p.ok("score", "score.min", "score.max") {
		return
	}
	if r.Min >= r.Max {
		v.p.add("score.max", "must be more than score.min (%d); got %d", r.Min, r.Max)
		return
	}
	if v.p.ok("score.base") && (r.Base < r.Min || r.Base > r.Max) {
		v.p.add("score.base", "%d is outside the score range; the neutral base must lie within min %d and max %d",
			r.Base, r.Min, r.Max)
	}
	if v.p.ok("score.min_events") && r.MinEvents < 0 {
		v.p.add("score.min_events", "must not be negative; got %d", r.MinEvents)
	}
}

// grades checks the grade bands: unique names, highest first, within range.
func (v *validator) grades() {
	g := v.s.Grades
	if !v.p.ok("grades") {
		return
	}
	if len(g) == 0 {
		v.p.add("grades", "required; list at least one {grade, min}, highest first")
		return
	}
	inRange := v.p.ok("score", "score.min", "score.max") && v.s.Score.Min < v.s.Score.Max
	seen := map[string]int{}
	for i, band := range g {
		path := index("grades", i)
		if gp := join(path, "grade"); v.text(gp, band.Grade, maxGrade) {
			if j, dup := seen[band.Grade]; dup {
				v.p.add(gp, "duplicate grade %q (also grades[%d]); each grade is listed once", band.Grade, j)
			}
			seen[band.Grade] = i
		}
		mp := join(path, "min")
		if !v.p.ok(mp) {
			continue
		}
		if inRange && (band.Min < v.s.Score.Min || band.Min > v.s.Score.Max) {
			v.p.add(mp, "%d is outside the score range; a grade's min must lie within min %d and max %d",
				band.Min, v.s.Score.Min, v.s.Score.Max)
		}
		if prev := join(index("grades", i-1), "min"); i > 0 && v.p.ok(prev) && band.Min >= g[i-1].Min {
			v.p.add(mp, "grades out of order: %d is not below %d (grades[%d].min); list grades highest first, "+
				"each min strictly below the one before", band.Min, g[i-1].Min, i-1)
		}
	}
}

// officials checks the officials' penalty factor.
func (v *validator) officials() {
	o := v.s.Officials
	path := "officials.penalty_factor"
	if o == nil || !v.p.ok(path) {
		return
	}
	if f := o.PenaltyFactor; math.IsNaN(f) || f < 1 || f > 10 {
		v.p.add(path, "%v is out of range; officials are rated at least as strictly as others: want 1 to 10 (P7)", f)
	}
}

// limits checks the per-subject limits; absent ones take their defaults.
func (v *validator) limits() {
	l := v.s.Limits
	if l == nil || !v.p.ok("limits") {
		return
	}
	v.limit("limits.events_per_subject", l.EventsPerSubject, probity.MaxEventsPerSubject, probity.DefaultEventsPerSubject,
		"every score of a subject reads all of its events")
	v.limit("limits.entries_per_page", l.EntriesPerPage, probity.MaxEntriesPerPage, probity.DefaultEntriesPerPage,
		"a read shows this many entries of each list at once")
}

// limit checks one limit: left out (0, the default def), or 1 to max.
func (v *validator) limit(path string, n, max, def int, why string) {
	if v.p.ok(path) && (n < 0 || n > max) {
		v.p.add(path, "%d is out of range; want 1 to %d (%s), or leave it out for the default of %d", n, max, why, def)
	}
}

// duration checks that a duration fits the installation's time range: a
// time of it plus the duration must stay storable (probity.CheckTime).
func (v *validator) duration(path string, d probity.Duration) {
	if v.p.ok(path) && d > probity.MaxDuration {
		v.p.add(path, "%s is too long: at most %s (%dd), so that dates computed from it stay within the years %d to %d",
			d, probity.MaxDuration, probity.MaxDuration, probity.FirstYear, probity.LastYear)
	}
}

// text checks a required text of at most max bytes, reporting whether it is fine.
func (v *validator) text(path, s string, max int) bool {
	switch {
	case !v.p.ok(path):
		return false
	case strings.TrimSpace(s) == "":
		v.p.add(path, "required; want non-blank text")
		return false
	case len(s) > max:
		v.p.add(path, "too long (%d bytes); at most %d", len(s), max)
		return false
	}
	return true
}

// oneOf checks that s is one of a closed list; what names it with its article.
func (v *validator) oneOf(path, s string, allowed []string, what string) {
	if v.p.ok(path) && !slices.Contains(allowed, s) {
		v.p.add(path, "%q is not %s; allowed: %s", s, what, strings.Join(allowed, ", "))
	}
}

// names checks a required list of unique names, calling each for every new one.
func (v *validator) names(path string, names []string, each func(path, name string)) {
	if !v.p.ok(path) {
		return
	}
	if len(names) == 0 {
		v.p.add(path, "required; list at least one")
		return
	}
	seen := map[string]int{}
	for i, name := range names {
		ip := index(path, i)
		if !v.p.ok(ip) {
			continue
		}
		if j, dup := seen[name]; dup {
			v.p.add(ip, "duplicate %q (also %s); list each once", name, index(path, j))
			continue
		}
		seen[name] = i
		each(ip, name)
	}
}

// protectedName reports a name that names a protected input (P2).
func (v *validator) protectedName(path, name string) {
	if category := protected(name); category != "" {
		v.p.add(path, "%q is a protected input (%s); %s", name, category, protectedP2)
	}
}
