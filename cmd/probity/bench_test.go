package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBench(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "bench.json")
		out := mustRun(t, "bench", "--subjects", "50", "--events-per-subject", "3", "--duration", "50ms", "--concurrency", "1", "--json", path)
		for _, want := range []string{"probity bench --subjects 50", "ingest (events/s)", "score over HTTP (queries/s)", "audit verification (leaves/s)"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("--json: %v", err)
		}
	})
	t.Run("ErrSizes", func(t *testing.T) {
		if _, _, err := run(t, nil, "", "bench", "--sizes", "ten"); err == nil || !strings.Contains(err.Error(), "--sizes") {
			t.Fatalf("err=%v, want a --sizes error", err)
		}
	})
}
