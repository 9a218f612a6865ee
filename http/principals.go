package http

import (
	"net/http"

	"github.com/probity-dev/probity"
)

func (s *Server) principalRoutes(mux *routeTable) {
	mux.HandleFunc("POST /v1/principals", s.handleCreatePrincipal)
	mux.HandleFunc("GET /v1/principals", s.handlePrincipals)
	mux.HandleFunc("DELETE /v1/principals/{id}", s.handleRevokePrincipal)
	mux.HandleFunc("POST /v1/subject-tokens", s.handleSubjectToken)
}

func (s *Server) handleCreatePrincipal(w http.ResponseWriter, r *http.Request) {
	var req probity.PrincipalRequest
	if err := decodeJSON(w, r, &req, `"name", "grants" ([{"role","domain"}]), optional "government" and "expires_at"`); err != nil {
		Error(w, r, err)
		return
	}
	t, err := s.Access.CreatePrincipal(r.Context(), req)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, t)
}

func (s *Server) handlePrincipals(w http.ResponseWriter, r *http.Request) {
	ps, err := s.Access.Principals(r.Context())
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"principals": ps})
}

func (s *Server) handleRevokePrincipal(w http.ResponseWriter, r *http.Request) {
	p, err := s.Access.RevokePrincipal(r.Context(), r.PathValue("id"))
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"principal": p})
}

func (s *Server) handleSubjectToken(w http.ResponseWriter, r *http.Request) {
	var req probity.SubjectTokenRequest
	if err := decodeJSON(w, r, &req, `"subject" and optional "expires_at"`); err != nil {
		Error(w, r, err)
		return
	}
	t, err := s.Access.IssueSubjectToken(r.Context(), req)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, t)
}
