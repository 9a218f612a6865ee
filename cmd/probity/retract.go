package main

import (
	"context"
	"fmt"
)

// RetractCommand withdraws an entry reported in error.
type RetractCommand struct{ m *Main }

const retractUsage = `Usage: probity retract [--data DIR] --domain ID --key KEY --reason TEXT

Withdraw an entry a domain reported in error: it stops counting, stays for the
record, and the retraction is logged. Reporters do the same through
POST /v1/domains/{id}/retractions {"key","reason"}.
`

// Run retracts one entry.
func (c *RetractCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("retract", retractUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	domain := fs.String("domain", "", "domain id (required)")
	key := fs.String("key", "", "the entry's key (required)")
	reason := fs.String("reason", "", "why it is withdrawn (required)")
	jsonOut := fs.Bool("json", false, "print JSON")
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *domain == "" || *key == "" || len(args) > 0 {
		return fmt.Errorf("retract: want --domain, --key and --reason (see probity retract -h)")
	}
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := in.bureau.Retract(cliContext(ctx), *domain, *key, *reason); err != nil {
		return err
	}
	if *jsonOut {
		return printJSON(c.m.Stdout, map[string]any{"domain": *domain, "key": *key, "retracted": true})
	}
	fmt.Fprintf(c.m.Stdout, "retracted %s in %s: it no longer counts\n", *key, *domain)
	return nil
}
