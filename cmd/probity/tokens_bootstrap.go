package main

import (
	"context"
	"fmt"
	"time"

	"github.com/probity-dev/probity"
)

// bootstrapOperator creates the first operator token of an installation
// that never had one and returns it, or "" if an operator was ever created
// (a revoked one included: its successor is made with probity token create).
func bootstrapOperator(ctx context.Context, in *installation) (string, error) {
	ctx = cliContext(ctx)
	ps, err := in.bureau.Principals(ctx)
	if err != nil {
		return "", err
	}
	for _, p := range ps {
		if p.Has(probity.RoleOperator, "") {
			return "", nil
		}
	}
	t, err := in.bureau.CreatePrincipal(ctx, probity.PrincipalRequest{Name: "operator", Grants: []probity.Grant{{Role: probity.RoleOperator}}})
	if err != nil {
		return "", err
	}
	return t.Token, nil
}

// demoTokens are the tokens the demo's examples use.
type demoTokens struct {
	operator, reader, reporter, subject string
	subjectID                           string
}

// tokens issues the demo's tokens: the operator's on a new installation,
// and on every run a reader and a reporter of every example domain and a
// subject token for the first example subject, valid for 30 days.
func (c *DemoCommand) tokens(ctx context.Context, in *installation, specs []*probity.Spec, found []example) (demoTokens, error) {
	var t demoTokens
	var err error
	if t.operator, err = bootstrapOperator(ctx, in); err != nil {
		return t, err
	}
	ctx = cliContext(ctx)
	expires := time.Now().Add(30 * 24 * time.Hour)
	for role, dst := range map[string]*string{probity.RoleReader: &t.reader, probity.RoleReporter: &t.reporter} {
		req := probity.PrincipalRequest{Name: "demo " + role, ExpiresAt: expires}
		for _, s := range specs {
			req.Grants = append(req.Grants, probity.Grant{Role: role, Domain: s.ID})
		}
		issued, err := in.bureau.CreatePrincipal(ctx, req)
		if err != nil {
			return t, err
		}
		*dst = issued.Token
	}
	if len(found) > 0 {
		t.subjectID = found[0].body["subject"]
		issued, err := in.bureau.IssueSubjectToken(ctx, probity.SubjectTokenRequest{Subject: t.subjectID, ExpiresAt: expires})
		if err != nil {
			return t, err
		}
		t.subject = issued.Token
	}
	return t, nil
}

func (c *DemoCommand) printTokens(t demoTokens) {
	w := c.m.Stdout
	fmt.Fprintln(w, "\nTokens (shown once; stored only as hashes):")
	if t.operator != "" {
		fmt.Fprintf(w, "  operator (new installation: keep it, it creates every other token):\n    %s\n", t.operator)
	}
	fmt.Fprintf(w, "  reader of every example domain (30 days):\n    %s\n", t.reader)
	fmt.Fprintf(w, "  reporter of every example domain (30 days):\n    %s\n", t.reporter)
	if t.subject != "" {
		fmt.Fprintf(w, "  subject token of %s (30 days):\n    %s\n", t.subjectID, t.subject)
	}
}
