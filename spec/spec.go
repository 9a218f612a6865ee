// Package spec parses, validates and compiles domain specs (DESIGN.md,
// "Domain spec"). It is pure: it reads bytes it is given and does no I/O.
//
// Parse is the only way a *probity.Spec should come into being from text: it
// reports every problem of a spec at once, each with the path of the offending
// element (and its line), so that a domain owner can fix them in one pass.
// Compile turns a valid spec's CEL into programs that compute event points and
// benefit decisions.
//
// Besides the closed lists of the root package, Parse enforces:
//
//   - P2: no event type, field or benefit name, and no string in CEL, may
//     name a protected input (politics, petitions, religion, ethnicity,
//     health, unions, sex, biometrics, location, social ties, lifestyle).
//     Names are matched by word, so "grace" is not "race".
//   - P5: every adverse rule expires. A rule is adverse unless a sign
//     analysis of its points proves them never negative: they are built only
//     from non-negative number literals with +, *, /, %, ?: (whatever the
//     condition), double(), int(), uint() and size(). A negative literal, a
//     negation, a subtraction or a number field used as a value (inputs can
//     be negative) makes a rule adverse. Grace and cured_by are allowed only
//     on adverse rules, the only ones they affect.
//   - Cost: each CEL expression's estimated worst-case cost, with strings
//     at most MaxStringLen bytes, is at most MaxCost.
//   - Time: every duration (notice, dispute_sla, half_life, expires, grace)
//     is at most probity.MaxDuration (100y), so that a date computed from
//     one stays within the installation's years (probity.CheckTime).
//   - Work per subject: the optional mapping `limits: {events_per_subject:
//     10000, entries_per_page: 100}` bounds how many events the domain stores about one subject (1 to
//     probity.MaxEventsPerSubject; an upload past it is refused) and how
//     many entries of each list one read of a score or report shows (1 to
//     probity.MaxEntriesPerPage; the rest page by page). A limit left out
//     takes its default (probity.DefaultEventsPerSubject,
//     probity.DefaultEntriesPerPage); a spec without limits keeps the digest
//     it had before limits existed.
package spec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/probity-dev/probity"
	"go.yaml.in/yaml/v3"
)

// Limits on what a spec may contain. They keep parsing, compiling and
// evaluating a spec cheap whoever wrote it.
const (
	// MaxSourceSize is the largest spec source Parse accepts, in bytes.
	MaxSourceSize = 1 << 20
	// MaxExprLen is the longest CEL expression (points or benefit), in bytes.
	MaxExprLen = 4096
	// MaxCost is the largest estimated CEL cost of one expression, in CEL
	// cost units (about one per operation), with string fields assumed to
	// be at most MaxStringLen bytes. Programs whose cost depends on input
	// sizes also stop at this cost at run time.
	MaxCost = 10_000
	// MaxStringLen is the longest value of a string field, in bytes.
	MaxStringLen = 1024
	// maxProblems bounds how many problems one error lists.
	maxProblems = 100
)

