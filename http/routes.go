package http

import "net/http"

// routeTable registers the API's routes on a mux and remembers each
// pattern, so that the server can say what it serves: the authorization
// matrix is generated from that list and fails for a route without a row.
type routeTable struct {
	mux      *http.ServeMux
	patterns []string
}

// HandleFunc registers handler for pattern, as http.ServeMux.HandleFunc
// does, and records the pattern.
func (t *routeTable) HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request)) {
	t.mux.HandleFunc(pattern, handler)
	t.patterns = append(t.patterns, pattern)
}

// Routes lists the patterns of the API's routes ("POST
// /v1/domains/{id}/events"), in the order Handler registers them, without
// the fallbacks that answer 404 or serve the pages. Tests generate the
// authorization matrix from it, so that no route ships without a row.
func (s *Server) Routes() []string {
	t := &routeTable{mux: http.NewServeMux()}
	s.apiRoutes(t)
	return t.patterns
}
