package spec

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/interpreter"
	"github.com/probity-dev/probity"
)

// Bounds on how much CEL one spec compiles.
const (
	maxEvents   = 500
	maxBenefits = 100
)

// celTypes are the CEL types of the field types a rule may declare.
var celTypes = map[string]*cel.Type{
	probity.FieldNumber: cel.DoubleType,
	probity.FieldInt:    cel.IntType,
	probity.FieldBool:   cel.BoolType,
	probity.FieldString: cel.StringType,
	probity.FieldDate:   cel.TimestampType,
}

// baseEnv is the CEL environment every expression starts from: the standard
// library, with numbers of different types comparable (amount > 10000 with
// amount a double), and no variables.
var baseEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		cel.CrossTypeNumericComparisons(true),
		cel.ParserExpressionSizeLimit(MaxExprLen),
	)
})

// benefitEnv declares what a benefit may see: score and grade, never the
// status, so that an unrated subject is indistinguishable from one at base (P6).
var benefitEnv = sync.OnceValues(func() (*cel.Env, error) {
	env, err := baseEnv()
	if err != nil {
		return nil, err
	}
	return env.Extend(cel.Variable("score", cel.IntType), cel.Variable("grade", cel.StringType))
})

// checked holds the type-checked CEL of a spec: rules[i] is the points of
// s.Events[i] (nil if it did not compile) and benefits the benefits that did.
type checked struct {
	rules    []*expr
	benefits map[string]*expr
}

// expr is a type-checked CEL expression and the environment it was checked in.
// Points that read no variable are evaluated once, when checked: constant
// holds them, and Points returns them without running CEL.
type expr struct {
	env      *cel.Env
	ast      *cel.Ast
	constant *float64
}

// check type-checks every CEL expression of s, reporting problems at their
// paths: unknown field types, duplicate event types, CEL that does not
// compile, has the wrong type or costs too much. An internal failure of CEL
// itself is returned as the error.
func check(s *probity.Spec, p *problems) (*checked, error) {
	c := &checked{rules: make([]*expr, len(s.Events)), benefits: map[string]*expr{}}
	if len(s.Events) > maxEvents || len(s.Benefits) > maxBenefits {
		p.add("spec", "%d event types and %d benefits; at most %d and %d", len(s.Events), len(s.Benefits),
			maxEvents, maxBenefits)
		return c, nil
	}
	base, err := baseEnv()
	if err != nil {
		return nil, err
	}
	first := map[string]int{}
	for i := range s.Events {
		r, path := &s.Events[i], index("events", i)
		if j, dup := first[r.Type]; dup && r.Type != "" {
			p.add(join(path, "type"), "duplicate event type %q (first declared at events[%d]); each type is declared once", r.Type, j)
		} else {
			first[r.Type] = i
		}
		if !p.ok(path, join(path, "points"), join(path, "fields")) {
			continue
		}
		env, err := pointsEnv(base, r, path, p)
		if err != nil {
			return nil, err
		}
		if env == nil {
			continue
		}
		pp := join(path, "points")
		vars := "the event's fields: " + strings.Join(sortedKeys(r.Fields), ", ")
		if len(r.Fields) == 0 {
			vars = "none: the event declares no fields"
		}
		if e := compileExpr(env, r.Points, cel.DoubleType, "(e.g. 10.0, not 10)", vars, pp, p); e != nil && e.fold(pp, p) {
			c.rules[i] = e
		}
	}
	env, err := benefitEnv()
	if err != nil {
		return nil, err
	}
	for _, name := range sortedKeys(s.Benefits) {
		path := join("benefits", name)
		if !p.ok(path) {
			continue
		}
		if a := compileExpr(env, s.Benefits[name], cel.BoolType, "(e.g. grade == 'A' || score >= 700)", "score (int) and grade (string)", path, p); a != nil {
			c.benefits[name] = a
		}
	}
	return c, nil
}

// pointsEnv declares a rule's fields as CEL variables. It returns nil after
// reporting a field of unknown type.
func pointsEnv(base *cel.Env, r *probity.EventRule, path string, p *problems) (*cel.Env, error) {
	var opts []cel.EnvOption
	for _, name := range sortedKeys(r.Fields) {
		t, ok := celTypes[r.Fields[name]]
		if !ok {
			p.add(join(join(path, "fields"), name), "%q is not a field type; allowed: %s",
				r.Fields[name], strings.Join(probity.FieldTypes, ", "))
			return nil, nil
		}
		opts = append(opts, cel.Variable(name, t))
	}
	return base.Extend(opts...)
}

