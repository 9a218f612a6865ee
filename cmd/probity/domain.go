package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/probity-dev/probity"
)

// DomainCommand groups the domain subcommands.
type DomainCommand struct{ m *Main }

// Run dispatches `probity domain apply`.
func (c *DomainCommand) Run(ctx context.Context, args []string) error {
	return c.m.subcommands(ctx, "domain", domainUsage, args, map[string]func(context.Context, []string) error{
		"apply": c.apply,
	})
}

const domainUsage = `Usage: probity domain apply [--data DIR] SPEC.yaml

Apply a domain spec (YAML or JSON; - reads standard input). The spec is
validated completely before anything is stored. The first version of a domain
takes effect at once; a later version after the notice period of the version
in effect; applying an unchanged spec again changes nothing.
`

func (c *DomainCommand) apply(ctx context.Context, args []string) error {
	fs := newFlagSet("domain apply", domainUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	jsonOut := fs.Bool("json", false, "print the result as JSON")
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return fmt.Errorf("domain apply: want one spec file, got %d arguments (see probity domain -h)", len(args))
	}
	source, err := readInput(c.m, args[0])
	if err != nil {
		return err
	}
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	res, err := in.bureau.ApplySpec(cliContext(ctx), "", source)
	if err != nil {
		if probity.ErrorCode(err) == probity.EINTERNAL {
			return fmt.Errorf("%s: %w", args[0], err)
		}
		return fmt.Errorf("%s: nothing applied:\n%s", args[0], probity.ErrorMessage(err))
	}
	if *jsonOut {
		return printJSON(c.m.Stdout, res)
	}
	state := "takes effect"
	if !res.EffectiveAt.After(time.Now()) {
		state = "in effect since"
	}
	fmt.Fprintf(c.m.Stdout, "%s version %d %s %s", res.ID, res.Version, state, res.EffectiveAt.Format(time.RFC3339))
	if !res.Changed {
		fmt.Fprint(c.m.Stdout, " (unchanged: nothing applied)")
	} else if res.Rescored > 0 {
		fmt.Fprintf(c.m.Stdout, " (%d stored events scored under it)", res.Rescored)
	}
	fmt.Fprintln(c.m.Stdout)
	return nil
}

// readInput reads a named file, or standard input for "-".
func readInput(m *Main, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(m.Stdin)
	}
	return os.ReadFile(name)
}
