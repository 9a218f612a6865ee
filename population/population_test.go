package population_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/identity"
	"github.com/probity-dev/probity/population"
	"github.com/probity-dev/probity/spec"
)

func loadSpec(tb testing.TB, path string) *probity.Spec {
	tb.Helper()
	buf, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := spec.Parse(buf)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestDeterministic checks that the same options give the same events, so
// that a second demo run finds only duplicates.
func TestDeterministic(t *testing.T) {
	s := loadSpec(t, "../examples/domains/city-rent-utilities.yaml")
	opts := population.Options{Subjects: 300, Seed: 3, Now: time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)}
	a, err := population.NewDomain(s, "r", opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := population.NewDomain(s, "r", opts)
	for i := range opts.Subjects {
		if ea, eb := a.SubjectEvents(i), b.SubjectEvents(i); !reflect.DeepEqual(ea, eb) {
			t.Fatalf("subject %d: two generations differ", i)
		}
	}
}

// TestValidSubjects checks that every generated identifier validates and
// that the mix holds every scheme.
func TestValidSubjects(t *testing.T) {
	opts := population.Options{Subjects: 1000, Seed: 1}
	schemes := map[string]int{}
	for i := range opts.Subjects {
		id, kind := opts.Subject(i)
		s, err := identity.Parse(id)
		if err != nil {
			t.Fatalf("subject %d: %v", i, err)
		}
		if s.Kind != kind {
			t.Fatalf("subject %d: kind %s, want %s", i, s.Kind, kind)
		}
		schemes[s.Scheme]++
	}
	for _, scheme := range identity.Schemes {
		if schemes[scheme] == 0 {
			t.Errorf("no %s subjects in %v", scheme, schemes)
		}
	}
}

// TestEventsPassScreen checks that every event the demo generates for every
// example domain names a subject that parses and carries no identifier in
// its key, its cure or its text fields: the demo must ingest cleanly under
// the screen that guards P1.
func TestEventsPassScreen(t *testing.T) {
	paths, err := filepath.Glob("../examples/domains/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no example domains: %v", err)
	}
	opts := population.Options{Subjects: 2000, Seed: 1, Now: time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)}
	events := 0
	for _, path := range paths {
		s := loadSpec(t, path)
		d, err := population.NewDomain(s, strings.ReplaceAll(s.ID, ".", "-"), opts)
		if err != nil {
			t.Fatal(err)
		}
		for i := range opts.Subjects {
			for _, e := range d.SubjectEvents(i) {
				events++
				subject, err := identity.Parse(e.Subject)
				if err != nil {
					t.Fatalf("%s: subject %d: %v", s.ID, i, err)
				}
				check := func(field, text string) {
					if err := identity.ScreenText(field, text, subject); err != nil {
						t.Fatalf("%s: event %s of subject %d: %v", s.ID, e.Key, i, err)
					}
				}
				check("key", e.Key)
				check("cures", e.Cures)
				for name, v := range e.Fields {
					if str, ok := v.(string); ok {
						check("fields."+name, str)
					}
				}
			}
		}
	}
	if events < 10000 {
		t.Fatalf("%d events generated; the test checks too little", events)
	}
}
