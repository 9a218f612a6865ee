package spec

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/probity-dev/probity"
	"go.yaml.in/yaml/v3"
)

// keys is the set of keys a mapping may hold and the subset it must hold.
type keys struct {
	all      []string
	required []string
}

var (
	specKeys = keys{
		all: []string{"id", "name", "owner", "category", "legal_basis", "lawful_basis", "subjects", "penalties",
			"opt_out", "notice", "dispute_sla", "purposes", "score", "grades", "officials", "events", "benefits", "limits", "statements"},
		required: []string{"id", "name", "owner", "category", "legal_basis", "lawful_basis", "subjects",
			"opt_out", "notice", "dispute_sla", "purposes", "score", "grades", "events"},
	}
	scoreKeys = keys{
		all:      []string{"base", "min", "max", "min_events"},
		required: []string{"base", "min", "max"},
	}
	gradeKeys     = keys{all: []string{"grade", "min"}, required: []string{"grade", "min"}}
	officialsKeys = keys{all: []string{"penalty_factor"}, required: []string{"penalty_factor"}}
	limitsKeys    = keys{all: []string{"events_per_subject", "entries_per_page"}}
	statementKeys = keys{all: []string{"max_validity"}, required: []string{"max_validity"}}
	eventKeys     = keys{
		all: []string{"type", "basis", "fields", "points", "half_life", "expires", "grace", "cured_by",
			"cap", "code", "reason"},
		required: []string{"type", "basis", "points", "code", "reason"},
	}
)

// decoder turns a YAML node tree into a probity.Spec, reporting every problem
// of shape: unknown, duplicate and missing keys, and values of the wrong kind.
// What the values mean is validate's business.
type decoder struct{ p *problems }

// spec decodes the root mapping.
func (d *decoder) spec(n *yaml.Node) *probity.Spec {
	s := &probity.Spec{Penalties: probity.PenaltiesAll}
	d.mapping("", n, specKeys, func(key, path string, v *yaml.Node) {
		switch key {
		case "id":
			s.ID = d.text(path, v)
		case "name":
			s.Name = d.text(path, v)
		case "owner":
			s.Owner = d.text(path, v)
		case "category":
			s.Category = d.text(path, v)
		case "legal_basis":
			s.LegalBasis = d.text(path, v)
		case "lawful_basis":
			s.LawfulBasis = d.text(path, v)
		case "subjects":
			for _, k := range d.texts(path, v) {
				s.Subjects = append(s.Subjects, probity.SubjectKind(k))
			}
		case "penalties":
			s.Penalties = d.text(path, v)
		case "opt_out":
			s.OptOut = d.text(path, v)
		case "notice":
			s.Notice = d.duration(path, v)
		case "dispute_sla":
			s.DisputeSLA = d.duration(path, v)
			d.notZero(path, v, s.DisputeSLA == 0, "a dispute not resolved in time is resolved for the subject (P4)")
		case "purposes":
			s.Purposes = d.texts(path, v)
		case "score":
			s.Score = d.score(path, v)
		case "grades":
			for i, g := range d.list(path, v) {
				s.Grades = append(s.Grades, d.grade(index(path, i), g))
			}
		case "officials":
			s.Officials = d.officials(path, v)
		case "events":
			for i, e := range d.list(path, v) {
				s.Events = append(s.Events, d.event(index(path, i), e))
			}
		case "benefits":
			s.Benefits = d.textMap(path, v)
		case "limits":
			s.Limits = d.limits(path, v)
		case "statements":
			s.Statements = d.statements(path, v)
		}
	})
	return s
}

func (d *decoder) score(path string, n *yaml.Node) probity.ScoreRange {
	r := probity.ScoreRange{MinEvents: 1}
	d.mapping(path, n, scoreKeys, func(key, path string, v *yaml.Node) {
		switch key {
		case "base":
			r.Base = d.int(path, v)
		case "min":
			r.Min = d.int(path, v)
		case "max":
			r.Max = d.int(path, v)
		case "min_events":
			r.MinEvents = d.int(path, v)
		}
	})
	return r
}

func (d *decoder) grade(path string, n *yaml.Node) probity.GradeBand {
	var g probity.GradeBand
	d.mapping(path, n, gradeKeys, func(key, path string, v *yaml.Node) {
		switch key {
		case "grade":
			g.Grade = d.text(path, v)
		case "min":
			g.Min = d.int(path, v)
		}
	})
	return g
}

