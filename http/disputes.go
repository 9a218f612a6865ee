package http

import (
	"context"
	"net/http"

	"github.com/probity-dev/probity"
)

// handleFileDispute lets the subject of a subject token dispute an entry.
func (s *Server) handleFileDispute(w http.ResponseWriter, r *http.Request) {
	var req probity.DisputeRequest
	if err := decodeJSON(w, r, &req, `"domain", "key" (the entry's key) and "reason"`); err != nil {
		Error(w, r, err)
		return
	}
	d, err := s.Disputes.FileDispute(r.Context(), req)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, d)
}

// handleDisputes serves a domain's reviewers their queue of open disputes.
func (s *Server) handleDisputes(w http.ResponseWriter, r *http.Request) {
	ds, err := s.Disputes.Disputes(r.Context(), r.PathValue("id"))
	if err != nil {
		Error(w, r, err)
		return
	}
	writeList(w, r, "disputes", ds, func(d probity.Dispute) string { return d.ID })
}

// handleResolveDispute records a reviewer's decision on a dispute.
func (s *Server) handleResolveDispute(w http.ResponseWriter, r *http.Request) {
	var res probity.Resolution
	if err := decodeJSON(w, r, &res, `"outcome" (upheld or rejected) and "reason"`); err != nil {
		Error(w, r, err)
		return
	}
	d, err := s.Disputes.ResolveDispute(r.Context(), r.PathValue("id"), r.PathValue("dispute"), res)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// handleDisputedEntry shows a reviewer the entry a dispute is about, as an
// inquiry the subject sees (purpose dispute_review).
func (s *Server) handleDisputedEntry(w http.ResponseWriter, r *http.Request) {
	e, err := s.Disputes.DisputedEntry(r.Context(), r.PathValue("id"), r.PathValue("dispute"))
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

// figures is a service that keeps the public transparency figures.
type figures interface {
	DomainFigures(ctx context.Context, domain string) (*probity.DomainTransparency, error)
}

// handleFigures serves a domain's public transparency figures (subjects
// by status and grade, disputes, looks by purpose), as the registry shows
// them; 503 with Retry-After while the first are being computed.
func (s *Server) handleFigures(w http.ResponseWriter, r *http.Request) {
	f, ok := s.Audit.(figures)
	if !ok {
		Error(w, r, probity.Errorf(probity.ENOTFOUND, "this server keeps no figures"))
		return
	}
	t, err := f.DomainFigures(r.Context(), r.PathValue("id"))
	if err != nil {
		Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=60")
	writeJSON(w, http.StatusOK, t)
}

// handleDisputeFigures serves a domain's public dispute figures.
func (s *Server) handleDisputeFigures(w http.ResponseWriter, r *http.Request) {
	f, err := s.Disputes.DisputeFigures(r.Context(), r.PathValue("id"))
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

// handleRecordTerm records an official term in a domain's roster.
func (s *Server) handleRecordTerm(w http.ResponseWriter, r *http.Request) {
	var req probity.TermRequest
	if err := decodeJSON(w, r, &req, `"subject", "office", "from" and optional "to"`); err != nil {
		Error(w, r, err)
		return
	}
	req.Domain = r.PathValue("id")
	t, err := s.Officials.RecordTerm(r.Context(), req)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, t)
}

// handleTerms serves a domain's roster of official terms to its admins.
func (s *Server) handleTerms(w http.ResponseWriter, r *http.Request) {
	ts, err := s.Officials.Terms(r.Context(), r.PathValue("id"))
	if err != nil {
		Error(w, r, err)
		return
	}
	writeList(w, r, "officials", ts, func(t probity.OfficialTerm) string { return t.ID })
}

// handleGrantConsent lets the subject of a subject token open a domain's
// score and grade to another domain's readers.
func (s *Server) handleGrantConsent(w http.ResponseWriter, r *http.Request) {
	var req probity.ConsentRequest
	if err := decodeJSON(w, r, &req, `"domain", "grantee", "purpose" and "until"`); err != nil {
		Error(w, r, err)
		return
	}
	g, err := s.Consents.GrantConsent(r.Context(), req)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, g)
}

// handleRevokeConsent revokes one of the subject's grants.
func (s *Server) handleRevokeConsent(w http.ResponseWriter, r *http.Request) {
	g, err := s.Consents.RevokeConsent(r.Context(), r.PathValue("domain"), r.PathValue("consent"), "")
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

// handleConsentedScore serves another domain's reader a subject's status,
// score and grade under the subject's consent.
func (s *Server) handleConsentedScore(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Subject string `json:"subject"`
		Purpose string `json:"purpose"`
	}
	if err := decodeJSON(w, r, &req, `"subject" and "purpose" (the grant's)`); err != nil {
		Error(w, r, err)
		return
	}
	cs, err := s.Consents.ConsentedScore(r.Context(), r.PathValue("id"), req.Subject, req.Purpose)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, cs)
}

// handleIssueOrder records a judicial domain's court order.
func (s *Server) handleIssueOrder(w http.ResponseWriter, r *http.Request) {
	var req probity.OrderRequest
	if err := decodeJSON(w, r, &req, `"subject", "citation", "restrictions", "ends_at" and optional "notice"`); err != nil {
		Error(w, r, err)
		return
	}
	req.Domain = r.PathValue("id")
	o, err := s.Orders.IssueOrder(r.Context(), req)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, o)
}

// handleFulfillOrder lifts an order whose obligation was met.
func (s *Server) handleFulfillOrder(w http.ResponseWriter, r *http.Request) {
	o, err := s.Orders.FulfillOrder(r.Context(), r.PathValue("id"), r.PathValue("order"))
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

// handleCheckRestriction answers yes or no, and the order's id.
func (s *Server) handleCheckRestriction(w http.ResponseWriter, r *http.Request) {
	var req probity.RestrictionCheck
	if err := decodeJSON(w, r, &req, `"subject", "restriction" and "purpose"`); err != nil {
		Error(w, r, err)
		return
	}
	a, err := s.Orders.CheckRestriction(r.Context(), req)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}
