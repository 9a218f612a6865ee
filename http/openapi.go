package http

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/probity-dev/probity"
)

// OpenAPI is the OpenAPI 3.1 document of the JSON API, as kept in the
// repository (http/openapi.yaml): every route the server registers is in
// it and nothing else is (TestOpenAPIRoutes), and every request and answer
// of the HTTP tests is checked against it (openapitest).
//
//go:embed openapi.yaml
var OpenAPI []byte

// openAPIJSON is the document as served, converted from YAML once.
var openAPIJSON = sync.OnceValues(func() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(OpenAPI, &doc); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	return json.Marshal(doc)
})

// handleOpenAPI serves the document, to anyone: it says what the API is,
// not what it holds.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	body, err := openAPIJSON()
	if err != nil {
		Error(w, r, probity.Errorf(probity.EINTERNAL, "%v", err))
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeEncoded(w, http.StatusOK, body)
}
