package main

import (
	"context"
	"fmt"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/eventfile"
)

// OrderCommand issues and lifts court orders, and checks restrictions.
type OrderCommand struct{ m *Main }

const orderUsage = `Usage: probity order <command> [arguments]

	issue [--data DIR] --domain ID --subject SUBJECT --citation TEXT --restriction NAME... --ends DATE [--notice 10d]
	fulfilled [--data DIR] --domain ID ORDER
	check [--data DIR] --subject SUBJECT --restriction NAME [--purpose P]

Court orders come from judicial domains only: a legal citation, named
restrictions, a notice before they take effect (10 days by default) and an end
at most two years later; they lift when the obligation is reported fulfilled.
A check answers only yes or no and the order's id, and is an inquiry the
subject sees. API: POST /v1/domains/{id}/orders, .../orders/{order}/fulfilled,
POST /v1/restrictions/check.
`

// Run dispatches an order subcommand.
func (c *OrderCommand) Run(ctx context.Context, args []string) error {
	return c.m.subcommands(ctx, "order", orderUsage, args, map[string]func(context.Context, []string) error{
		"issue":     c.issue,
		"fulfilled": c.fulfilled,
		"check":     c.check,
	})
}

// listFlag collects a repeated string flag.
type listFlag []string

func (l *listFlag) String() string     { return fmt.Sprint(*l) }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func (c *OrderCommand) issue(ctx context.Context, args []string) error {
	fs := newFlagSet("order issue", orderUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	var req probity.OrderRequest
	var restrictions listFlag
	fs.StringVar(&req.Domain, "domain", "", "the judicial domain (required)")
	fs.StringVar(&req.Subject, "subject", "", "subject identifier (required)")
	fs.StringVar(&req.Citation, "citation", "", "the legal citation (required)")
	fs.Var(&restrictions, "restriction", "a restriction the order imposes (repeatable)")
	fs.StringVar(&req.EndsAt, "ends", "", "end of the order, YYYY-MM-DD or RFC 3339 (required)")
	fs.StringVar(&req.Notice, "notice", "", "notice before it takes effect (default 10d)")
	jsonOut := fs.Bool("json", false, "print JSON")
	if args, err := parseArgs(fs, args); err != nil {
		return err
	} else if len(args) > 0 || req.Domain == "" || req.Subject == "" {
		return fmt.Errorf("order issue: want --domain, --subject, --citation, --restriction and --ends (see probity order -h)")
	}
	req.Restrictions = restrictions
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	o, err := in.bureau.IssueOrder(cliContext(ctx), req)
	if err != nil {
		return err
	}
	if *jsonOut {
		return printJSON(c.m.Stdout, o)
	}
	fmt.Fprintf(c.m.Stdout, "order %s: %v from %s until %s\n", o.ID, o.Restrictions, o.EffectiveAt.Format(time.RFC3339), o.EndsAt.Format(time.DateOnly))
	return nil
}

func (c *OrderCommand) fulfilled(ctx context.Context, args []string) error {
	fs := newFlagSet("order fulfilled", orderUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	domain := fs.String("domain", "", "the judicial domain (required)")
	jsonOut := fs.Bool("json", false, "print JSON")
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	} else if len(args) != 1 || *domain == "" {
		return fmt.Errorf("order fulfilled: want --domain and one order id")
	}
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	o, err := in.bureau.FulfillOrder(cliContext(ctx), *domain, args[0])
	if err != nil {
		return err
	}
	if *jsonOut {
		return printJSON(c.m.Stdout, o)
	}
	fmt.Fprintf(c.m.Stdout, "order %s lifted at %s\n", o.ID, o.FulfilledAt.Format(time.RFC3339))
	return nil
}

func (c *OrderCommand) check(ctx context.Context, args []string) error {
	fs := newFlagSet("order check", orderUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	var req probity.RestrictionCheck
	fs.StringVar(&req.Subject, "subject", "", "subject identifier (required)")
	fs.StringVar(&req.Restriction, "restriction", "", "the restriction to check (required)")
	fs.StringVar(&req.Purpose, "purpose", "", "why you check")
	jsonOut := fs.Bool("json", false, "print JSON")
	if args, err := parseArgs(fs, args); err != nil {
		return err
	} else if len(args) > 0 || req.Subject == "" || req.Restriction == "" {
		return fmt.Errorf("order check: want --subject and --restriction")
	}
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	a, err := in.bureau.CheckRestriction(cliContext(ctx), req)
	if err != nil {
		return err
	}
	if *jsonOut {
		return printJSON(c.m.Stdout, a)
	}
	if a.Restricted {
		fmt.Fprintf(c.m.Stdout, "restricted by order %s\n", a.Order)
	} else {
		fmt.Fprintln(c.m.Stdout, "not restricted")
	}
	return nil
}

// CorrectCommand rectifies an entry with a correcting one.
type CorrectCommand struct{ m *Main }

const correctUsage = `Usage: probity correct [--data DIR] --domain ID --key OLD --reason TEXT FILE|-

Rectify an entry: FILE holds the correcting entry (one NDJSON line, with a new
key, about the same subject); it supersedes the old entry, which is retracted
in the same transaction. API: POST /v1/domains/{id}/corrections.
`

// Run corrects one entry.
func (c *CorrectCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("correct", correctUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	domain := fs.String("domain", "", "domain id (required)")
	key := fs.String("key", "", "the entry corrected (required)")
	reason := fs.String("reason", "", "what the correction corrects (required)")
	jsonOut := fs.Bool("json", false, "print JSON")
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	} else if len(args) != 1 || *domain == "" || *key == "" {
		return fmt.Errorf("correct: want --domain, --key, --reason and the correcting entry's file (see probity correct -h)")
	}
	buf, err := readInput(c.m, args[0])
	if err != nil {
		return err
	}
	r, err := eventfile.NewReader(bytesReader(buf))
	if err != nil {
		return err
	}
	input, err := r.Next()
	if err != nil || input.Err != nil {
		return fmt.Errorf("correct: %s holds no event line: %v %v", args[0], err, input.Err)
	}
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	e, err := in.bureau.Correct(cliContext(ctx), *domain, *key, input, *reason)
	if err != nil {
		return err
	}
	if *jsonOut {
		return printJSON(c.m.Stdout, map[string]any{"corrected": *key, "correction": e})
	}
	fmt.Fprintf(c.m.Stdout, "%s corrected by %s\n", *key, e.Key)
	return nil
}
