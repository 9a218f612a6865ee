package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// VersionCommand prints what was built: the module's version, the commit
// and whether the tree was modified, the Go toolchain.
type VersionCommand struct{ m *Main }

const versionUsage = `Usage: probity version [--json]

Print Probity's version: the module version (or "devel"), the commit it was
built from, and the Go toolchain. GET /healthz answers the same version.
`

// Run prints the version.
func (c *VersionCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("version", versionUsage, c.m.Stdout)
	jsonOut := fs.Bool("json", false, "print JSON")
	if rest, err := parseArgs(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return fmt.Errorf("version: unexpected argument %q", rest[0])
	}
	v := buildVersion()
	if *jsonOut {
		return printJSON(c.m.Stdout, v)
	}
	fmt.Fprintf(c.m.Stdout, "probity %s\n", v)
	return nil
}

// Version is what a binary says it is.
type Version struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
}

// String writes the version on one line.
func (v Version) String() string {
	s := v.Version
	if v.Commit != "" {
		c := v.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		s += " (commit " + c
		if v.Modified {
			s += ", modified"
		}
		s += ")"
	}
	return s + ", " + v.Go
}

// buildVersion reads the version from the binary's build information.
func buildVersion() Version {
	v := Version{Version: "devel", Go: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if mv := info.Main.Version; mv != "" && mv != "(devel)" {
		v.Version = mv
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}
