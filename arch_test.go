package probity_test

import (
	"go/build"
	"strings"
	"testing"
)

// TestRootImports keeps the root package free of drivers and network code:
// domain types and interfaces only, so that every backend and transport
// depends on it and never the reverse.
func TestRootImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	forbidden := []string{"database/sql", "net/http", "net", "modernc.org/", "github.com/jackc/", "zombiezen.com/", "github.com/mattn/", "github.com/probity-dev/probity/"}
	for _, imp := range pkg.Imports {
		for _, f := range forbidden {
			if imp == f || (strings.HasSuffix(f, "/") && strings.HasPrefix(imp, f)) {
				t.Errorf("root package imports %q; it must import no driver, no network package and no other Probity package", imp)
			}
		}
	}
	if len(pkg.Imports) == 0 {
		t.Fatal("no imports found: the test is not looking at the root package")
	}
}

// TestPureImports keeps the scoring model and the spec parser free of I/O.
func TestPureImports(t *testing.T) {
	for _, dir := range []string{"scoring", "spec", "identity"} {
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range pkg.Imports {
			if imp == "database/sql" || strings.HasPrefix(imp, "net") || strings.HasPrefix(imp, "modernc.org/") {
				t.Errorf("%s imports %q; it must stay pure", dir, imp)
			}
		}
	}
}
