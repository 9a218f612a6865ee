package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"
)

// ReportCommand prints everything the installation holds about a subject.
type ReportCommand struct{ m *Main }

const reportUsage = `Usage: probity report [--data DIR] --subject SUBJECT [--notices] [--json]

Print everything each domain holds about a subject: status, score, grade, every
entry and its contribution, pending and disputed entries, the projection, and
every inquiry into the record (who, why, when). Reading it is logged too.
Subjects read the same with their own token: GET /v1/me/report, the export
GET /v1/me/export, and the notices GET /v1/me/notices.
`

// Run prints one report.
func (c *ReportCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("report", reportUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	subject := fs.String("subject", "", "subject identifier, scheme:value (required)")
	jsonOut := fs.Bool("json", false, "print the report as JSON (the complete machine-readable export)")
	notices := fs.Bool("notices", false, "print only the notices: adverse entries in grace, disputes, spec changes ahead, expiries")
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *subject == "" || len(args) > 0 {
		return fmt.Errorf("report: want --subject SUBJECT and no other argument (see probity report -h)")
	}
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	if *notices {
		ns, err := in.bureau.Notices(cliContext(ctx), *subject)
		if err != nil {
			return err
		}
		if *jsonOut {
			return printJSON(c.m.Stdout, ns)
		}
		for _, n := range ns {
			fmt.Fprintf(c.m.Stdout, "%s  %-13s %s: %s\n", n.At.Format(time.DateOnly), n.Kind, n.Domain, n.Text)
		}
		return nil
	}
	r, err := in.bureau.Report(cliContext(ctx), *subject)
	if err != nil {
		return err
	}
	if *jsonOut {
		return printJSON(c.m.Stdout, r)
	}
	fmt.Fprintf(c.m.Stdout, "Report on a %s subject as of %s: %d domains hold data\n", r.Kind, r.AsOf.Format(time.RFC3339), len(r.Domains))
	for _, d := range r.Domains {
		fmt.Fprintf(c.m.Stdout, "\n== %s (%s), %s\n   legal basis: %s\n", d.Domain, d.Owner, d.Name, d.LegalBasis)
		printScore(c.m.Stdout, d.Score)
		fmt.Fprintf(c.m.Stdout, "\nInquiries into this record (%d):\n", len(d.Inquiries))
		tw := tabwriter.NewWriter(c.m.Stdout, 0, 4, 2, ' ', 0)
		for _, q := range d.Inquiries {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", q.At.Format(time.RFC3339), q.Action, q.Purpose, q.Actor)
		}
		tw.Flush()
	}
	return nil
}
