package web

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/probity-dev/probity"
)

// The portal leads with what a person can understand and act on (issue
// 18): the score on its scale, what it means for the domain's decisions,
// what needs doing and by when, and what helps and hurts, in words. The
// entries, keys and figures follow below.

// scale is a domain's score range drawn as a bar of grade bands, with the
// subject's score marked on it.
type scale struct {
	Min, Max, Base int
	Bands          []band
	Rated          bool
	Value          int
	Grade          string
	// Marker is where the score (or, unrated, the base it is decided as)
	// sits along the bar, in percent.
	Marker float64
	// BaseGrade is the grade of the base score.
	BaseGrade string
}

// band is one grade's stretch of the scale, in score points and percent.
type band struct {
	Grade       string
	From, To    int
	Left, Width float64
	// Class colours the band by its rank, lowest (b0) to highest.
	Class string
}

// factor is one kind of entry that helps or hurts, in words.
type factor struct {
	Text   string
	Points float64
}

// entryView is one entry as a person reads it: its type and date, its
// reported fields in words, what it does to the score now; the key only
// as a detail.
type entryView struct {
	probity.Entry
	Label  string // "Loan repaid"
	Fields string // "amount 12,000"
	// Positive marks an entry that raises the score: disputing it lowers
	// the score while the dispute is open, and the page warns so.
	Positive bool
}

// newScale draws the domain's scale for the subject's score.
func newScale(spec *probity.Spec, s *probity.Score) scale {
	sc := scale{Min: spec.Score.Min, Max: spec.Score.Max, Base: spec.Score.Base, BaseGrade: spec.GradeFor(spec.Score.Base)}
	span := float64(sc.Max - sc.Min)
	if span <= 0 {
		span = 1
	}
	pct := func(v int) float64 { return math.Round(float64(v-sc.Min)/span*1000) / 10 }
	top := sc.Max
	for _, g := range spec.Grades { // highest first
		from := max(g.Min, sc.Min)
		if from > top {
			continue
		}
		sc.Bands = append(sc.Bands, band{Grade: g.Grade, From: from, To: top, Left: pct(from), Width: pct(top) - pct(from)})
		top = from - 1
	}
	slices.Reverse(sc.Bands) // lowest first, left to right
	for i := range sc.Bands {
		sc.Bands[i].Class = fmt.Sprintf("b%d", min(i*5/max(len(sc.Bands)-1, 1), 5))
	}
	sc.Value, sc.Grade = sc.Base, sc.BaseGrade
	if s.Status == probity.StatusRated && s.Score != nil {
		sc.Rated, sc.Value = true, *s.Score
		if s.Grade != nil {
			sc.Grade = *s.Grade
		}
	}
	sc.Marker = pct(sc.Value)
	return sc
}

// factors returns what helps and what hurts the score, by kind of entry,
// in the domain's own words (each rule's reason), largest first.
func factors(spec *probity.Spec, s *probity.Score) (helps, hurts []factor) {
	reason := map[string]string{}
	for _, r := range spec.Events {
		reason[r.Type] = r.Reason
	}
	for _, t := range s.Types {
		text := reason[t.Type]
		if text == "" {
			text = sentence(words(t.Type))
		}
		switch {
		case t.Total > 0.05:
			helps = append(helps, factor{text, t.Total})
		case t.Total < -0.05:
			hurts = append(hurts, factor{text, t.Total})
		}
	}
	sort.SliceStable(helps, func(i, j int) bool { return helps[i].Points > helps[j].Points })
	sort.SliceStable(hurts, func(i, j int) bool { return hurts[i].Points < hurts[j].Points })
	return helps[:min(len(helps), 4)], hurts[:min(len(hurts), 4)]
}

// entryViews names each entry in words, with the fields it was reported
// with (from the report's entries, by key).
func entryViews(entries []probity.Entry, reported []probity.Event) []entryView {
	fields := make(map[string]map[string]any, len(reported))
	for _, e := range reported {
		fields[e.Key] = e.Fields
	}
	out := make([]entryView, len(entries))
	for i, e := range entries {
		out[i] = entryView{Entry: e, Label: sentence(words(e.Type)), Fields: fieldWords(fields[e.Key]), Positive: e.Contribution > 0}
	}
	return out
}

// fieldWords writes an entry's fields as a person reads them: "amount
// 12,000; days late 45; on time yes".
func fieldWords(f map[string]any) string {
	names := make([]string, 0, len(f))
	for n := range f {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		var v string
		switch x := f[n].(type) {
		case bool:
			v = map[bool]string{true: "yes", false: "no"}[x]
		case float64:
			v = number(x)
		case json.Number:
			if f, err := x.Float64(); err == nil {
				v = number(f)
			} else {
				v = x.String()
			}
		case int64:
			v = number(float64(x))
		case int:
			v = number(float64(x))
		case time.Time:
			v = x.UTC().Format(time.DateOnly)
		default:
			v = fmt.Sprint(x)
		}
		parts = append(parts, words(n)+" "+v)
	}
	return strings.Join(parts, "; ")
}

// number writes a figure with thousands separated: 12000 is "12,000".
func number(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	whole, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(whole, "-")
	whole = strings.TrimPrefix(whole, "-")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// sentence capitalises the first letter: "loan repaid" is "Loan repaid".
func sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ownRead reports whether an inquiry is the person's own look at their
// record (a subject only ever reads their own): shown as "you", and not
// counted among the inquiries of others.
func ownRead(q probity.Inquiry) bool { return strings.HasPrefix(q.Actor, "subject:") }

// maskIdentifier shows an identifier's scheme and its last characters
// only: cn-rid:11010519491231002X is "cn-rid:••••••••••••••002X". A page
// may be seen over a shoulder or in a screenshot.
func maskIdentifier(id string) string {
	scheme, value, ok := strings.Cut(id, ":")
	if !ok {
		scheme, value = "", id
	}
	keep := min(4, max(len(value)-4, 0))
	masked := strings.Repeat("•", len(value)-keep) + value[len(value)-keep:]
	if scheme == "" {
		return masked
	}
	return scheme + ":" + masked
}

// actionWords says what a leaf of the log did, as a person reads it.
var actionWords = map[string]string{
	probity.ActionScoreRead:        "read the score",
	probity.ActionDecisionRead:     "asked for a decision",
	probity.ActionReportRead:       "read the record",
	probity.ActionRestrictionCheck: "checked for a court restriction",
	probity.ActionEntryRead:        "read a disputed entry",
	probity.ActionEventAccepted:    "reported the entry",
	probity.ActionEventsAccepted:   "reported entries",
	probity.ActionEventRetracted:   "withdrew the entry",
	probity.ActionDisputeFiled:     "filed a dispute",
	probity.ActionDisputeResolved:  "resolved a dispute",
}

// action writes a log action in words: "score.read" is "read the score".
func action(a string) string {
	if w, ok := actionWords[a]; ok {
		return w
	}
	return strings.NewReplacer(".", " ", "_", " ").Replace(a)
}