// Parse decodes a YAML or JSON spec and validates it completely, CEL
// included. Its error is an EINVALID *probity.Error whose message lists every
// problem found, one per line, each as "path (line N): what is wrong; what is
// allowed". Keys left out get their defaults: penalties "all", min_events 1.
func Parse(source []byte) (*probity.Spec, error) {
	p := newProblems()
	root := parseYAML(source, p)
	if root == nil {
		return nil, p.err()
	}
	if root.Kind != yaml.MappingNode {
		p.addAt("spec", root.Line, "want a mapping with keys %s, got %s", strings.Join(specKeys.all, ", "), describe(root))
		return nil, p.err()
	}
	d := &decoder{p: p}
	s := d.spec(root)
	if err := validate(s, p); err != nil {
		return nil, probity.Errorf(probity.EINTERNAL, "spec: compiling CEL: %v", err)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return s, nil
}

// Validate checks a spec built in Go (or read back from storage) exactly as
// Parse checks a parsed one, without line numbers. Its error is EINVALID and
// lists every problem.
func Validate(s *probity.Spec) error {
	p := newProblems()
	if err := validate(s, p); err != nil {
		return probity.Errorf(probity.EINTERNAL, "spec: compiling CEL: %v", err)
	}
	return p.err()
}

// Digest returns the hex SHA-256 of the spec's canonical JSON (encoding/json of
// *probity.Spec, whose maps marshal with sorted keys). Two specs with the same
// digest score identically; a YAML spec and its JSON rendering share a digest.
// Digest panics on a spec that cannot be marshalled (a NaN cap or factor),
// which Parse and Validate never let through.
func Digest(s *probity.Spec) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic("spec: Digest of an invalid spec: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// parseYAML returns the root node of the one document in source, or nil after
// reporting why there is none.
func parseYAML(source []byte, p *problems) *yaml.Node {
	if len(source) > MaxSourceSize {
		p.add("spec", "too large (%d bytes); at most %d bytes", len(source), MaxSourceSize)
		return nil
	}
	if len(bytes.TrimSpace(source)) == 0 {
		p.add("spec", "empty; want a YAML or JSON mapping with keys %s", strings.Join(specKeys.all, ", "))
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(source))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		p.add("spec", "not valid YAML or JSON: %s", strings.TrimPrefix(err.Error(), "yaml: "))
		return nil
	}
	for {
		var extra yaml.Node
		err := dec.Decode(&extra)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || len(extra.Content) != 1 || !isNull(extra.Content[0]) {
			p.addAt("spec", extra.Line, "more than one YAML document; a spec is exactly one")
			return nil
		}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || isNull(doc.Content[0]) {
		p.add("spec", "empty; want a YAML or JSON mapping with keys %s", strings.Join(specKeys.all, ", "))
		return nil
	}
	return doc.Content[0]
}

// problem is one thing wrong with a spec.
type problem struct {
	path string
	line int
	msg  string
}

// problems collects every problem of a spec. lines remembers where each path
// was found so that later checks can point at it; bad marks paths already
// reported, so that checks depending on them stay quiet instead of piling on.
type problems struct {
	list  []problem
	lines map[string]int
	bad   map[string]bool
}

func newProblems() *problems {
	return &problems{lines: map[string]int{}, bad: map[string]bool{}}
}

// add reports a problem at path, locating it by the nearest path seen.
func (p *problems) add(path, format string, args ...any) {
	p.addAt(path, p.line(path), format, args...)
}

// addAt reports a problem at path and line (0 when unknown).
func (p *problems) addAt(path string, line int, format string, args ...any) {
	p.bad[path] = true
	p.list = append(p.list, problem{path: path, line: line, msg: fmt.Sprintf(format, args...)})
}

// line returns the line of path or of its nearest ancestor, or 0.
func (p *problems) line(path string) int {
	for path != "" {
		if l, ok := p.lines[path]; ok {
			return l
		}
		path = parent(path)
	}
	return 0
}

// ok reports whether no problem was reported at any of the paths or their
// ancestors, i.e. whether checks that depend on them can run.
func (p *problems) ok(paths ...string) bool {
	for _, path := range paths {
		for ; path != ""; path = parent(path) {
			if p.bad[path] {
				return false
			}
		}
	}
	return true
}

// err returns nil without problems, else the EINVALID error listing them.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	slices.SortStableFunc(p.list, func(a, b problem) int { return a.line - b.line })
	var b strings.Builder
	for i, pr := range p.list {
		if i == maxProblems {
			fmt.Fprintf(&b, "\n... and %d more problems", len(p.list)-maxProblems)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(pr.path)
		if pr.line > 0 {
			fmt.Fprintf(&b, " (line %d)", pr.line)
		}
		b.WriteString(": ")
		b.WriteString(pr.msg)
	}
	return probity.Errorf(probity.EINVALID, "%s", b.String())
}

// join returns the path of key within path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// index returns the path of the i-th element of the list at path.
func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// parent returns the path enclosing path: "events[1].fields" for
// "events[1].fields.amount", "events" for "events[1]", "" for "events".
func parent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}
