package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/probity-dev/probity"
)

// historyMonths are how far back the portal's chart reads the score: each
// point is the subject's own score as of that date, read through the score
// service like any read (so each is an inquiry the subject sees, purpose
// subject_access). It is the score as Probity computed it from what had
// been reported by then (scoring model step 1): an entry reported late
// appears from the day it was reported, never earlier, so the chart shows
// what a reader would have been told on each date, not history rewritten.
var historyMonths = []int{24, 18, 12, 6, 3}

// portalDomain is one domain of the subject's portal.
type portalDomain struct {
	probity.DomainReport
	Chart         []byte
	Points        []scorePoint
	OptOutAllowed bool
	OptedOut      bool
	// More is the link to the next page of the domain's long lists, or "".
	More string
	// What the page leads with: the scale, what needs doing, what helps
	// and hurts (standing.go).
	Scale        scale
	Helps, Hurts []factor
	// Entries named in words, each list of the score's explanation.
	Counting, Pending []entryView
	// Others are the reads of people other than the subject; OwnReads
	// counts the subject's own.
	Others   []probity.Inquiry
	OwnReads int
	// Grantees are the other domains a consent may let see this score,
	// with the purposes each may read for.
	Grantees []grantee
	// Today is the date the consent form's "until" starts after.
	Today string
	// Claims are those a statement of standing may hold.
	Claims []string
}

// grantee is a domain a subject may let see a score, and its purposes.
type grantee struct {
	ID, Name string
	Purposes []string
}

func (p *Pages) portalRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /portal", p.handlePortal)
	mux.HandleFunc("GET /portal/export", p.handleExport)
	mux.HandleFunc("POST /portal/disputes", p.handleDispute)
	mux.HandleFunc("POST /portal/consents", p.handleGrantConsent)
	mux.HandleFunc("POST /portal/consents/revoke", p.handleRevokeConsent)
	mux.HandleFunc("POST /portal/opt-out", p.handleOptOut)
	mux.HandleFunc("POST /portal/statements", p.handleStatement)
}

