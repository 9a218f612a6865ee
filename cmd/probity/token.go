package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/bureau"
)

// TokenCommand manages principals and their tokens.
type TokenCommand struct{ m *Main }

const tokenUsage = `Usage: probity token <command> [arguments]

	create [--data DIR] --name NAME [--grant ROLE[:DOMAIN]]... [--government] [--expires 90d|DATE]
	       [--issuer URL --external-subject SUB]
	list [--data DIR] [--json]
	revoke [--data DIR] ID
	subject [--data DIR] [--expires 90d|DATE] SUBJECT

Roles: admin, reporter, reader, reviewer (per domain, ROLE:DOMAIN); operator and
auditor (installation-wide). A government principal can only hold roles in tax or
judicial domains. A token is printed once and stored only as a hash.

With --issuer and --external-subject the principal gets no token of Probity's
own: an access token from that identity provider (probity serve --oidc-issuer)
whose subject (sub) is --external-subject, usually the institution's OAuth
client id, authenticates as the principal, with exactly its roles.
`

// Run dispatches a subcommand.
func (c *TokenCommand) Run(ctx context.Context, args []string) error {
	return c.m.subcommands(ctx, "token", tokenUsage, args, map[string]func(context.Context, []string) error{
		"create":  c.create,
		"list":    c.list,
		"revoke":  c.revoke,
		"subject": c.subject,
	})
}

// grantsFlag collects --grant ROLE[:DOMAIN].
type grantsFlag []probity.Grant

func (g *grantsFlag) String() string { return fmt.Sprint(*g) }
func (g *grantsFlag) Set(v string) error {
	role, domain, _ := strings.Cut(v, ":")
	*g = append(*g, probity.Grant{Role: role, Domain: domain})
	return nil
}

// parseExpiry reads an expiry as a duration from now (30d, 1y) or a time.
func parseExpiry(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := probity.ParseDuration(v); err == nil {
		return time.Now().Add(d.Std()), nil
	}
	t, err := bureau.ParseTime(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("--expires %q: give a duration (90d, 1y) or a date (YYYY-MM-DD)", v)
	}
	return t, nil
}

func (c *TokenCommand) create(ctx context.Context, args []string) error {
	fs := newFlagSet("token create", tokenUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	var req probity.PrincipalRequest
	var grants grantsFlag
	fs.StringVar(&req.Name, "name", "", "who holds the token (required)")
	fs.Var(&grants, "grant", "a role, ROLE:DOMAIN or operator/auditor (repeatable)")
	fs.BoolVar(&req.Government, "government", false, "the principal is a government body (tax and judicial domains only)")
	expires := fs.String("expires", "", "expiry: a duration (90d, 1y) or a date")
	fs.StringVar(&req.Issuer, "issuer", "", "bind to this identity provider's issuer URL instead of issuing a token")
	fs.StringVar(&req.ExternalSubject, "external-subject", "", "with --issuer: the subject (sub) of its tokens, usually the client id")
	if args, err := parseArgs(fs, args); err != nil {
		return err
	} else if len(args) > 0 {
		return fmt.Errorf("token create: unexpected argument %q", args[0])
	}
	var err error
	if req.ExpiresAt, err = parseExpiry(*expires); err != nil {
		return err
	}
	req.Grants = grants
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	t, err := in.bureau.CreatePrincipal(cliContext(ctx), req)
	if err != nil {
		return err
	}
	if t.Principal.Issuer != "" {
		fmt.Fprintf(c.m.Stdout, "principal %s (%s) with %s, bound to subject %s of issuer %s: that provider's access tokens for it authenticate as this principal\n",
			t.Principal.ID, t.Principal.Name, t.Principal.GrantList(), probity.Quote(t.Principal.ExternalSubject), t.Principal.Issuer)
		return nil
	}
	fmt.Fprintf(c.m.Stdout, "principal %s (%s) with %s; its token, shown once:\n%s\n", t.Principal.ID, t.Principal.Name, t.Principal.GrantList(), t.Token)
	return nil
}

func (c *TokenCommand) list(ctx context.Context, args []string) error {
	fs := newFlagSet("token list", tokenUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	jsonOut := fs.Bool("json", false, "print JSON")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	in, err := openStore(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	ps, err := in.bureau.Principals(cliContext(ctx))
	if err != nil {
		return err
	}
	if *jsonOut {
		return printJSON(c.m.Stdout, ps)
	}
	tw := tabwriter.NewWriter(c.m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tGOVERNMENT\tGRANTS\tCREATED\tEXPIRES\tSTATE\tTOKENS")
	now := time.Now()
	for _, p := range ps {
		state, expires := "active", "-"
		if !p.ExpiresAt.IsZero() {
			expires = p.ExpiresAt.Format(time.DateOnly)
		}
		if !p.RevokedAt.IsZero() {
			state = "revoked " + p.RevokedAt.Format(time.DateOnly)
		} else if !p.Active(now) {
			state = "expired"
		}
		grants := p.GrantList()
		if p.SubjectToken {
			grants = "(subject token)"
		}
		tokens := "probity"
		if p.Issuer != "" {
			tokens = p.ExternalSubject + " at " + p.Issuer
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Name, p.Government, grants, p.CreatedAt.Format(time.DateOnly), expires, state, tokens)
	}
	return tw.Flush()
}

func (c *TokenCommand) revoke(ctx context.Context, args []string) error {
	fs := newFlagSet("token revoke", tokenUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	} else if len(args) != 1 {
		return fmt.Errorf("token revoke: want one principal id (see probity token list)")
	}
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	p, err := in.bureau.RevokePrincipal(cliContext(ctx), args[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(c.m.Stdout, "revoked %s (%s) at %s\n", p.ID, p.Name, p.RevokedAt.Format(time.RFC3339))
	return nil
}

func (c *TokenCommand) subject(ctx context.Context, args []string) error {
	fs := newFlagSet("token subject", tokenUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	expires := fs.String("expires", "", "expiry: a duration (90d, 1y) or a date")
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	} else if len(args) != 1 {
		return fmt.Errorf("token subject: want one subject identifier, scheme:value")
	}
	req := probity.SubjectTokenRequest{Subject: args[0]}
	if req.ExpiresAt, err = parseExpiry(*expires); err != nil {
		return err
	}
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	t, err := in.bureau.IssueSubjectToken(cliContext(ctx), req)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.m.Stdout, "subject token %s, shown once:\n%s\n", t.Principal.ID, t.Token)
	return nil
}
