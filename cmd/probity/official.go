package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/probity-dev/probity"
)

// OfficialCommand keeps a domain's roster of officials.
type OfficialCommand struct{ m *Main }

const officialUsage = `Usage: probity official <command> [arguments]

	add [--data DIR] --domain ID --subject SUBJECT --office OFFICE --from DATE [--to DATE]
	list [--data DIR] --domain ID [--json]

An official's adverse entries that occur in office count with the spec's
officials.penalty_factor (P7). Admins do the same through
POST /v1/domains/{id}/officials {"subject","office","from","to"} and GET.
`

// Run dispatches an official subcommand.
func (c *OfficialCommand) Run(ctx context.Context, args []string) error {
	return c.m.subcommands(ctx, "official", officialUsage, args, map[string]func(context.Context, []string) error{
		"add":  c.add,
		"list": c.list,
	})
}

func (c *OfficialCommand) add(ctx context.Context, args []string) error {
	fs := newFlagSet("official add", officialUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	var req probity.TermRequest
	fs.StringVar(&req.Domain, "domain", "", "domain id (required)")
	fs.StringVar(&req.Subject, "subject", "", "the official, scheme:value (required)")
	fs.StringVar(&req.Office, "office", "", "the office held (required)")
	fs.StringVar(&req.From, "from", "", "start of the term, YYYY-MM-DD or RFC 3339 (required)")
	fs.StringVar(&req.To, "to", "", "end of the term (default: ongoing)")
	jsonOut := fs.Bool("json", false, "print JSON")
	if args, err := parseArgs(fs, args); err != nil {
		return err
	} else if len(args) > 0 || req.Domain == "" || req.Subject == "" {
		return fmt.Errorf("official add: want --domain, --subject, --office and --from (see probity official -h)")
	}
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	t, err := in.bureau.RecordTerm(cliContext(ctx), req)
	if err != nil {
		return err
	}
	if *jsonOut {
		return printJSON(c.m.Stdout, t)
	}
	fmt.Fprintf(c.m.Stdout, "term %s recorded: %s from %s\n", t.ID, t.Office, t.From.Format(time.DateOnly))
	return nil
}

func (c *OfficialCommand) list(ctx context.Context, args []string) error {
	fs := newFlagSet("official list", officialUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	domain := fs.String("domain", "", "domain id (required)")
	jsonOut := fs.Bool("json", false, "print JSON")
	if args, err := parseArgs(fs, args); err != nil {
		return err
	} else if len(args) > 0 || *domain == "" {
		return fmt.Errorf("official list: want --domain (see probity official -h)")
	}
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	ts, err := in.bureau.Terms(cliContext(ctx), *domain)
	if err != nil {
		return err
	}
	if *jsonOut {
		return printJSON(c.m.Stdout, ts)
	}
	tw := tabwriter.NewWriter(c.m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TERM\tOFFICE\tFROM\tTO")
	for _, t := range ts {
		to := "ongoing"
		if !t.To.IsZero() {
			to = t.To.Format(time.DateOnly)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.ID, t.Office, t.From.Format(time.DateOnly), to)
	}
	return tw.Flush()
}
