package http_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	phttp "github.com/probity-dev/probity/http"
	"github.com/probity-dev/probity/http/openapitest"
)

// contract is the API's OpenAPI document, which TestMain checks every
// request and answer of this package's tests against.
var contract *openapitest.Contract

// TestMain routes every request these tests send through the default
// transport past the OpenAPI document: a request it does not admit must be
// refused, and every answer must be one it describes. Any fault fails the
// run, with the request named.
func TestMain(m *testing.M) {
	var err error
	if contract, err = openapitest.Load(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	http.DefaultTransport = contract.Transport(http.DefaultTransport)
	code := m.Run()
	faults, checked := contract.Faults()
	if len(faults) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d of %d requests and answers disagree with http/openapi.yaml:\n  %s\n", len(faults), checked, strings.Join(faults, "\n  "))
		code = 1
	} else if testing.Verbose() {
		fmt.Printf("openapi: %d requests and answers checked against http/openapi.yaml\n", checked)
	}
	os.Exit(code)
}

// TestOpenAPIRoutes: the document declares every route the server
// registers, and no route it does not.
func TestOpenAPIRoutes(t *testing.T) {
	srv := phttp.NewServer(nil, nil)
	served, declared := srv.Routes(), contract.Routes()
	for _, p := range served {
		if !slices.Contains(declared, p) {
			t.Errorf("route %q is served but missing from http/openapi.yaml", p)
		}
	}
	for _, p := range declared {
		if !slices.Contains(served, p) {
			t.Errorf("http/openapi.yaml declares %q, which the server does not serve", p)
		}
	}
}

// TestOpenAPIServed: GET /v1/openapi.json serves the document as JSON to
// anyone, and it is the one in the repository.
func TestOpenAPIServed(t *testing.T) {
	srv := startServer(t)
	bearer = ""
	resp, raw := sendRaw(t, "", "GET", srv.URL()+"/v1/openapi.json", "", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /v1/openapi.json: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" || doc.Paths["/v1/domains/{id}/scores"] == nil {
		t.Fatalf("served document: openapi %q, %d paths", doc.OpenAPI, len(doc.Paths))
	}
}

// contentTypeOf is what a request of a table test carries: a spec in
// YAML, events as NDJSON, anything else JSON.
func contentTypeOf(method, path string) string {
	switch {
	case method == "PUT":
		return "application/yaml"
	case strings.HasSuffix(path, "/events"):
		return "application/x-ndjson"
	}
	return "application/json"
}