func (d *decoder) officials(path string, n *yaml.Node) *probity.Officials {
	o := &probity.Officials{}
	d.mapping(path, n, officialsKeys, func(key, path string, v *yaml.Node) {
		o.PenaltyFactor = d.number(path, v)
	})
	return o
}

// limits decodes the per-subject limits; a value left out keeps its default
// (0 here), and a 0 written out is refused rather than taken for "not set".
func (d *decoder) limits(path string, n *yaml.Node) *probity.Limits {
	l := &probity.Limits{}
	d.mapping(path, n, limitsKeys, func(key, path string, v *yaml.Node) {
		switch key {
		case "events_per_subject":
			l.EventsPerSubject = d.int(path, v)
			d.notZero(path, v, l.EventsPerSubject == 0, "leave it out for the default of "+fmt.Sprint(probity.DefaultEventsPerSubject))
		case "entries_per_page":
			l.EntriesPerPage = d.int(path, v)
			d.notZero(path, v, l.EntriesPerPage == 0, "leave it out for the default of "+fmt.Sprint(probity.DefaultEntriesPerPage))
		}
	})
	return l
}

func (d *decoder) statements(path string, n *yaml.Node) *probity.StatementRules {
	r := &probity.StatementRules{}
	d.mapping(path, n, statementKeys, func(key, path string, v *yaml.Node) {
		if key == "max_validity" {
			r.MaxValidity = d.duration(path, v)
			d.notZero(path, v, r.MaxValidity == 0, "the longest a statement of standing may be valid, such as 90d")
			if r.MaxValidity > probity.MaxStatementValidity && d.p.ok(path) {
				d.p.addAt(path, v.Line, "%s is too long; at most %dy", describe(v), probity.MaxStatementValidity/365)
			}
		}
	})
	return r
}

func (d *decoder) event(path string, n *yaml.Node) probity.EventRule {
	var r probity.EventRule
	d.mapping(path, n, eventKeys, func(key, path string, v *yaml.Node) {
		switch key {
		case "type":
			r.Type = d.text(path, v)
		case "basis":
			r.Basis = d.text(path, v)
		case "fields":
			r.Fields = d.textMap(path, v)
		case "points":
			r.Points = d.text(path, v)
		case "half_life":
			r.HalfLife = d.duration(path, v)
			d.notZero(path, v, r.HalfLife == 0, "leave it out for no decay")
		case "expires":
			r.Expires = d.duration(path, v)
			d.notZero(path, v, r.Expires == 0, "leave it out for an entry that never expires (allowed only for one that never lowers a score)")
		case "grace":
			r.Grace = d.duration(path, v)
		case "cured_by":
			r.CuredBy = d.texts(path, v)
		case "cap":
			r.Cap = d.number(path, v)
			d.notZero(path, v, r.Cap <= 0, "leave it out for no cap")
		case "code":
			r.Code = d.text(path, v)
		case "reason":
			r.Reason = d.text(path, v)
		}
	})
	return r
}

// mapping calls fn for each key of the mapping n in order, reporting unknown,
// duplicate and missing keys. A null value counts as a missing key.
func (d *decoder) mapping(path string, n *yaml.Node, k keys, fn func(key, path string, v *yaml.Node)) {
	seen := map[string]bool{}
	ok := d.entries(path, n, func(key, kpath string, kn, v *yaml.Node) {
		switch {
		case !slices.Contains(k.all, key):
			d.p.addAt(kpath, kn.Line, "unknown key %q%s; allowed: %s", key, suggest(key, k.all), strings.Join(k.all, ", "))
		case isNull(v):
			seen[key] = true
			if slices.Contains(k.required, key) {
				d.p.addAt(kpath, v.Line, "required, got null")
			}
		default:
			seen[key] = true
			fn(key, kpath, v)
		}
	})
	if !ok {
		return
	}
	for _, key := range k.required {
		if !seen[key] {
			d.p.addAt(join(path, key), n.Line, "required; missing from %s", orSpec(path))
		}
	}
}

// entries calls fn for each key of the mapping n in order, reporting keys
// that are not text or appear twice. It reports false if n is no mapping.
func (d *decoder) entries(path string, n *yaml.Node, fn func(key, kpath string, kn, v *yaml.Node)) bool {
	if !d.kind(path, n, yaml.MappingNode, "a mapping") {
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, v := n.Content[i], n.Content[i+1]
		if kn.Kind != yaml.ScalarNode {
			d.p.addAt(orSpec(path), kn.Line, "a key must be text, got %s", describe(kn))
			continue
		}
		kpath := join(path, kn.Value)
		if seen[kn.Value] {
			d.p.addAt(kpath, kn.Line, "duplicate key %q; each key may appear once", kn.Value)
			continue
		}
		seen[kn.Value] = true
		d.p.lines[kpath] = v.Line
		fn(kn.Value, kpath, kn, v)
	}
	return true
}

