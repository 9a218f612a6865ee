package http

import (
	"net/http"

	"github.com/probity-dev/probity"
)

func (s *Server) statementRoutes(mux *routeTable) {
	mux.HandleFunc("POST /v1/me/statements", s.idempotent(s.handleIssueStatement))
	mux.HandleFunc("DELETE /v1/me/statements/{domain}/{statement}", s.handleRevokeStatement)
	mux.HandleFunc("GET /statuslists/{domain}", s.handleStatusList)
	mux.HandleFunc("GET /.well-known/jwt-vc-issuer", s.handleIssuerMetadata)
}

// publicURL is the installation's public URL, the issuer of its
// statements: the scheme and host the request came to (behind a trusted
// proxy, the proxy's), as the pages' publicURL takes it too.
func (s *Server) publicURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// handleIssueStatement issues a statement of the subject's standing in a
// domain: POST /v1/me/statements {"domain", "claims", "validity",
// "holder_key"}, with the subject's own token.
func (s *Server) handleIssueStatement(w http.ResponseWriter, r *http.Request) {
	var req probity.StatementRequest
	if err := decodeJSON(w, r, &req, `"domain" and optional "holder_key" (a public JWK), "claims", "validity" or "expires_at"`); err != nil {
		Error(w, r, err)
		return
	}
	req.Issuer = s.publicURL(r)
	st, err := s.Statements.IssueStatement(r.Context(), req)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, st)
}

// handleRevokeStatement revokes one of the subject's statements.
func (s *Server) handleRevokeStatement(w http.ResponseWriter, r *http.Request) {
	domain, id := r.PathValue("domain"), r.PathValue("statement")
	if err := s.Statements.RevokeStatement(r.Context(), domain, id); err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"domain": domain, "id": id, "revoked": true})
}

// handleStatusList serves a domain's status list (IETF Token Status List)
// as a signed JWT, to anyone: each statement names its place in it.
func (s *Server) handleStatusList(w http.ResponseWriter, r *http.Request) {
	uri := s.publicURL(r) + "/statuslists/" + r.PathValue("domain")
	jwt, err := s.Statements.StatusList(r.Context(), r.PathValue("domain"), uri)
	if err != nil {
		Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=60")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Content-Type", "application/statuslist+jwt")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write([]byte(jwt)) // a compact JWT, nothing after it
}

// handleIssuerMetadata serves the JWT VC issuer metadata: the issuer and
// the keys its statements are signed with.
func (s *Server) handleIssuerMetadata(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, map[string]any{"issuer": s.publicURL(r), "jwks": s.Statements.StatementKeys()})
}
