package main

import (
	"context"
	"fmt"
	"time"

	"github.com/probity-dev/probity"
)

// ConsentCommand grants and revokes a subject's consents.
type ConsentCommand struct{ m *Main }

const consentUsage = `Usage: probity consent <command> [arguments]

	grant [--data DIR] --subject SUBJECT --domain ID --grantee ID --purpose P --until DATE [--json]
	revoke [--data DIR] --subject SUBJECT --domain ID CONSENT
	read [--data DIR] --subject SUBJECT --domain ID --purpose P [--json]

A grant lets the grantee domain's readers see the subject's status, score and
grade in the domain (never the entries), for the purpose, until the date:
POST /v1/domains/{domain}/consented-scores {"subject","purpose"}. Subjects do
the same with their own token: POST /v1/me/consents, DELETE /v1/me/consents/{domain}/{id}.
`

// Run dispatches a consent subcommand.
func (c *ConsentCommand) Run(ctx context.Context, args []string) error {
	return c.m.subcommands(ctx, "consent", consentUsage, args, map[string]func(context.Context, []string) error{
		"grant":  c.grant,
		"revoke": c.revoke,
		"read":   c.read,
	})
}

func (c *ConsentCommand) grant(ctx context.Context, args []string) error {
	fs := newFlagSet("consent grant", consentUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	var req probity.ConsentRequest
	fs.StringVar(&req.Subject, "subject", "", "subject identifier (required)")
	fs.StringVar(&req.Domain, "domain", "", "the domain whose score is opened (required)")
	fs.StringVar(&req.Grantee, "grantee", "", "the domain whose readers may see it (required)")
	fs.StringVar(&req.Purpose, "purpose", "", "one of the grantee domain's purposes (required)")
	fs.StringVar(&req.Until, "until", "", "end of the grant, YYYY-MM-DD or RFC 3339 (required)")
	jsonOut := fs.Bool("json", false, "print JSON")
	if args, err := parseArgs(fs, args); err != nil {
		return err
	} else if len(args) > 0 || req.Subject == "" || req.Domain == "" {
		return fmt.Errorf("consent grant: want --subject, --domain, --grantee, --purpose and --until (see probity consent -h)")
	}
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	g, err := in.bureau.GrantConsent(cliContext(ctx), req)
	if err != nil {
		return err
	}
	if *jsonOut {
		return printJSON(c.m.Stdout, g)
	}
	fmt.Fprintf(c.m.Stdout, "consent %s: readers of %s may see the score in %s for %s until %s\n", g.ID, g.Grantee, g.Domain, g.Purpose, g.Until.Format(time.DateOnly))
	return nil
}

func (c *ConsentCommand) revoke(ctx context.Context, args []string) error {
	fs := newFlagSet("consent revoke", consentUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	subject := fs.String("subject", "", "subject identifier (required)")
	domain := fs.String("domain", "", "domain id (required)")
	jsonOut := fs.Bool("json", false, "print JSON")
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	} else if len(args) != 1 || *subject == "" || *domain == "" {
		return fmt.Errorf("consent revoke: want --subject, --domain and one consent id (see probity consent -h)")
	}
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	g, err := in.bureau.RevokeConsent(cliContext(ctx), *domain, args[0], *subject)
	if err != nil {
		return err
	}
	if *jsonOut {
		return printJSON(c.m.Stdout, g)
	}
	fmt.Fprintf(c.m.Stdout, "consent %s revoked at %s\n", g.ID, g.RevokedAt.Format(time.RFC3339))
	return nil
}

func (c *ConsentCommand) read(ctx context.Context, args []string) error {
	fs := newFlagSet("consent read", consentUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	subject := fs.String("subject", "", "subject identifier (required)")
	domain := fs.String("domain", "", "the domain whose score the grant opens (required)")
	purpose := fs.String("purpose", "", "the grant's purpose (required)")
	jsonOut := fs.Bool("json", false, "print JSON")
	if args, err := parseArgs(fs, args); err != nil {
		return err
	} else if len(args) > 0 || *subject == "" || *domain == "" || *purpose == "" {
		return fmt.Errorf("consent read: want --subject, --domain and --purpose (see probity consent -h)")
	}
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	cs, err := in.bureau.ConsentedScore(cliContext(ctx), *domain, *subject, *purpose)
	if err != nil {
		return err
	}
	if *jsonOut {
		return printJSON(c.m.Stdout, cs)
	}
	score := "none"
	if cs.Score != nil {
		score = fmt.Sprintf("%d %s", *cs.Score, deref(cs.Grade))
	}
	fmt.Fprintf(c.m.Stdout, "%s under consent %s: %s, %s\n", cs.Domain, cs.Consent, cs.Status, score)
	return nil
}
