package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/eventfile"
)

// consoleDomain is one domain of an institution's console: what each of the
// principal's roles there may do.
type consoleDomain struct {
	ID                                string
	Reporter, Reviewer, Admin, Reader bool
	Queue                             []probity.Dispute
	Domain                            *probity.Domain
	Diffs                             []versionDiff
	Terms                             []probity.OfficialTerm
	Principals                        []probity.Principal
}

// consoleView is the console: the domains the principal holds roles in,
// and, for the installation's operator and auditors, what they do.
type consoleView struct {
	Domains           []consoleDomain
	Operator, Auditor bool
	// Principals are every principal, for the operator.
	Principals []probity.Principal
}

// versionDiff is a spec version with its difference from the one before.
type versionDiff struct {
	probity.SpecVersion
	Changes []string // in plain words
	Diff    []diffLine
}

// uploadResult is the outcome of an events upload.
type uploadResult struct {
	Domain  string
	File    string
	Summary *probity.IngestSummary
}

func (p *Pages) consoleRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /console", p.handleConsole)
	mux.HandleFunc("POST /console/{domain}/events", p.handleUpload)
	mux.HandleFunc("GET /console/{domain}/disputes/{id}", p.handleReview)
	mux.HandleFunc("POST /console/{domain}/disputes/{id}/resolve", p.handleResolve)
}

// handleConsole shows each domain the principal holds a role in, with the
// tools of its roles: the reporters' upload, the reviewers' queue, the
// admins' versions, roster and principals.
func (p *Pages) handleConsole(w http.ResponseWriter, r *http.Request) {
	r, a, ok := p.requireSignIn(w, r)
	if !ok {
		return
	}
	if a.Principal == nil || a.Subject != nil {
		http.Redirect(w, r, home(a), http.StatusSeeOther)
		return
	}
	var ids []string
	for _, g := range a.Principal.Grants {
		if g.Domain != "" && !slices.Contains(ids, g.Domain) {
			ids = append(ids, g.Domain)
		}
	}
	slices.Sort(ids)
	domains := make([]consoleDomain, 0, len(ids))
	for _, id := range ids {
		cd, err := p.consoleDomain(r, a.Principal, id)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		domains = append(domains, *cd)
	}
	cv := consoleView{Domains: domains, Operator: a.Principal.Has(probity.RoleOperator, ""), Auditor: a.Principal.Has(probity.RoleAuditor, "")}
	if cv.Operator {
		var err error
		if cv.Principals, err = p.svc.Principals(r.Context()); err != nil {
			p.fail(w, r, err)
			return
		}
	}
	v := signedIn("Institution console", "console", a)
	v.Data = cv
	p.render(w, r, "console", v)
}

// consoleDomain gathers one domain's tools, each through the service that
// authorizes it.
func (p *Pages) consoleDomain(r *http.Request, pr *probity.Principal, id string) (*consoleDomain, error) {
	ctx := r.Context()
	cd := &consoleDomain{ID: id, Reporter: pr.Has(probity.RoleReporter, id), Reviewer: pr.Has(probity.RoleReviewer, id),
		Admin: pr.Has(probity.RoleAdmin, id), Reader: pr.Has(probity.RoleReader, id)}
	var err error
	if cd.Reviewer {
		if cd.Queue, err = p.svc.Disputes(ctx, id); err != nil {
			return nil, err
		}
	}
	if !cd.Admin {
		return cd, nil
	}
	if cd.Domain, err = p.svc.Domain(ctx, id); err != nil {
		return nil, err
	}
	for i, v := range cd.Domain.Versions {
		vd := versionDiff{SpecVersion: v}
		if i > 0 {
			vd.Changes = specChanges(cd.Domain.Versions[i-1].Spec, v.Spec)
			vd.Diff = changedLines(diffSpecs(cd.Domain.Versions[i-1].Spec, v.Spec))
		}
		cd.Diffs = append(cd.Diffs, vd)
	}
	slices.Reverse(cd.Diffs) // newest first
	if cd.Terms, err = p.svc.Terms(ctx, id); err != nil {
		return nil, err
	}
	all, err := p.svc.Principals(ctx)
	if err != nil {
		return nil, err
	}
	for _, q := range all {
		if slices.ContainsFunc(q.Grants, func(g probity.Grant) bool { return g.Domain == id }) {
			cd.Principals = append(cd.Principals, q)
		}
	}
	return cd, nil
}

