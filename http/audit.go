package http

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/probity-dev/probity"
)

// auditRoutes registers the routes of the log. Public leaves carry only
// commitments, so anyone may read them and check the proofs; openings are
// for auditors and a domain's admins only.
func (s *Server) auditRoutes(mux *routeTable) {
	mux.HandleFunc("GET /v1/audit/openings", s.handleOpenings)
	mux.HandleFunc("GET /v1/audit/checkpoint", s.handleCheckpoint)
	mux.HandleFunc("GET /v1/audit/entries", s.handleEntries)
	mux.HandleFunc("GET /v1/audit/proofs/inclusion", s.handleInclusion)
	mux.HandleFunc("GET /v1/audit/proofs/consistency", s.handleConsistency)
	mux.HandleFunc("GET /v1/audit/key", s.handleKey)
}

// handleCheckpoint serves the latest checkpoint as its C2SP signed note
// (text/plain), or as JSON with ?format=json or Accept: application/json.
func (s *Server) handleCheckpoint(w http.ResponseWriter, r *http.Request) {
	c, err := s.Audit.Checkpoint(r.Context(), logParam(r))
	if err != nil {
		Error(w, r, err)
		return
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, c)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(c.Note))
}

// wantsJSON reports whether a caller asked for JSON instead of text.
func wantsJSON(r *http.Request) bool {
	return r.URL.Query().Get("format") == "json" || strings.Contains(r.Header.Get("Accept"), "application/json")
}

func (s *Server) handleEntries(w http.ResponseWriter, r *http.Request) {
	start, err := uintParam(r, "start", 0)
	if err != nil {
		Error(w, r, err)
		return
	}
	end, err := uintParam(r, "end", start+probity.MaxAuditEntries)
	if err != nil {
		Error(w, r, err)
		return
	}
	entries, err := s.Audit.Entries(r.Context(), logParam(r), start, end)
	if err != nil {
		Error(w, r, err)
		return
	}
	body := map[string]any{"entries": entries}
	if n := uint64(len(entries)); n == probity.MaxAuditEntries && start+n < end {
		body["next"] = start + n // a full page: there may be more
	}
	writeJSON(w, http.StatusOK, body)
}

// handleOpenings serves a page of a log's openings: ?log= (or ?domain=) a
// domain's log, for its admins and the installation's auditors and
// operators; the installation log by default, for auditors and operators;
// ?start= and ?limit= page.
func (s *Server) handleOpenings(w http.ResponseWriter, r *http.Request) {
	start, err := uintParam(r, "start", 0)
	if err != nil {
		Error(w, r, err)
		return
	}
	limit, err := uintParam(r, "limit", 0)
	if err != nil {
		Error(w, r, err)
		return
	}
	if limit > probity.MaxAuditEntries {
		Error(w, r, probity.Errorf(probity.EINVALID, "limit: %d; allowed: 1 to %d", limit, probity.MaxAuditEntries))
		return
	}
	log := logParam(r)
	if d := r.URL.Query().Get("domain"); d != "" {
		log = d // a domain's log is named after it
	}
	b, err := s.Audit.Openings(r.Context(), log, start, int(limit))
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func (s *Server) handleInclusion(w http.ResponseWriter, r *http.Request) {
	index, err := uintParam(r, "index", ^uint64(0))
	if err == nil {
		var size uint64
		if size, err = uintParam(r, "size", ^uint64(0)); err == nil {
			var p *probity.Proof
			if p, err = s.Audit.InclusionProof(r.Context(), logParam(r), index, size); err == nil {
				writeJSON(w, http.StatusOK, p)
				return
			}
		}
	}
	Error(w, r, err)
}

func (s *Server) handleConsistency(w http.ResponseWriter, r *http.Request) {
	from, err := uintParam(r, "from", ^uint64(0))
	if err == nil {
		var to uint64
		if to, err = uintParam(r, "to", ^uint64(0)); err == nil {
			var p *probity.Proof
			if p, err = s.Audit.ConsistencyProof(r.Context(), logParam(r), from, to); err == nil {
				writeJSON(w, http.StatusOK, p)
				return
			}
		}
	}
	Error(w, r, err)
}

// handleKey serves the note verifier key of the checkpoints as text, or as
// JSON like handleCheckpoint.
func (s *Server) handleKey(w http.ResponseWriter, r *http.Request) {
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, map[string]string{"key": s.Audit.PublicKey(logParam(r))})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(s.Audit.PublicKey(logParam(r)) + "\n"))
}

// uintParam reads a non-negative integer query parameter; def ^0 makes it
// required.
func uintParam(r *http.Request, name string, def uint64) (uint64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		if def == ^uint64(0) {
			return 0, probity.Errorf(probity.EINVALID, "%s: required, a non-negative integer", name)
		}
		return def, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, probity.Errorf(probity.EINVALID, "%s: %s is not a non-negative integer", name, probity.Quote(v))
	}
	return n, nil
}

// logParam reads the ?log= parameter: the installation log by default.
func logParam(r *http.Request) string {
	if l := r.URL.Query().Get("log"); l != "" {
		return l
	}
	return probity.InstallationLog
}
