package main

import (
	"context"
	"encoding/json"
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

// demoTokens are the tokens the demo's examples use. They are kept in
// DemoTokensFile (mode 0600) and reused by the next run while they are
// valid, so that a second run prints the same tokens.
type demoTokens struct {
	Reader    string `json:"reader"`
	Reporter  string `json:"reporter"`
	Reviewer  string `json:"reviewer"`
	Subject   string `json:"subject"`
	SubjectID string `json:"subject_id"`
	// Showcase is the subject token of the showcase's person with a late
	// payment in its grace period (demo_showcase.go).
	Showcase   string    `json:"showcase"`
	ShowcaseID string    `json:"showcase_id"`
	Expires    time.Time `json:"expires"`
	// operatorFile is where a new installation's operator token is.
	operatorFile string
	reused       bool
}

// DemoTokensFile keeps the demo's tokens in the data directory, readable
// by its owner only, beside operator.token.
const DemoTokensFile = "demo-tokens.json"

// tokens returns the demo's tokens: the operator's on a new installation,
// to a file in dir as serve does; and a reader, a reporter and a reviewer
// of every example domain and subject tokens of the first example subject
// and of the showcase's person, valid for 30 days: those of the last run
// while they all still sign in for a day more, new ones otherwise.
func (c *DemoCommand) tokens(ctx context.Context, in *installation, dir string, specs []*probity.Spec, found []example, showcase string) (demoTokens, error) {
	var t demoTokens
	var err error
	if t.operatorFile, err = bootstrapOperator(ctx, in, dir); err != nil {
		return t, err
	}
	subjectID := ""
	if len(found) > 0 {
		subjectID = found[0].body["subject"]
	}
	if kept, ok := keptTokens(ctx, in, dir); ok && kept.SubjectID == subjectID && kept.ShowcaseID == showcase {
		kept.operatorFile, kept.reused = t.operatorFile, true
		return kept, nil
	}
	ctx = cliContext(ctx)
	t.Expires = time.Now().Add(30 * 24 * time.Hour)
	for role, dst := range map[string]*string{probity.RoleReader: &t.Reader, probity.RoleReporter: &t.Reporter, probity.RoleReviewer: &t.Reviewer} {
		req := probity.PrincipalRequest{Name: "demo " + role, ExpiresAt: t.Expires}
		for _, s := range specs {
			req.Grants = append(req.Grants, probity.Grant{Role: role, Domain: s.ID})
		}
		issued, err := in.bureau.CreatePrincipal(ctx, req)
		if err != nil {
			return t, err
		}
		*dst = issued.Token
	}
	for id, dst := range map[string]*string{subjectID: &t.Subject, showcase: &t.Showcase} {
		if id == "" {
			continue
		}
		issued, err := in.bureau.IssueSubjectToken(ctx, probity.SubjectTokenRequest{Subject: id, ExpiresAt: t.Expires})
		if err != nil {
			return t, err
		}
		*dst = issued.Token
	}
	t.SubjectID, t.ShowcaseID = subjectID, showcase
	buf, _ := json.MarshalIndent(t, "", "  ")
	if _, err := writePrivate(dir, DemoTokensFile, string(buf)+"\n"); err != nil {
		return t, fmt.Errorf("the demo's tokens could not be kept for the next run: %v", err)
	}
	return t, nil
}

// keptTokens reads the last run's tokens, if each still signs in and is
// good for a day more.
func keptTokens(ctx context.Context, in *installation, dir string) (demoTokens, bool) {
	var t demoTokens
	buf, err := os.ReadFile(filepath.Join(dir, DemoTokensFile))
	if err != nil || json.Unmarshal(buf, &t) != nil || time.Until(t.Expires) < 24*time.Hour {
		return t, false
	}
	for _, tok := range []string{t.Reader, t.Reporter, t.Reviewer, t.Subject, t.Showcase} {
		if tok == "" {
			continue
		}
		if _, err := in.bureau.Authenticate(ctx, tok); err != nil {
			return t, false
		}
	}
	return t, t.Reader != "" && t.Reporter != "" && t.Reviewer != ""
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
	kept := "new; kept in " + DemoTokensFile + " for the next run"
	if t.reused {
		kept = "those of the last run, from " + DemoTokensFile
	}
	fmt.Fprintf(w, "\nThe demo's tokens (%s; valid until %s):\n", kept, t.Expires.Format(time.DateOnly))
	fmt.Fprintf(w, "  reader of every example domain:\n    %s\n", t.Reader)
	fmt.Fprintf(w, "  reporter of every example domain:\n    %s\n", t.Reporter)
	fmt.Fprintf(w, "  reviewer of every example domain (its console has a dispute to decide):\n    %s\n", t.Reviewer)
	if t.Subject != "" {
		fmt.Fprintf(w, "  subject token of %s:\n    %s\n", t.SubjectID, t.Subject)
	}
	if t.Showcase != "" {
		fmt.Fprintf(w, "  subject token of %s (a late payment in its grace period: sign in to the portal with it):\n    %s\n", t.ShowcaseID, t.Showcase)
	}
}
