package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConfigure: a flag's value comes from the command line, else the
// environment (PROBITY_<FLAG>), else the --config file ($VAR expanded, a
// list for a repeatable flag), else its default; errors name the file's
// line or the variable.
func TestConfigure(t *testing.T) {
	file := filepath.Join(t.TempDir(), "probity.yaml")
	write := func(t *testing.T, text string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"PROBITY_SEAL_EVERY": "9s", "RATE": "0"}
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string { return env[k] }}
	flags := func() (*flag.FlagSet, *string, *float64, *time.Duration, *int, *[]string) {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		addr := fs.String("addr", "127.0.0.1:8080", "")
		rate := fs.Float64("rate", 50, "")
		seal := fs.Duration("seal-every", 5*time.Second, "")
		burst := fs.Int("burst", 100, "")
		var witnesses []string
		fs.Func("witness", "", func(v string) error { witnesses = append(witnesses, v); return nil })
		fs.String("config", "", "")
		return fs, addr, rate, seal, burst, &witnesses
	}

	t.Run("OK", func(t *testing.T) {
		write(t, "addr: 0.0.0.0:443\nrate: $RATE\nseal-every: 30s\nburst: 3\nwitness:\n  - https://w1.example/add-checkpoint=w1+1+AA\n  - https://w2.example/add-checkpoint=w2+2+BB\n")
		fs, addr, rate, seal, burst, witnesses := flags()
		if err := fs.Parse([]string{"--burst", "7"}); err != nil {
			t.Fatal(err)
		}
		if err := m.configure(fs, file); err != nil {
			t.Fatal(err)
		}
		switch {
		case *addr != "0.0.0.0:443":
			t.Errorf("addr = %s; want the file's", *addr)
		case *rate != 0:
			t.Errorf("rate = %v; want 0, the file's $RATE expanded", *rate)
		case *seal != 9*time.Second:
			t.Errorf("seal-every = %s; want the environment's 9s over the file's 30s", *seal)
		case *burst != 7:
			t.Errorf("burst = %d; want the command line's 7 over the file's 3", *burst)
		case len(*witnesses) != 2:
			t.Errorf("witnesses = %v; want the file's list of two", *witnesses)
		}
	})
	for _, tc := range []struct{ name, file, want string }{
		{"ErrUnknownKey", "addr: x\nrat: 5\n", "probity.yaml:2: \"rat\" is not a flag of probity serve; allowed: addr, burst"},
		{"ErrBadValue", "addr: x\nburst: many\n", "probity.yaml:2: burst: \"many\""},
		{"ErrNotAMap", "- addr\n", "probity.yaml:1: want a map"},
		{"ErrNested", "addr:\n  host: x\n", "probity.yaml:2: addr: want a value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			write(t, tc.file)
			fs, _, _, _, _, _ := flags()
			if err := m.configure(fs, file); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("configure = %v; want an error containing %q", err, tc.want)
			}
		})
	}
	t.Run("ErrEnv", func(t *testing.T) {
		env["PROBITY_BURST"] = "lots"
		defer delete(env, "PROBITY_BURST")
		fs, _, _, _, _, _ := flags()
		if err := m.configure(fs, ""); err == nil || !strings.Contains(err.Error(), `PROBITY_BURST="lots"`) {
			t.Fatalf("configure = %v; want an error naming PROBITY_BURST", err)
		}
	})
	t.Run("ServeRefusesABadFile", func(t *testing.T) {
		write(t, "adress: 127.0.0.1:0\n")
		_, _, err := run(t, nil, "", "serve", "--data", t.TempDir(), "--config", file)
		if err == nil || !strings.Contains(err.Error(), `probity.yaml:1: "adress" is not a flag of probity serve`) {
			t.Fatalf("serve --config with a misspelt flag: %v; want the line named", err)
		}
	})
}