// compileExpr compiles src in env and checks its output type and estimated
// cost, returning it checked or nil after reporting at path. vars names the
// variables src may use, for the message about an undeclared one.
func compileExpr(env *cel.Env, src string, want *cel.Type, example, vars, path string, p *problems) *expr {
	if len(src) > MaxExprLen {
		p.add(path, "too long (%d bytes); at most %d", len(src), MaxExprLen)
		return nil
	}
	if strings.TrimSpace(src) == "" {
		p.add(path, "required; want a CEL expression")
		return nil
	}
	a, iss := env.Compile(src)
	if iss.Err() != nil {
		for _, e := range iss.Errors() {
			msg := celMessage(e, src)
			if strings.Contains(msg, "undeclared reference") {
				msg += "; variables allowed: " + vars
			}
			p.add(path, "%s", msg)
		}
		return nil
	}
	if got := a.OutputType(); !got.IsExactType(want) {
		p.add(path, "must be a %s %s; got %s", want, example, got)
		return nil
	}
	est, err := env.EstimateCost(a, sizeEstimator{})
	if err != nil {
		p.add(path, "cost cannot be estimated: %v", err)
		return nil
	}
	if est.Max > MaxCost {
		p.add(path, "too costly: estimated cost up to %s, at most %d allowed; avoid long lists, nested loops "+
			"and repeated work on long strings", costString(est.Max), MaxCost)
		return nil
	}
	return &expr{env: env, ast: a}
}

// fold evaluates points that read no variable, reporting false (and the
// problem at path) if they fail or are not a finite number, which they would
// then do for every event.
func (e *expr) fold(path string, p *problems) bool {
	if len(ast.MatchDescendants(ast.NavigateAST(e.ast.NativeRep()), ast.KindMatcher(ast.IdentKind))) > 0 {
		return true
	}
	prg, err := e.program()
	if err != nil {
		p.add(path, "%v", err)
		return false
	}
	out, _, err := prg.Eval(interpreter.EmptyActivation())
	if err != nil {
		p.add(path, "always fails: %v", err)
		return false
	}
	v, ok := out.Value().(float64)
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		p.add(path, "always %v, not a finite number", out)
		return false
	}
	e.constant = &v
	return true
}

// celMessage formats one CEL compile error on one line, with its position
// in the expression.
func celMessage(e *cel.Error, src string) string {
	msg := strings.ReplaceAll(e.Message, " (in container '')", "")
	loc := e.Location
	switch {
	case loc == nil || loc.Line() <= 0:
		return msg
	case strings.Contains(src, "\n"):
		return fmt.Sprintf("%s (at line %d, column %d of the expression)", msg, loc.Line(), loc.Column()+1)
	default:
		return fmt.Sprintf("%s (at column %d)", msg, loc.Column()+1)
	}
}

// costString writes an estimated cost, naming unbounded ones.
func costString(c uint64) string {
	if c >= 1<<62 {
		return "unbounded"
	}
	return fmt.Sprint(c)
}

// sizeEstimator bounds what the CEL checker cannot know: every string is at
// most MaxStringLen bytes, which Fields enforces for string fields.
type sizeEstimator struct{}

// EstimateSize implements checker.CostEstimator.
func (sizeEstimator) EstimateSize(n checker.AstNode) *checker.SizeEstimate {
	if t := n.Type(); t != nil && t.IsExactType(cel.StringType) {
		return &checker.SizeEstimate{Min: 0, Max: MaxStringLen}
	}
	return nil
}

// EstimateCallCost implements checker.CostEstimator: no function has a cost
// other than CEL's own estimate.
func (sizeEstimator) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
}

// readsStrings reports whether a checked expression reads a string variable,
// i.e. whether its cost depends on input sizes rather than being fixed by its
// text.
func readsStrings(a *cel.Ast) bool {
	idents := ast.MatchDescendants(ast.NavigateAST(a.NativeRep()), ast.KindMatcher(ast.IdentKind))
	for _, id := range idents {
		if t := id.Type(); t != nil && t.IsExactType(cel.StringType) {
			return true
		}
	}
	return false
}

// program builds the program of a checked expression. A runtime cost limit
// is set when the cost depends on string inputs; otherwise the estimate
// checked at compile time is exact and tracking cost (about 1 µs per
// evaluation) would buy nothing.
func (e *expr) program() (cel.Program, error) {
	opts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize)}
	if readsStrings(e.ast) {
		opts = append(opts, cel.CostLimit(MaxCost))
	}
	return e.env.Program(e.ast, opts...)
}

// sortedKeys returns the keys of m in order, so that problems are reported
// in the same order every time.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