// handlePortal shows a subject their whole record: the report (one read,
// logged per domain, one page of each long list: ?page=N) and the score
// history of each domain.
func (p *Pages) handlePortal(w http.ResponseWriter, r *http.Request) {
	r, a, ok := p.requireSignIn(w, r)
	if !ok {
		return
	}
	page, err := pageOf(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	report, err := p.svc.ReportPage(r.Context(), "", probity.ReportOptions{Page: page})
	if err != nil {
		p.fail(w, r, err)
		return
	}
	specs, err := p.specs(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	domains := make([]portalDomain, len(report.Domains))
	for i, d := range report.Domains {
		pd := portalDomain{DomainReport: d, OptOutAllowed: d.OptOut == probity.OptOutAllowed,
			OptedOut: d.Score.Status == probity.StatusOptedOut, Today: report.AsOf.Format(time.DateOnly),
			Claims: probity.StatementClaims}
		lead(&pd, specs)
		if d.Page != nil && d.Page.Page < d.Page.Pages {
			pd.More = fmt.Sprintf("/portal?page=%d#d-%s", d.Page.Page+1, d.Domain)
		}
		if pd.Points, err = p.history(r, a, d); err != nil {
			p.fail(w, r, err)
			return
		}
		if pd.Chart, err = scoreChart(d.Name, pd.Points); err != nil {
			p.fail(w, r, err)
			return
		}
		domains[i] = pd
	}
	v := signedIn("Your record", "portal", a)
	v.Data = domains
	p.render(w, r, "portal", v)
}

// specs reads every domain's public spec (without a leaf: they hold
// nothing personal), in the registry's order.
func (p *Pages) specs(r *http.Request) ([]*probity.Domain, error) {
	all, err := p.svc.Domains(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]*probity.Domain, len(all))
	for i, s := range all {
		if out[i], err = p.svc.Domain(r.Context(), s.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// lead fills what the domain's part of the portal leads with, from the
// domain's spec and the report already read.
func lead(pd *portalDomain, specs []*probity.Domain) {
	for _, dom := range specs {
		if dom.ID != pd.Domain {
			pd.Grantees = append(pd.Grantees, grantee{ID: dom.ID, Name: dom.Name, Purposes: dom.Purposes})
			continue
		}
		pd.Scale = newScale(dom.Spec, pd.Score)
		pd.Helps, pd.Hurts = factors(dom.Spec, pd.Score)
	}
	pd.Counting = entryViews(pd.Score.Contributions, pd.Entries)
	pd.Pending = entryViews(pd.Score.Pending, pd.Entries)
	for _, q := range pd.Inquiries {
		if ownRead(q) {
			pd.OwnReads++
		} else {
			pd.Others = append(pd.Others, q)
		}
	}
}

// history reads the subject's past scores in a domain (see historyMonths)
// and adds today's score and its projection. A date before any of the
// subject's entries was reported is not read: the model has no candidate
// entry then (step 1), so the subject was not rated, and reading it would
// only add an inquiry that tells nothing.
func (p *Pages) history(r *http.Request, a probity.Actor, d probity.DomainReport) ([]scorePoint, error) {
	now := d.Score
	var points []scorePoint
	for _, m := range historyMonths {
		at := now.AsOf.AddDate(0, -m, 0)
		if now.MinEvents > 0 && (d.Page == nil || d.Page.Entries == len(d.Entries)) && !reportedBy(d.Entries, at) {
			points = append(points, scorePoint{At: at, Status: probity.StatusUnrated})
			continue
		}
		s, err := p.svc.Score(r.Context(), probity.ScoreRequest{Domain: d.Domain, Subject: a.Subject.String(), AsOf: at})
		if err != nil {
			return nil, err
		}
		points = append(points, scorePoint{At: at, Status: s.Status, Score: s.Score, Grade: s.Grade})
	}
	points = append(points, scorePoint{At: now.AsOf, Status: now.Status, Score: now.Score, Grade: now.Grade, Now: true})
	for _, pr := range now.Projection {
		points = append(points, scorePoint{At: pr.At, Status: pr.Status, Score: pr.Score, Grade: pr.Grade, Projected: true})
	}
	return points, nil
}

// pageOf reads the optional ?page=N of a paged page: 0 when absent.
func pageOf(r *http.Request) (int, error) {
	v := r.URL.Query().Get("page")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, probity.Errorf(probity.EINVALID, "page: %s is not a page; pages are numbered from 1", probity.Quote(v))
	}
	return n, nil
}

// reportedBy reports whether any entry was reported at or before t.
func reportedBy(entries []probity.Event, t time.Time) bool {
	for _, e := range entries {
		if !e.RecordedAt.After(t) {
			return true
		}
	}
	return false
}

// handleExport serves the subject's complete record as a JSON download,
// the same as GET /v1/me/export (?page=N past the first when it says pages).
func (p *Pages) handleExport(w http.ResponseWriter, r *http.Request) {
	r, _, ok := p.requireSignIn(w, r)
	if !ok {
		return
	}
	page, err := pageOf(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	report, err := p.svc.ReportPage(r.Context(), "", probity.ReportOptions{Page: page, Export: true})
	if err != nil {
		p.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="probity-record-`+time.Now().UTC().Format("2006-01-02")+`.json"`)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(report)
}

// missing answers 400 naming the first of fields the form lacks, and
// reports whether it did: the forms of these pages always send them, so
// only a hand-made request can lack one.
func (p *Pages) missing(w http.ResponseWriter, r *http.Request, fields ...string) bool {
	for _, f := range fields {
		if strings.TrimSpace(r.FormValue(f)) == "" {
			p.fail(w, r, probity.Errorf(probity.EINVALID, "%s: required; the form sends it: reload the page and try again", f))
			return true
		}
	}
	return false
}

// handleDispute files the subject's dispute of one entry.
func (p *Pages) handleDispute(w http.ResponseWriter, r *http.Request) {
	r, _, ok := p.requireSignIn(w, r)
	if !ok {
		return
	}
	if p.missing(w, r, "domain", "key") {
		return
	}
	_, err := p.svc.FileDispute(r.Context(), probity.DisputeRequest{Domain: r.FormValue("domain"),
		EventKey: r.FormValue("key"), Reason: r.FormValue("reason")})
	p.after(w, r, err, "/portal", "disputed")
}

// handleGrantConsent lets another domain's readers see the subject's
// score in this one, for a purpose, until a date.
func (p *Pages) handleGrantConsent(w http.ResponseWriter, r *http.Request) {
	r, _, ok := p.requireSignIn(w, r)
	if !ok {
		return
	}
	if p.missing(w, r, "domain", "grantee", "purpose", "until") {
		return
	}
	_, err := p.svc.GrantConsent(r.Context(), probity.ConsentRequest{Domain: r.FormValue("domain"), Grantee: r.FormValue("grantee"),
		Purpose: r.FormValue("purpose"), Until: r.FormValue("until")})
	p.after(w, r, err, "/portal", "granted")
}

// handleRevokeConsent ends one of the subject's consent grants.
func (p *Pages) handleRevokeConsent(w http.ResponseWriter, r *http.Request) {
	r, _, ok := p.requireSignIn(w, r)
	if !ok {
		return
	}
	if p.missing(w, r, "domain", "id") {
		return
	}
	_, err := p.svc.RevokeConsent(r.Context(), r.FormValue("domain"), r.FormValue("id"), "")
	p.after(w, r, err, "/portal", "revoked")
}

// handleOptOut takes the subject out of a domain (out=true) or back in.
func (p *Pages) handleOptOut(w http.ResponseWriter, r *http.Request) {
	r, _, ok := p.requireSignIn(w, r)
	if !ok {
		return
	}
	if p.missing(w, r, "domain") {
		return
	}
	out := r.FormValue("out") == "true"
	if out && r.FormValue("confirm") != "yes" {
		// the form states the consequence beside a box to tick; a request
		// without it did not see that
		p.fail(w, r, probity.Errorf(probity.EINVALID, "confirm: tick the box that says what opting out means before you opt out"))
		return
	}
	_, err := p.svc.SetOptOut(r.Context(), r.FormValue("domain"), "", out)
	msg := "opted-in"
	if out {
		msg = "opted-out"
	}
	p.after(w, r, err, "/portal", msg)
}

// after ends a form: on success back to the page with a fixed message
// (POST, redirect, GET: reloading does not send the form again), else the
// error page naming what was wrong.
func (p *Pages) after(w http.ResponseWriter, r *http.Request, err error, page, msg string) {
	if err != nil {
		p.fail(w, r, err)
		return
	}
	http.Redirect(w, r, page+"?done="+msg, http.StatusSeeOther)
}
