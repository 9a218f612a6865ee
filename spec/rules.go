package spec

import (
	"slices"
	"strings"

	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/overloads"
	"github.com/google/cel-go/common/types"
	"github.com/probity-dev/probity"
)

// celReserved are names a field cannot take: CEL's reserved words and the
// names of its types and conversions, which a variable would shadow.
var celReserved = []string{"as", "break", "const", "continue", "else", "false", "for", "function", "if",
	"import", "in", "let", "loop", "package", "namespace", "null", "return", "true", "var", "void", "while",
	"bool", "bytes", "double", "duration", "dyn", "int", "list", "map", "null_type", "string", "timestamp",
	"type", "uint"}

// maxFields bounds the fields of one event type.
const maxFields = 64

// events checks every event rule.
func (v *validator) events(chk *checked) {
	if !v.p.ok("events") {
		return
	}
	if len(v.s.Events) == 0 {
		v.p.add("events", "required; declare at least one event type")
		return
	}
	for i := range v.s.Events {
		v.event(index("events", i), &v.s.Events[i], chk.rules[i])
	}
}

// event checks one rule; e is its compiled points, nil if they did not compile.
func (v *validator) event(path string, r *probity.EventRule, e *expr) {
	if !v.p.ok(path) {
		return
	}
	if tp := join(path, "type"); v.p.ok(tp) {
		if !namePattern.MatchString(r.Type) {
			v.p.add(tp, "%q is not an event type name; want a-z, 0-9 and '_', starting with a letter, at most 63", r.Type)
		} else {
			v.protectedName(tp, r.Type)
		}
	}
	v.oneOf(join(path, "basis"), r.Basis, probity.Bases, "a lawful basis")
	v.fields(join(path, "fields"), r.Fields)
	if e != nil {
		v.expression(join(path, "points"), e)
	}
	v.due(path, r, e)
	if cp := join(path, "cap"); v.p.ok(cp) && !(r.Cap >= 0) {
		v.p.add(cp, "must be more than 0; leave it out for no cap")
	}
	if cp := join(path, "code"); v.p.ok(cp) && !codePattern.MatchString(r.Code) {
		v.p.add(cp, "%q is not a reason code; want 1-8 of A-Z and 0-9, e.g. L01", r.Code)
	}
	v.text(join(path, "reason"), r.Reason, maxTitle)
}

// fields checks a rule's field names.
func (v *validator) fields(path string, fields map[string]string) {
	if !v.p.ok(path) {
		return
	}
	if len(fields) > maxFields {
		v.p.add(path, "%d fields; at most %d", len(fields), maxFields)
	}
	for _, name := range sortedKeys(fields) {
		fp := join(path, name)
		switch {
		case !namePattern.MatchString(name):
			v.p.add(fp, "%q is not a field name; want a-z, 0-9 and '_', starting with a letter, at most 63", name)
		case slices.Contains(celReserved, name):
			v.p.add(fp, "%q is a reserved word in CEL; choose another name", name)
		default:
			v.protectedName(fp, name)
		}
	}
}

// due checks expiry, grace and cures, which depend on whether the rule is
// adverse: every adverse rule expires (P5); only adverse entries wait out a
// grace period or can be cured (P4), so grace and cured_by on a rule whose
// points are never negative are mistakes and rejected.
func (v *validator) due(path string, r *probity.EventRule, e *expr) {
	if hp := join(path, "half_life"); v.p.ok(hp) && r.HalfLife < 0 {
		v.p.add(hp, "must be more than 0d; leave it out for no decay")
	}
	if xp := join(path, "expires"); v.p.ok(xp) && r.Expires < 0 {
		v.p.add(xp, "must be more than 0d")
	}
	if gp := join(path, "grace"); v.p.ok(gp) && r.Grace < 0 {
		v.p.add(gp, "must not be negative; leave it out for no grace period")
	}
	v.duration(join(path, "half_life"), r.HalfLife)
	v.duration(join(path, "expires"), r.Expires)
	v.duration(join(path, "grace"), r.Grace)
	if e == nil {
		return // adverse or not is unknown; the points are reported
	}
	if adverse(e.ast.NativeRep().Expr()) {
		if xp := join(path, "expires"); v.p.ok(xp) && r.Expires <= 0 {
			v.p.add(xp, "required for an adverse rule (points can be negative); no entry may count forever (P5)")
		}
		v.cures(join(path, "cured_by"), r)
		return
	}
	if gp := join(path, "grace"); v.p.ok(gp) && r.Grace != 0 {
		v.p.add(gp, "only an adverse rule (points can be negative) has a grace period; these points are never negative")
	}
	if cp := join(path, "cured_by"); v.p.ok(cp) && len(r.CuredBy) > 0 {
		v.p.add(cp, "only an adverse rule (points can be negative) can be cured; these points are never negative")
	}
}

