package http

import (
	"net/http"
	"time"

	"github.com/probity-dev/probity"
)

func (s *Server) principalRoutes(mux *routeTable) {
	mux.HandleFunc("POST /v1/principals", s.idempotent(s.handleCreatePrincipal))
	mux.HandleFunc("GET /v1/principals", s.handlePrincipals)
	mux.HandleFunc("DELETE /v1/principals/{id}", s.handleRevokePrincipal)
	mux.HandleFunc("POST /v1/subject-tokens", s.idempotent(s.handleSubjectToken))
}

func (s *Server) handleCreatePrincipal(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name       string          `json:"name"`
		Government bool            `json:"government"`
		Grants     []probity.Grant `json:"grants"`
		ExpiresAt  *string         `json:"expires_at"`
		Issuer     string          `json:"issuer"`
		External   string          `json:"external_subject"`
	}
	if err := decodeJSON(w, r, &body, `"name", "grants" ([{"role","domain"}]), optional "government", "expires_at", and "issuer" with "external_subject"`); err != nil {
		Error(w, r, err)
		return
	}
	req := probity.PrincipalRequest{Name: body.Name, Government: body.Government, Grants: body.Grants, Issuer: body.Issuer, ExternalSubject: body.External}
	var err error
	if req.ExpiresAt, err = expiry(body.ExpiresAt); err != nil {
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
	writeList(w, r, "principals", ps, func(p probity.Principal) string { return p.ID })
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
	var body struct {
		Subject   string  `json:"subject"`
		ExpiresAt *string `json:"expires_at"`
	}
	if err := decodeJSON(w, r, &body, `"subject" and optional "expires_at"`); err != nil {
		Error(w, r, err)
		return
	}
	req := probity.SubjectTokenRequest{Subject: body.Subject}
	var err error
	if req.ExpiresAt, err = expiry(body.ExpiresAt); err != nil {
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

// expiry reads an optional expires_at as every time a caller writes is
// read (probity.ParseTime): absent or null is no expiry; anything given,
// 0001-01-01 included (the zero time a JSON time would silently take as
// "none"), is a time in range or a 400 naming the field.
func expiry(v *string) (time.Time, error) {
	if v == nil {
		return time.Time{}, nil
	}
	t, err := probity.ParseTime(*v)
	if err != nil {
		return time.Time{}, probity.Errorf(probity.EINVALID, "expires_at: %s", probity.ErrorMessage(err))
	}
	return t, probity.CheckEnd("expires_at", t)
}
