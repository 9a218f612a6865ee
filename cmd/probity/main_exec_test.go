package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/probity-dev/probity/http/openapitest"
)

// TestMain lets a test run the CLI as a separate process (to kill it): with
// PROBITY_TEST_MAIN=1 the test binary runs probity with its arguments.
func TestMain(m *testing.M) {
	if os.Getenv("PROBITY_TEST_MAIN") == "1" {
		main := NewMain()
		if err := main.Run(context.Background(), os.Args[1:]); err != nil {
			os.Stderr.WriteString("probity: " + oneLine(err) + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(checkedRun(m))
}

// checkedRun runs the tests with every request they send through the
// default transport (the API's client among them) checked against the
// OpenAPI document, as the http package's tests are: the end-to-end tests
// drive the real binary, so the document holds for it too.
func checkedRun(m *testing.M) int {
	contract, err := openapitest.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	http.DefaultTransport = contract.Transport(http.DefaultTransport)
	code := m.Run()
	if faults, checked := contract.Faults(); len(faults) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d of %d requests and answers disagree with http/openapi.yaml:\n  %s\n", len(faults), checked, strings.Join(faults, "\n  "))
		code = 1
	} else if testing.Verbose() {
		fmt.Printf("openapi: %d requests and answers checked against http/openapi.yaml\n", checked)
	}
	return code
}