// cures checks that each type in cured_by is another type of the spec.
func (v *validator) cures(path string, r *probity.EventRule) {
	if !v.p.ok(path) || len(r.CuredBy) == 0 {
		return
	}
	var types []string
	for _, e := range v.s.Events {
		types = append(types, e.Type)
	}
	v.names(path, r.CuredBy, func(ip, typ string) {
		switch {
		case typ == r.Type:
			v.p.add(ip, "%q cannot cure itself; name the event type that settles it", typ)
		case !slices.Contains(types, typ):
			v.p.add(ip, "%q is not an event type of this spec; declared: %s", typ, strings.Join(types, ", "))
		}
	})
}

// benefits checks benefit names and their CEL.
func (v *validator) benefits(chk *checked) {
	if !v.p.ok("benefits") {
		return
	}
	for _, name := range sortedKeys(v.s.Benefits) {
		path := join("benefits", name)
		if !namePattern.MatchString(name) {
			v.p.add(path, "%q is not a benefit name; want a-z, 0-9 and '_', starting with a letter, at most 63", name)
			continue
		}
		v.protectedName(path, name)
		if e := chk.benefits[name]; e != nil {
			v.expression(path, e)
		}
	}
}

// expression checks what a compiled expression does beyond its type: string
// literals that name a protected input (a string field compared with
// "church" is as forbidden as a field named so), and timestamp accessors
// given a time zone, which would read the zone database (I/O) and shift
// dates that are UTC by definition.
func (v *validator) expression(path string, e *expr) {
	nodes := ast.MatchDescendants(ast.NavigateAST(e.ast.NativeRep()), ast.AllMatcher())
	for _, n := range nodes {
		switch n.Kind() {
		case ast.LiteralKind:
			s, ok := n.AsLiteral().(types.String)
			if category := protected(string(s)); ok && category != "" {
				v.p.add(path, "the text %q names a protected input (%s); %s", string(s), category, protectedP2)
				return
			}
		case ast.CallKind:
			c := n.AsCall()
			if c.IsMemberFunction() && len(c.Args()) == 1 && slices.Contains(zonedAccessors, c.FunctionName()) {
				v.p.add(path, "%s with a time zone: dates are UTC; call %s() without one", c.FunctionName(), c.FunctionName())
				return
			}
		}
	}
}

// zonedAccessors are the timestamp accessors that accept a time zone.
var zonedAccessors = []string{"getFullYear", "getMonth", "getDayOfYear", "getDayOfMonth", "getDate",
	"getDayOfWeek", "getHours", "getMinutes", "getSeconds", "getMilliseconds"}

// adverse reports whether a points expression can be negative. It is a sign
// analysis of the checked expression, sound and conservative: points are
// non-negative only if built from non-negative number literals with +, *, /,
// %, ?: (whatever the condition), double(), int(), uint() and size(). Any
// negative literal, negation, subtraction, number field (inputs can be
// negative) or other function makes the rule adverse.
func adverse(e ast.Expr) bool { return !nonNegative(e) }

// nonNegative reports whether e provably evaluates to a number >= 0 (or an
// error, which Points reports).
func nonNegative(e ast.Expr) bool {
	switch e.Kind() {
	case ast.LiteralKind:
		switch n := e.AsLiteral().(type) {
		case types.Double:
			return n >= 0
		case types.Int:
			return n >= 0
		case types.Uint:
			return true
		}
	case ast.CallKind:
		c := e.AsCall()
		args := c.Args()
		switch c.FunctionName() {
		case operators.Conditional:
			return len(args) == 3 && nonNegative(args[1]) && nonNegative(args[2])
		case operators.Add, operators.Multiply, operators.Divide, operators.Modulo:
			return !c.IsMemberFunction() && len(args) == 2 && nonNegative(args[0]) && nonNegative(args[1])
		case overloads.TypeConvertDouble, overloads.TypeConvertInt:
			return !c.IsMemberFunction() && len(args) == 1 && nonNegative(args[0])
		case overloads.TypeConvertUint, overloads.Size:
			return true
		}
	}
	return false
}
