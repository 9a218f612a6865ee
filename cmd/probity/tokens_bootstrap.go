package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/probity-dev/probity"
)

// OperatorTokenFile is the file in the data directory that receives the
// first operator's token, mode 0600. It is never printed: standard output
// ends up in log files (a service manager's journal, a terminal's
// scrollback, CI logs), and this token creates every other one.
const OperatorTokenFile = "operator.token"

// bootstrapOperator creates the first operator token of an installation
// that never had one, writes it to OperatorTokenFile in dir (the data
// directory, which holds the keys with either backend) and returns the
// file's path, or "" if an operator was ever created (a revoked one
// included: its successor is made with probity token create).
func bootstrapOperator(ctx context.Context, in *installation, dir string) (string, error) {
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
	path, err := writePrivate(dir, OperatorTokenFile, t.Token+"\n")
	if err != nil {
		return "", fmt.Errorf("the new operator's token could not be saved (%v), and it is shown nowhere else: "+
			"create another operator with probity token create --name operator --grant operator, and revoke %s with probity token revoke", err, t.Principal.ID)
	}
	return path, nil
}

// writePrivate writes content to name in dir, readable by its owner only
// (0600 whatever the umask, or the mode of a file it replaces), whole or
// not at all: through a temporary file renamed over it. It returns the
// file's absolute path.
func writePrivate(dir, name, content string) (string, error) {
	f, err := os.CreateTemp(dir, "."+name+".*") // mode 0600
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name()) // after the rename, a no-op
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	path, err := filepath.Abs(filepath.Join(dir, name))
	if err != nil {
		return "", err
	}
	return path, os.Rename(f.Name(), path)
}

// demoTokens are the tokens the demo's examples use.
type demoTokens struct {
	reader, reporter, subject string
	subjectID                 string
	// operatorFile is where a new installation's operator token is.
	operatorFile string
}

// tokens issues the demo's tokens: the operator's on a new installation,
// to a file in dir as serve does, and on every run a reader and a reporter of every example domain and a
// subject token for the first example subject, valid for 30 days.
func (c *DemoCommand) tokens(ctx context.Context, in *installation, dir string, specs []*probity.Spec, found []example) (demoTokens, error) {
	var t demoTokens
	var err error
	if t.operatorFile, err = bootstrapOperator(ctx, in, dir); err != nil {
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

// printTokens prints the demo's own tokens, which its curl examples use: a
// local trial's, scoped to the example domains and expiring in 30 days. The
// operator's token, which creates every other, goes to a file as serve's
// does; only its path is printed.
func (c *DemoCommand) printTokens(t demoTokens) {
	w := c.m.Stdout
	if t.operatorFile != "" {
		fmt.Fprintf(w, "\nnew installation: the operator's token (it creates every other token) is in\n  %s\n(readable only by you; keep it somewhere safe)\n", t.operatorFile)
	}
	fmt.Fprintln(w, "\nThe demo's tokens (shown once; stored only as hashes):")
	fmt.Fprintf(w, "  reader of every example domain (30 days):\n    %s\n", t.reader)
	fmt.Fprintf(w, "  reporter of every example domain (30 days):\n    %s\n", t.reporter)
	if t.subject != "" {
		fmt.Fprintf(w, "  subject token of %s (30 days):\n    %s\n", t.subjectID, t.subject)
	}
}
