package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/probity-dev/probity"
)

// DisputeCommand files, lists and resolves disputes.
type DisputeCommand struct{ m *Main }

const disputeUsage = `Usage: probity dispute <command> [arguments]

	file [--data DIR] --domain ID --subject SUBJECT --key KEY --reason TEXT
	list [--data DIR] --domain ID [--json]
	resolve [--data DIR] --domain ID --outcome upheld|rejected [--reason TEXT] DISPUTE
	figures [--data DIR] --domain ID [--json]

A disputed entry stops counting at once. A reviewer resolves the dispute:
upheld retracts the entry, rejected needs a written reason shown to the
subject. A dispute still open when the domain's dispute_sla runs out is
resolved for the subject. Subjects file with their own token
(POST /v1/me/disputes); reviewers use GET /v1/domains/{id}/disputes and
POST /v1/domains/{id}/disputes/{dispute}/resolve.
`

// Run dispatches a dispute subcommand.
func (c *DisputeCommand) Run(ctx context.Context, args []string) error {
	return c.m.subcommands(ctx, "dispute", disputeUsage, args, map[string]func(context.Context, []string) error{
		"file":    c.file,
		"list":    c.list,
		"resolve": c.resolve,
		"figures": c.figures,
	})
}

func (c *DisputeCommand) file(ctx context.Context, args []string) error {
	fs := newFlagSet("dispute file", disputeUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	var req probity.DisputeRequest
	fs.StringVar(&req.Domain, "domain", "", "domain id (required)")
	fs.StringVar(&req.Subject, "subject", "", "subject identifier (required)")
	fs.StringVar(&req.EventKey, "key", "", "the disputed entry's key (required)")
	fs.StringVar(&req.Reason, "reason", "", "what is wrong with the entry (required)")
	jsonOut := fs.Bool("json", false, "print JSON")
	if args, err := parseArgs(fs, args); err != nil {
		return err
	} else if len(args) > 0 || req.Domain == "" || req.Subject == "" || req.EventKey == "" {
		return fmt.Errorf("dispute file: want --domain, --subject, --key and --reason (see probity dispute -h)")
	}
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	d, err := in.bureau.FileDispute(cliContext(ctx), req)
	if err != nil {
		return err
	}
	if *jsonOut {
		return printJSON(c.m.Stdout, d)
	}
	fmt.Fprintf(c.m.Stdout, "dispute %s filed: entry %s no longer counts until a reviewer resolves it, or by %s it is resolved for the subject\n",
		d.ID, d.EventKey, d.DueAt.Format(time.RFC3339))
	return nil
}

func (c *DisputeCommand) list(ctx context.Context, args []string) error {
	fs := newFlagSet("dispute list", disputeUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	domain := fs.String("domain", "", "domain id (required)")
	jsonOut := fs.Bool("json", false, "print JSON")
	if args, err := parseArgs(fs, args); err != nil {
		return err
	} else if len(args) > 0 || *domain == "" {
		return fmt.Errorf("dispute list: want --domain (see probity dispute -h)")
	}
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	ds, err := in.bureau.Disputes(cliContext(ctx), *domain)
	if err != nil {
		return err
	}
	if *jsonOut {
		return printJSON(c.m.Stdout, ds)
	}
	tw := tabwriter.NewWriter(c.m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DISPUTE\tENTRY\tFILED\tDUE\tREASON")
	for _, d := range ds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.ID, d.EventKey, d.FiledAt.Format(time.DateOnly), d.DueAt.Format(time.DateOnly), d.Reason)
	}
	return tw.Flush()
}

func (c *DisputeCommand) resolve(ctx context.Context, args []string) error {
	fs := newFlagSet("dispute resolve", disputeUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	domain := fs.String("domain", "", "domain id (required)")
	var res probity.Resolution
	fs.StringVar(&res.Outcome, "outcome", "", "upheld (retract the entry) or rejected (required)")
	fs.StringVar(&res.Reason, "reason", "", "the written reason (required to reject)")
	jsonOut := fs.Bool("json", false, "print JSON")
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	} else if len(args) != 1 || *domain == "" {
		return fmt.Errorf("dispute resolve: want --domain, --outcome and one dispute id (see probity dispute -h)")
	}
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	d, err := in.bureau.ResolveDispute(cliContext(ctx), *domain, args[0], res)
	if err != nil {
		return err
	}
	if *jsonOut {
		return printJSON(c.m.Stdout, d)
	}
	fmt.Fprintf(c.m.Stdout, "dispute %s %s\n", d.ID, d.Status)
	return nil
}

func (c *DisputeCommand) figures(ctx context.Context, args []string) error {
	fs := newFlagSet("dispute figures", disputeUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	domain := fs.String("domain", "", "domain id (required)")
	jsonOut := fs.Bool("json", false, "print JSON")
	if args, err := parseArgs(fs, args); err != nil {
		return err
	} else if len(args) > 0 || *domain == "" {
		return fmt.Errorf("dispute figures: want --domain (see probity dispute -h)")
	}
	in, err := openStore(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := in.bureau.DisputeFigures(cliContext(ctx), *domain)
	if err != nil {
		return err
	}
	if *jsonOut {
		return printJSON(c.m.Stdout, f)
	}
	fmt.Fprintf(c.m.Stdout, "%s: %d filed, %d open, %d upheld, %d rejected, %d expired (resolved for the subject); median time to resolve %s\n",
		f.Domain, f.Filed, f.Open, f.Upheld, f.Rejected, f.Expired, f.MedianResolve.Round(time.Minute))
	return nil
}
