package main

import (
	"context"
	"fmt"
	"time"
)

// OptOutCommand opts a subject out of a domain, or back in.
type OptOutCommand struct{ m *Main }

const optOutUsage = `Usage: probity opt-out [--data DIR] --domain ID --subject SUBJECT [--back-in] [--json]

Opt a subject out of a domain whose spec allows it (opt_out: allowed), or back
in with --back-in. An opted-out subject is unrated, and every decision treats
them exactly like the domain's neutral base. Subjects do the same with their
own token: POST /v1/me/opt-outs {"domain"} and DELETE /v1/me/opt-outs/{domain}.
`

// Run applies one opt-out or opt-in.
func (c *OptOutCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("opt-out", optOutUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	domain := fs.String("domain", "", "domain id (required)")
	subject := fs.String("subject", "", "subject identifier, scheme:value (required)")
	backIn := fs.Bool("back-in", false, "opt back in")
	jsonOut := fs.Bool("json", false, "print the result as JSON")
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *domain == "" || *subject == "" || len(args) > 0 {
		return fmt.Errorf("opt-out: want --domain ID --subject SUBJECT (see probity opt-out -h)")
	}
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	state, err := in.bureau.SetOptOut(cliContext(ctx), *domain, *subject, !*backIn)
	if err != nil {
		return err
	}
	if *jsonOut {
		return printJSON(c.m.Stdout, state)
	}
	if state.OptedOut {
		fmt.Fprintf(c.m.Stdout, "opted out of %s since %s: unrated, treated as the neutral base in every decision\n", state.Domain, state.Since.Format(time.RFC3339))
	} else {
		fmt.Fprintf(c.m.Stdout, "back in %s\n", state.Domain)
	}
	return nil
}

// EraseCommand erases a subject's record in a consent-based domain.
type EraseCommand struct{ m *Main }

const eraseUsage = `Usage: probity erase [--data DIR] --domain ID --subject SUBJECT

Delete everything a domain whose lawful basis is consent holds about a
subject: entries, disputes, consents, opt-out, official terms. The audit log
keeps only digests and still verifies. Subjects do the same with their own
token: DELETE /v1/me/records/{domain}.
`

// Run erases one subject's record in one domain.
func (c *EraseCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("erase", eraseUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	domain := fs.String("domain", "", "domain id (required)")
	subject := fs.String("subject", "", "subject identifier (required)")
	jsonOut := fs.Bool("json", false, "print JSON")
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *domain == "" || *subject == "" || len(args) > 0 {
		return fmt.Errorf("erase: want --domain and --subject (see probity erase -h)")
	}
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	n, err := in.bureau.Erase(cliContext(ctx), *domain, *subject)
	if err != nil {
		return err
	}
	if *jsonOut {
		return printJSON(c.m.Stdout, map[string]any{"domain": *domain, "erased_entries": n})
	}
	fmt.Fprintf(c.m.Stdout, "erased %d entries and everything else %s held about the subject\n", n, *domain)
	return nil
}
