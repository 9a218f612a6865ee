package spec

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/overloads"
	"github.com/google/cel-go/common/types"
)

// PointsCase is one line of a rule's points told in words: when (empty
// for the last, "otherwise" or "always") and how many points.
type PointsCase struct {
	When   string
	Points string
}

// PointsInWords tells a rule's points expression in words, case by case,
// for the public registry: "days_late >= 90 ? -80.0 : (days_late >= 30 ?
// -40.0 : -15.0)" is "days late 90 or more: -80 points", "days late 30 or
// more: -40 points", "otherwise: -15 points". It reports false for an
// expression it cannot tell (the registry then shows the CEL alone); the
// CEL stays the rule, the words only read it.
func PointsInWords(src string) ([]PointsCase, bool) {
	env, err := cel.NewEnv()
	if err != nil {
		return nil, false
	}
	parsed, iss := env.Parse(src)
	if iss != nil && iss.Err() != nil {
		return nil, false
	}
	cases, ok := casesOf(parsed.NativeRep().Expr())
	if !ok || len(cases) == 0 || len(cases) > 12 {
		return nil, false
	}
	return cases, true
}

// casesOf splits a chain of conditionals into its cases.
func casesOf(e ast.Expr) ([]PointsCase, bool) {
	if c, ok := call(e, operators.Conditional, 3); ok {
		when, ok := condition(c[0])
		if !ok {
			return nil, false
		}
		then, ok := amount(c[1])
		if !ok {
			return nil, false
		}
		rest, ok := casesOf(c[2])
		if !ok {
			return nil, false
		}
		return append([]PointsCase{{When: when, Points: then}}, rest...), true
	}
	// base + (cond ? bonus : 0): "10 points, 20 when amount is over 10,000"
	if c, ok := call(e, operators.Add, 2); ok {
		base, okBase := number(c[0])
		if inner, okCond := call(c[1], operators.Conditional, 3); okBase && okCond {
			when, ok1 := condition(inner[0])
			bonus, ok2 := number(inner[1])
			other, ok3 := number(inner[2])
			if ok1 && ok2 && ok3 {
				return []PointsCase{{When: when, Points: points(base + bonus)}, {Points: points(base + other)}}, true
			}
		}
	}
	v, ok := amount(e)
	if !ok {
		return nil, false
	}
	return []PointsCase{{Points: v}}, true
}

// condition tells a boolean expression in words.
func condition(e ast.Expr) (string, bool) {
	if e.Kind() == ast.IdentKind {
		return fieldName(e.AsIdent()), true
	}
	if e.Kind() != ast.CallKind {
		return "", false
	}
	c := e.AsCall()
	args := c.Args()
	switch c.FunctionName() {
	case operators.LogicalNot:
		if len(args) == 1 {
			if s, ok := condition(args[0]); ok {
				return "not " + s, true
			}
		}
	case operators.LogicalAnd, operators.LogicalOr:
		if len(args) == 2 {
			a, ok1 := condition(args[0])
			b, ok2 := condition(args[1])
			join := " and "
			if c.FunctionName() == operators.LogicalOr {
				join = " or "
			}
			return a + join + b, ok1 && ok2
		}
	}
	compare := map[string]string{operators.GreaterEquals: "%s %s or more", operators.Greater: "%s over %s",
		operators.LessEquals: "%s %s or less", operators.Less: "%s under %s", operators.Equals: "%s %s", operators.NotEquals: "%s not %s"}
	if format, ok := compare[c.FunctionName()]; ok && len(args) == 2 && args[0].Kind() == ast.IdentKind {
		if lit, ok := literal(args[1]); ok {
			return fmt.Sprintf(format, fieldName(args[0].AsIdent()), lit), true
		}
	}
	return "", false
}

// amount tells a points value in words: a number, or a field times a
// number ("amount x 0.01 points").
func amount(e ast.Expr) (string, bool) {
	if n, ok := number(e); ok {
		return points(n), true
	}
	if c, ok := call(e, operators.Multiply, 2); ok {
		for i := range 2 {
			if n, ok := number(c[i]); ok && field(c[1-i]) != "" {
				return fmt.Sprintf("%s points for each 1 of %s", signed(n), field(c[1-i])), true
			}
		}
	}
	return "", false
}

// field names the field e reads, converted or not ("double(amount)").
func field(e ast.Expr) string {
	if e.Kind() == ast.IdentKind {
		return fieldName(e.AsIdent())
	}
	if c, ok := call(e, overloads.TypeConvertDouble, 1); ok && c[0].Kind() == ast.IdentKind {
		return fieldName(c[0].AsIdent())
	}
	return ""
}

// call returns the arguments of e when it calls fn (not as a member) with n
// of them.
func call(e ast.Expr, fn string, n int) ([]ast.Expr, bool) {
	if e.Kind() != ast.CallKind {
		return nil, false
	}
	c := e.AsCall()
	if c.FunctionName() != fn || c.IsMemberFunction() || len(c.Args()) != n {
		return nil, false
	}
	return c.Args(), true
}

// number returns a numeric literal's value (negated literals included).
func number(e ast.Expr) (float64, bool) {
	if c, ok := call(e, operators.Negate, 1); ok {
		n, ok := number(c[0])
		return -n, ok
	}
	if e.Kind() != ast.LiteralKind {
		return 0, false
	}
	switch n := e.AsLiteral().(type) {
	case types.Double:
		return float64(n), true
	case types.Int:
		return float64(n), true
	case types.Uint:
		return float64(n), true
	}
	return 0, false
}

// literal writes a literal a field is compared with.
func literal(e ast.Expr) (string, bool) {
	if n, ok := number(e); ok {
		return figure(n), true
	}
	if e.Kind() == ast.LiteralKind {
		switch v := e.AsLiteral().(type) {
		case types.String:
			return strconv.Quote(string(v)), true
		case types.Bool:
			return map[bool]string{true: "yes", false: "no"}[bool(v)], true
		}
	}
	return "", false
}

func fieldName(name string) string { return strings.ReplaceAll(name, "_", " ") }

// points writes a number of points with its sign: "+10 points", "-80
// points", "no points".
func points(n float64) string {
	if n == 0 {
		return "no points"
	}
	return signed(n) + " points"
}

func signed(n float64) string {
	if n > 0 {
		return "+" + figure(n)
	}
	return "-" + figure(-n)
}

// figure writes a number as a person reads it: 10000 is "10,000", 2.5 is
// "2.5".
func figure(n float64) string {
	if n != math.Trunc(n) || math.Abs(n) >= 1e15 {
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	s := strconv.FormatInt(int64(math.Abs(n)), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if n < 0 {
		return "-" + b.String()
	}
	return b.String()
}
