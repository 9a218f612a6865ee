package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// configure gives the flags not set on the command line their values from
// the environment (PROBITY_ and the flag's name in capitals, - as _: --seal-every
// is PROBITY_SEAL_EVERY), or else from the configuration file at path, if
// any: a YAML map of flag names to values ($VAR and ${VAR} expanded from
// the environment; a list for a repeatable flag). The command line wins,
// then the environment, then the file, then the default. Every error names
// the file's line or the variable, and what is allowed.
func (m *Main) configure(fs *flag.FlagSet, path string) error {
	onLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onLine[f.Name] = true })
	fromEnv := map[string]bool{}
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	for _, name := range names {
		if onLine[name] || name == "config" {
			continue
		}
		env := envName(name)
		if v := m.Getenv(env); v != "" {
			if err := fs.Set(name, v); err != nil {
				return fmt.Errorf("%s=%q: %v", env, v, err)
			}
			fromEnv[name] = true
		}
	}
	if path == "" {
		return nil
	}
	buf, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--config: %v", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(buf, &doc); err != nil {
		return fmt.Errorf("--config %s: %v", path, err)
	}
	if len(doc.Content) == 0 {
		return nil // an empty file
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: want a map of flag names to values, e.g. addr: 127.0.0.1:8080", path, root.Line)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		if fs.Lookup(key.Value) == nil || key.Value == "config" {
			sort.Strings(names)
			return fmt.Errorf("%s:%d: %q is not a flag of probity %s; allowed: %s", path, key.Line, key.Value, fs.Name(), strings.Join(names, ", "))
		}
		if onLine[key.Value] || fromEnv[key.Value] {
			continue
		}
		var values []*yaml.Node
		switch val.Kind {
		case yaml.ScalarNode:
			values = []*yaml.Node{val}
		case yaml.SequenceNode:
			values = val.Content
		default:
			return fmt.Errorf("%s:%d: %s: want a value, or a list for a repeatable flag", path, val.Line, key.Value)
		}
		for _, v := range values {
			if v.Kind != yaml.ScalarNode {
				return fmt.Errorf("%s:%d: %s: want a value, not a map", path, v.Line, key.Value)
			}
			value := os.Expand(v.Value, m.Getenv)
			if err := fs.Set(key.Value, value); err != nil {
				return fmt.Errorf("%s:%d: %s: %q: %v", path, v.Line, key.Value, value, err)
			}
		}
	}
	return nil
}

// envName is the environment variable of a flag: PROBITY_SEAL_EVERY for
// --seal-every.
func envName(flagName string) string {
	return "PROBITY_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}