// kind reports whether n has the wanted kind, reporting it if not.
func (d *decoder) kind(path string, n *yaml.Node, want yaml.Kind, what string) bool {
	if n.Kind == want {
		return true
	}
	d.p.addAt(orSpec(path), n.Line, "want %s, got %s", what, describe(n))
	return false
}

// text returns a scalar as written. Numbers and booleans are accepted as text
// (a code of 100 is the text "100"); lists, mappings and null are not.
func (d *decoder) text(path string, n *yaml.Node) string {
	if isNull(n) {
		d.p.addAt(path, n.Line, "want text, got null")
		return ""
	}
	if !d.kind(path, n, yaml.ScalarNode, "text") {
		return ""
	}
	return n.Value
}

// texts returns a list of scalars.
func (d *decoder) texts(path string, n *yaml.Node) []string {
	var out []string
	for i, v := range d.list(path, n) {
		out = append(out, d.text(index(path, i), v))
	}
	return out
}

// list returns the items of a sequence, recording where each one is.
func (d *decoder) list(path string, n *yaml.Node) []*yaml.Node {
	if !d.kind(path, n, yaml.SequenceNode, "a list") {
		return nil
	}
	for i, v := range n.Content {
		d.p.lines[index(path, i)] = v.Line
	}
	return n.Content
}

// textMap returns a mapping of names to text (event fields, benefits), or nil
// if it is empty.
func (d *decoder) textMap(path string, n *yaml.Node) map[string]string {
	var out map[string]string
	d.entries(path, n, func(key, kpath string, _, v *yaml.Node) {
		if out == nil {
			out = map[string]string{}
		}
		out[key] = d.text(kpath, v)
	})
	return out
}

// int returns a whole number.
func (d *decoder) int(path string, n *yaml.Node) int {
	var v int
	if !d.kind(path, n, yaml.ScalarNode, "a whole number") {
		return 0
	}
	if n.ShortTag() != "!!int" || n.Decode(&v) != nil || v < -1e9 || v > 1e9 {
		d.p.addAt(path, n.Line, "want a whole number between -1000000000 and 1000000000, got %s", describe(n))
		return 0
	}
	return v
}

// number returns a finite number.
func (d *decoder) number(path string, n *yaml.Node) float64 {
	var v float64
	if !d.kind(path, n, yaml.ScalarNode, "a number") {
		return 0
	}
	if tag := n.ShortTag(); (tag != "!!int" && tag != "!!float") || n.Decode(&v) != nil ||
		math.IsNaN(v) || math.IsInf(v, 0) {
		d.p.addAt(path, n.Line, "want a finite number, got %s", describe(n))
		return 0
	}
	return v
}

// duration returns a duration written Nd or Ny.
func (d *decoder) duration(path string, n *yaml.Node) probity.Duration {
	if !d.kind(path, n, yaml.ScalarNode, "a duration such as 30d or 7y") {
		return 0
	}
	v, err := probity.ParseDuration(n.Value)
	if err != nil {
		d.p.addAt(path, n.Line, "%s", err)
		return 0
	}
	return v
}

// orSpec names the root "spec" in messages.
func orSpec(path string) string {
	if path == "" {
		return "spec"
	}
	return path
}

// notZero reports a value that must be more than zero and is not, unless
// the value was already reported. A zero written out would otherwise be
// taken for "not set".
func (d *decoder) notZero(path string, n *yaml.Node, zero bool, hint string) {
	if zero && d.p.ok(path) {
		d.p.addAt(path, n.Line, "must be more than 0, got %s; %s", describe(n), hint)
	}
}

// isNull reports whether n is an explicit or implied null (`key:` or `~`).
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names a node's kind and value for an error message.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return fmt.Sprintf("an alias (*%s); aliases are not supported, write the value out", n.Value)
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!int", "!!float", "!!bool":
			return v
		}
		return fmt.Sprintf("%q", v)
	}
	return "nothing"
}

// suggest returns `, did you mean "x"?` for the allowed key closest to key,
// or "" if none is close.
func suggest(key string, allowed []string) string {
	best, bestDist := "", 3
	for _, a := range allowed {
		if dist := editDistance(key, a); dist < bestDist {
			best, bestDist = a, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
