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
		for _, want := range []string{"probity bench --subjects 50", "ingest (events/s)", "score over HTTP, 16 clients (queries/s)", "storage per logged read (bytes)", "audit verification (records/s)", "DESIGN.md targets met"} {
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
	t.Run("ErrFlags", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "a-file")
		os.WriteFile(file, nil, 0o600)
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--subjects", "0"}, "--subjects 0: want 1 or more"},
			{[]string{"--events-per-subject", "0"}, "--events-per-subject 0: want 1 or more"},
			{[]string{"--domains", "0"}, "--domains 0: want 1 or more"},
			{[]string{"--concurrency", "0"}, "--concurrency 0: want 1 or more"},
			{[]string{"--duration", "0"}, "--duration 0s: want more than 0"},
			{[]string{"--sizes", "1k,1000"}, "1000 subjects twice"},
			{[]string{"--json", filepath.Join(t.TempDir(), "missing", "x.json")}, "--json: "},
			{[]string{"--data=" + file}, "is a file"}, // one argument: the test harness would give a --data DIR its own database
		} {
			if _, _, err := run(t, nil, "", append([]string{"bench"}, tc.args...)...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("bench %v: err=%v, want %q", tc.args, err, tc.want)
			}
		}
	})
	t.Run("RedactsPassword", func(t *testing.T) {
		if got := benchCommandLine([]string{"--db", "postgres://u:s3cret@h/db", "--db=postgres://u:s3cret@h/db"}); strings.Contains(got, "s3cret") {
			t.Fatalf("command line %q shows the password", got)
		}
	})
}
