// Package population generates a deterministic synthetic population of
// subjects and the events institutions would report about them, for the demo,
// tests and benchmarks. The same options always give the same population.
package population

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/identity"
	"github.com/probity-dev/probity/spec"
)

// Options shape a population.
type Options struct {
	Subjects int       // how many subjects (default 10,000)
	Seed     uint64    // the same seed gives the same population
	Now      time.Time // events occur in the Years before Now
	Years    int       // how far back histories go (default 6)
	// EventsPerDomain is the mean number of events of a subject in a domain
	// that rates it (default 10, giving about 20 events a subject).
	EventsPerDomain int
}

func (o Options) withDefaults() Options {
	if o.Subjects <= 0 {
		o.Subjects = 10000
	}
	if o.Years <= 0 {
		o.Years = 6
	}
	if o.EventsPerDomain <= 0 {
		o.EventsPerDomain = 10
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC().Truncate(24 * time.Hour)
	return o
}

// Subject returns the identifier of subject i: mostly persons with cn-rid
// numbers, then opaque persons, companies with USCC codes, opaque
// organisations and public bodies.
func (o Options) Subject(i int) (string, probity.SubjectKind) {
	r := rand.New(rand.NewPCG(o.Seed, uint64(i)*2+1))
	switch p := i % 100; {
	case p < 72:
		return identity.GenerateCNRID(r), probity.KindPerson
	case p < 82:
		return fmt.Sprintf("person:P%08d", i), probity.KindPerson
	case p < 92:
		return identity.GenerateUSCC(r), probity.KindOrganization
	case p < 96:
		return fmt.Sprintf("org:O%08d", i), probity.KindOrganization
	default:
		return fmt.Sprintf("gov:G%08d", i), probity.KindPublicBody
	}
}

// Domain generates the events of one domain for every subject it rates.
type Domain struct {
	opts     Options
	spec     *probity.Spec
	prefix   string
	positive []*probity.EventRule
	adverse  []*probity.EventRule
}

// NewDomain prepares the events of a domain. A rule is adverse when its
// points are negative for typical field values.
func NewDomain(s *probity.Spec, prefix string, opts Options) (*Domain, error) {
	c, err := spec.Compile(s)
	if err != nil {
		return nil, err
	}
	d := &Domain{opts: opts.withDefaults(), spec: s, prefix: prefix}
	cures := map[string]bool{}
	for _, r := range s.Events {
		for _, t := range r.CuredBy {
			cures[t] = true
		}
	}
	r := rand.New(rand.NewPCG(d.opts.Seed, 0))
	for i := range s.Events {
		rule := &s.Events[i]
		if cures[rule.Type] {
			continue
		}
		if d.isAdverse(c, rule, r) {
			d.adverse = append(d.adverse, rule)
		} else {
			d.positive = append(d.positive, rule)
		}
	}
	if len(d.positive) == 0 && len(d.adverse) == 0 {
		return nil, fmt.Errorf("population: domain %s has no event type to generate", s.ID)
	}
	return d, nil
}

func (d *Domain) isAdverse(c *spec.Compiled, rule *probity.EventRule, r *rand.Rand) bool {
	neg := 0
	for range 20 {
		typed, err := spec.Fields(rule, d.fields(rule, r, d.opts.Now), false)
		if err != nil {
			return false
		}
		if p, err := c.Points(rule.Type, typed); err == nil && p < 0 {
			neg++
		}
	}
	return neg > 10
}

// Reader returns the domain's events as an EventReader, subject by subject.
func (d *Domain) Reader() probity.EventReader {
	return &reader{d: d}
}

type reader struct {
	d       *Domain
	subject int
	buf     []probity.EventInput
	line    int
}

func (rd *reader) Next() (probity.EventInput, error) {
	for len(rd.buf) == 0 {
		if rd.subject >= rd.d.opts.Subjects {
			return probity.EventInput{}, io.EOF
		}
		rd.buf = rd.d.SubjectEvents(rd.subject)
		rd.subject++
	}
	e := rd.buf[0]
	rd.buf = rd.buf[1:]
	rd.line++
	e.Line = rd.line
	return e, nil
}

// SubjectEvents returns the events of subject i in the domain, in time order;
// none if the domain does not rate the subject's kind.
func (d *Domain) SubjectEvents(i int) []probity.EventInput {
	id, kind := d.opts.Subject(i)
	if !d.spec.Rates(kind) {
		return nil
	}
	r := rand.New(rand.NewPCG(d.opts.Seed^hash(d.spec.ID), uint64(i)))
	if kind == probity.KindPerson && d.spec.Officials != nil && i%50 != 0 {
		return nil // only officials are rated by an integrity domain
	}
	n := r.IntN(2*d.opts.EventsPerDomain + 1)
	if len(d.positive) == 0 {
		// a domain of adverse facts only (judgments): few subjects have any
		if i%10 != 0 {
			return nil
		}
		n = 1 + r.IntN(2)
	}
	// Histories differ in length as well as in conduct: a subject whose
	// entries all fall in the last year or two is marked by them more than
	// one whose entries spread over six years and have faded, so that the
	// grades spread across every band.
	span := time.Duration(float64(time.Duration(d.opts.Years)*365*24*time.Hour) * (0.12 + 0.88*r.Float64()))
	adverseRate := 0.04 + 0.3*r.Float64()*r.Float64()
	var out []probity.EventInput
	for k := 0; k < n; k++ {
		at := d.opts.Now.Add(-time.Duration(r.Int64N(int64(span)))).Truncate(time.Hour)
		var rule *probity.EventRule
		if len(d.positive) > 0 {
			rule = d.positive[r.IntN(len(d.positive))]
		}
		if len(d.adverse) > 0 && (rule == nil || r.Float64() < adverseRate) {
			rule = d.adverse[r.IntN(len(d.adverse))]
		}
		key := fmt.Sprintf("%s-%07d-%03d", d.prefix, i, k)
		out = append(out, probity.EventInput{Key: key, Type: rule.Type, Subject: id,
			OccurredAt: at.Format(time.RFC3339), Fields: d.fields(rule, r, at)})
		if cure, ok := d.cure(rule, key, id, at, r); ok {
			out = append(out, cure)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].OccurredAt < out[b].OccurredAt })
	return out
}