// handleUpload ingests an NDJSON, JSON or CSV file and shows what became of
// every line. Without "apply the good lines", one bad line means nothing
// is applied, as with the API.
func (p *Pages) handleUpload(w http.ResponseWriter, r *http.Request) {
	r, a, ok := p.requireSignIn(w, r)
	if !ok {
		return
	}
	domain := r.PathValue("domain")
	file, header, err := r.FormFile("events")
	if err != nil {
		p.fail(w, r, probity.Errorf(probity.EINVALID, "events: choose a file to upload (NDJSON, a JSON array or CSV)"))
		return
	}
	defer file.Close()
	reader, err := eventfile.NewReader(file)
	if err != nil {
		p.fail(w, r, probity.Errorf(probity.EINVALID, "events: %s: %v", header.Filename, err))
		return
	}
	opts := probity.IngestOptions{SkipInvalid: r.FormValue("skip_invalid") == "true"}
	sum, err := p.svc.Ingest(r.Context(), domain, reader, opts)
	if err == nil && sum.Accepted+sum.Duplicates+sum.Rejected == 0 {
		err = probity.Errorf(probity.EINVALID, "events: %s holds no events; nothing was stored", header.Filename)
	}
	v := signedIn("Upload to "+domain, "console", a)
	v.Data = uploadResult{Domain: domain, File: header.Filename, Summary: sum}
	if err != nil {
		if sum == nil {
			p.fail(w, r, err)
			return
		}
		v.Error, v.Status = forPerson(probity.ErrorMessage(err)), statusOf(probity.ErrorCode(err))
	}
	p.render(w, r, "upload", v)
}

// handleReview shows a reviewer the entry a dispute is about, with the form
// to decide it: the read is an inquiry the subject sees (purpose
// dispute_review).
func (p *Pages) handleReview(w http.ResponseWriter, r *http.Request) {
	r, a, ok := p.requireSignIn(w, r)
	if !ok {
		return
	}
	e, err := p.svc.DisputedEntry(r.Context(), r.PathValue("domain"), r.PathValue("id"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	v := signedIn("Dispute of a "+words(e.Type)+" entry", "console", a)
	v.Data = struct {
		Domain string
		*probity.DisputedEntry
	}{r.PathValue("domain"), e}
	p.render(w, r, "review", v)
}

// handleResolve records a reviewer's decision on a dispute.
func (p *Pages) handleResolve(w http.ResponseWriter, r *http.Request) {
	r, a, ok := p.requireSignIn(w, r)
	if !ok {
		return
	}
	// The console asks for a written reason whatever the outcome: the
	// subject is shown why their dispute was upheld or rejected. (A caller
	// who may not resolve is refused by the service first.)
	mayResolve := a.Principal != nil && a.Principal.Has(probity.RoleReviewer, r.PathValue("domain"))
	if mayResolve && strings.TrimSpace(r.FormValue("reason")) == "" {
		p.fail(w, r, probity.Errorf(probity.EINVALID, "reason: required; write why the dispute is upheld or rejected (the subject is shown it)"))
		return
	}
	_, err := p.svc.ResolveDispute(r.Context(), r.PathValue("domain"), r.PathValue("id"),
		probity.Resolution{Outcome: r.FormValue("outcome"), Reason: r.FormValue("reason")})
	p.after(w, r, err, "/console", "resolved")
}
