package spec

import (
	"os"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
	"go.yaml.in/yaml/v3"
)

// readFile returns a file under testdata.
func readFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// example returns the DESIGN.md example spec as a generic tree to edit.
func example(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := yaml.Unmarshal(readFile(tb, "design_example.yaml"), &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

// exampleWith returns the example spec as YAML after edit changed it.
func exampleWith(tb testing.TB, edit func(s map[string]any)) []byte {
	tb.Helper()
	s := example(tb)
	edit(s)
	b, err := yaml.Marshal(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// event returns the i-th event rule of a generic spec tree.
func event(s map[string]any, i int) map[string]any {
	return s["events"].([]any)[i].(map[string]any)
}

// mustParse parses source, failing the test on any error.
func mustParse(tb testing.TB, source []byte) *probity.Spec {
	tb.Helper()
	s, err := Parse(source)
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	return s
}

// mustCompile parses and compiles source.
func mustCompile(tb testing.TB, source []byte) *Compiled {
	tb.Helper()
	c, err := Compile(mustParse(tb, source))
	if err != nil {
		tb.Fatalf("Compile: %v", err)
	}
	return c
}

// wantInvalid checks that err is EINVALID and returns its message.
func wantInvalid(tb testing.TB, err error) string {
	tb.Helper()
	if err == nil {
		tb.Fatal("err=nil, want an EINVALID error")
	}
	if got, want := probity.ErrorCode(err), probity.EINVALID; got != want {
		tb.Fatalf("ErrorCode=%q, want %q (err: %v)", got, want, err)
	}
	return probity.ErrorMessage(err)
}

// wantProblem checks that the message has a line about exactly path
// ("path: ..." or "path (line N): ...") containing every word.
func wantProblem(tb testing.TB, msg, path string, words ...string) {
	tb.Helper()
	for _, line := range strings.Split(msg, "\n") {
		if !strings.HasPrefix(line, path+": ") && !strings.HasPrefix(line, path+" (line ") {
			continue
		}
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(line, w)
		}
		if ok {
			return
		}
	}
	tb.Fatalf("no problem at %s mentioning %q in:\n%s", path, words, msg)
}

// minimal returns a valid spec whose events are the given YAML list items
// (indented by two spaces) and whose benefits the given mapping entries.
func minimal(events, benefits string) []byte {
	src := `id: test.domain
name: Test
owner: Test owner
category: finance
legal_basis: Test contracts
lawful_basis: contract
subjects: [person]
opt_out: allowed
notice: 0d
dispute_sla: 30d
purposes: [review]
score: {base: 600, min: 300, max: 900}
grades: [{grade: A, min: 300}]
events:
` + events
	if benefits != "" {
		src += "benefits:\n" + benefits
	}
	return []byte(src)
}
