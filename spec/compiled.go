package spec

import (
	"math"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/interpreter"
	"github.com/probity-dev/probity"
)

// Compiled is a spec with its CEL compiled: the points of each event type and
// each benefit decision. It is immutable and safe for concurrent use.
type Compiled struct {
	spec     *probity.Spec
	points   map[string]pointsProgram
	benefits map[string]cel.Program
	types    []string
}

// pointsProgram computes the points of one event type: the program, or the
// constant when they read no field.
type pointsProgram struct {
	prg      cel.Program
	constant float64
}

// Compile compiles a spec's CEL. It checks only what compiling needs (field
// types, unique event types, CEL that type-checks within the cost limit), not
// the policy Parse enforces, so a version stored under older rules keeps
// scoring. On a spec from Parse it fails only on internal errors; otherwise
// its error is EINVALID and lists every problem.
func Compile(s *probity.Spec) (*Compiled, error) {
	p := newProblems()
	chk, err := check(s, p)
	if err != nil {
		return nil, probity.Errorf(probity.EINTERNAL, "spec %s: compiling CEL: %v", s.ID, err)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	c := &Compiled{spec: s, points: map[string]pointsProgram{}, benefits: map[string]cel.Program{}}
	for i, e := range chk.rules {
		var pp pointsProgram
		if e.constant != nil {
			pp.constant = *e.constant
		} else if pp.prg, err = e.program(); err != nil {
			return nil, probity.Errorf(probity.EINTERNAL, "spec %s: events[%d].points: %v", s.ID, i, err)
		}
		c.points[s.Events[i].Type] = pp
		c.types = append(c.types, s.Events[i].Type)
	}
	for name, e := range chk.benefits {
		prg, err := e.program()
		if err != nil {
			return nil, probity.Errorf(probity.EINTERNAL, "spec %s: benefits.%s: %v", s.ID, name, err)
		}
		c.benefits[name] = prg
	}
	return c, nil
}

// Spec returns the spec c was compiled from. Callers must not modify it.
func (c *Compiled) Spec() *probity.Spec { return c.spec }

// Points returns the raw points of an event of the type with the fields, as
// typed by Fields. An unknown type, an evaluation error (a division by zero,
// a missing field) or a result that is not a finite number is an EINVALID
// error naming the event type.
func (c *Compiled) Points(eventType string, fields map[string]any) (float64, error) {
	pp, ok := c.points[eventType]
	if !ok {
		return 0, probity.Errorf(probity.EINVALID, "event type %q is not declared by domain %s; declared: %s",
			eventType, c.spec.ID, strings.Join(c.types, ", "))
	}
	if pp.prg == nil {
		return pp.constant, nil
	}
	var vars interpreter.Activation = interpreter.EmptyActivation()
	if fields != nil {
		vars = mapVars(fields)
	}
	out, _, err := pp.prg.Eval(vars)
	if err != nil {
		return 0, probity.Errorf(probity.EINVALID, "points of %s: %v", eventType, err)
	}
	v, ok := out.Value().(float64)
	if !ok {
		return 0, probity.Errorf(probity.EINVALID, "points of %s: want a double, got %v", eventType, out.Type())
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, probity.Errorf(probity.EINVALID, "points of %s: %v is not a finite number", eventType, v)
	}
	return v, nil
}

// Benefit decides whether a subject with the score and grade qualifies for
// the named benefit. Callers pass the domain's base and its grade for an
// unrated or opted-out subject (P6). An unknown benefit is an ENOTFOUND error
// listing the domain's benefits.
func (c *Compiled) Benefit(name string, score int, grade string) (bool, error) {
	prg, ok := c.benefits[name]
	if !ok {
		names := sortedKeys(c.benefits)
		if len(names) == 0 {
			return false, probity.Errorf(probity.ENOTFOUND, "benefit %q: domain %s declares no benefits", name, c.spec.ID)
		}
		return false, probity.Errorf(probity.ENOTFOUND, "benefit %q: not a benefit of domain %s; benefits: %s",
			name, c.spec.ID, strings.Join(names, ", "))
	}
	out, _, err := prg.Eval(&decisionVars{score: int64(score), grade: grade})
	if err != nil {
		return false, probity.Errorf(probity.EINVALID, "benefit %s: %v", name, err)
	}
	allowed, ok := out.Value().(bool)
	if !ok {
		return false, probity.Errorf(probity.EINVALID, "benefit %s: want a bool, got %v", name, out.Type())
	}
	return allowed, nil
}

// mapVars resolves a rule's variables from its typed fields.
type mapVars map[string]any

// ResolveName implements interpreter.Activation.
func (m mapVars) ResolveName(name string) (any, bool) {
	v, ok := m[name]
	return v, ok
}

// Parent implements interpreter.Activation.
func (m mapVars) Parent() interpreter.Activation { return nil }

// decisionVars are the variables of a benefit, resolved without a map.
type decisionVars struct {
	score int64
	grade string
}

// ResolveName implements interpreter.Activation.
func (d *decisionVars) ResolveName(name string) (any, bool) {
	switch name {
	case "score":
		return d.score, true
	case "grade":
		return d.grade, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (d *decisionVars) Parent() interpreter.Activation { return nil }

// EventPoints types an event's stored or submitted field values under the
// spec (asText: CSV strings) and evaluates its points. An event type the
// spec does not declare scores 0: a later version may drop a type, and its
// past events then count for nothing.
func (c *Compiled) EventPoints(eventType string, fields map[string]any, asText bool) (float64, error) {
	rule := c.spec.Rule(eventType)
	if rule == nil {
		return 0, nil
	}
	typed, err := Fields(rule, fields, asText)
	if err != nil {
		return 0, err
	}
	return c.Points(eventType, typed)
}