// cure returns a cure of an adverse event: most within grace, some later.
func (d *Domain) cure(rule *probity.EventRule, key, id string, at time.Time, r *rand.Rand) (probity.EventInput, bool) {
	if len(rule.CuredBy) == 0 || r.Float64() > 0.6 {
		return probity.EventInput{}, false
	}
	days := r.Float64() * rule.Grace.Days()
	if r.Float64() < 0.3 {
		days = rule.Grace.Days() + r.Float64()*365
	}
	when := at.Add(time.Duration(days * 24 * float64(time.Hour))).Truncate(time.Hour)
	if when.After(d.opts.Now) {
		return probity.EventInput{}, false
	}
	typ := rule.CuredBy[0]
	cr := d.spec.Rule(typ)
	return probity.EventInput{Key: key + "-c", Type: typ, Subject: id, OccurredAt: when.Format(time.RFC3339),
		Fields: d.fields(cr, r, when), Cures: key}, true
}

// fields makes plausible values for a rule's declared fields.
func (d *Domain) fields(rule *probity.EventRule, r *rand.Rand, at time.Time) map[string]any {
	out := make(map[string]any, len(rule.Fields))
	names := make([]string, 0, len(rule.Fields))
	for name := range rule.Fields {
		names = append(names, name)
	}
	sort.Strings(names) // map order is random; the population must not be
	for _, name := range names {
		switch rule.Fields[name] {
		case probity.FieldNumber:
			out[name] = json.Number(fmt.Sprintf("%.2f", math.Round(math.Exp(5+r.Float64()*8)*100)/100))
		case probity.FieldInt:
			out[name] = json.Number(fmt.Sprint(int(math.Abs(r.NormFloat64()) * 40)))
		case probity.FieldBool:
			out[name] = r.Float64() < 0.85
		case probity.FieldString:
			out[name] = fmt.Sprintf("ref-%d", r.IntN(1000000))
		case probity.FieldDate:
			out[name] = at.Format(time.DateOnly)
		}
	}
	return out
}

func hash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h
}
