package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/bureau"
)

// ScoreCommand prints a subject's score and its explanation.
type ScoreCommand struct{ m *Main }

const scoreUsage = `Usage: probity score [--data DIR] --domain ID --subject SUBJECT [--as-of TIME] [--json]

Show a subject's score in a domain with every contributing entry, pending and
suspended entries, adverse reasons and the projection. SUBJECT is scheme:value
(cn-rid, person, uscc, org, gov). TIME is YYYY-MM-DD or RFC 3339 (default now).
`

// Run prints one score.
func (c *ScoreCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("score", scoreUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	domain := fs.String("domain", "", "domain id (required)")
	subject := fs.String("subject", "", "subject identifier, scheme:value (required)")
	asOf := fs.String("as-of", "", "evaluation time, YYYY-MM-DD or RFC 3339 (default now)")
	purpose := fs.String("purpose", "", "purpose of the read, one of the domain's purposes (default: logged as local_inspection)")
	jsonOut := fs.Bool("json", false, "print the score as one JSON object")
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *domain == "" || *subject == "" {
		return fmt.Errorf("score: --domain and --subject are required (see probity score -h)")
	}
	if len(args) > 0 {
		return fmt.Errorf("score: unexpected argument %q (see probity score -h)", args[0])
	}
	req := probity.ScoreRequest{Domain: *domain, Subject: *subject, Purpose: *purpose}
	if *asOf != "" {
		if req.AsOf, err = bureau.ParseTime(*asOf); err != nil {
			return fmt.Errorf("--as-of: %s", probity.ErrorMessage(err))
		}
	}
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	score, err := in.bureau.Score(cliContext(ctx), req)
	if err != nil {
		return err
	}
	if *jsonOut {
		return printJSON(c.m.Stdout, score)
	}
	printScore(c.m.Stdout, score)
	return nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printScore(w io.Writer, s *probity.Score) {
	fmt.Fprintf(w, "%s (spec version %d) as of %s\n", s.Domain, s.SpecVersion, s.AsOf.Format(time.RFC3339))
	fmt.Fprintf(w, "status: %s (%d events counted; %d needed to be rated)\n", s.Status, s.EventsCounted, s.MinEvents)
	if s.Score != nil {
		fmt.Fprintf(w, "score:  %d   grade: %s   (base %d)\n", *s.Score, deref(s.Grade), s.Base)
	} else {
		fmt.Fprintf(w, "score:  none (treated as the neutral base %d in every decision)\n", s.Base)
	}
	if len(s.Reasons) > 0 {
		fmt.Fprintln(w, "\nAdverse reasons:")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, r := range s.Reasons {
			fmt.Fprintf(tw, "  %s\t%s\t%.2f\n", r.Code, r.Text, r.Impact)
		}
		tw.Flush()
	}
	printEntries(w, "Counted entries", s.Contributions)
	printEntries(w, "Pending entries (in grace, not yet counted)", s.Pending)
	printEntries(w, "Suspended entries (disputed, not counted)", s.Suspended)
	printEntries(w, "Cured entries (never count)", s.Cured)
	if len(s.Projection) > 0 {
		fmt.Fprintln(w, "\nProjection with no new events:")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, p := range s.Projection {
			score := "-"
			if p.Score != nil {
				score = fmt.Sprintf("%d %s", *p.Score, deref(p.Grade))
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", p.At.Format(time.DateOnly), p.Status, score)
		}
		tw.Flush()
	}
}

func printEntries(w io.Writer, title string, entries []probity.Entry) {
	if len(entries) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s:\n", title)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  OCCURRED\tTYPE\tKEY\tPOINTS\tWEIGHT\tCONTRIBUTION\tUNTIL\tNOTE")
	for _, e := range entries {
		until := "-"
		if e.CountsUntil != nil {
			until = e.CountsUntil.Format(time.DateOnly)
		}
		note := e.Note
		if e.CountsFrom != nil {
			note = "counts from " + e.CountsFrom.Format(time.DateOnly) + join(note)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%.2f\t%.3f\t%.2f\t%s\t%s\n", e.OccurredAt.Format(time.DateOnly), e.Type, e.Key,
			e.Points, e.Weight, e.Contribution, until, note)
	}
	tw.Flush()
}

func join(s string) string {
	if s == "" {
		return ""
	}
	return "; " + s
}

func deref(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}
