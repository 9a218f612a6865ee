package main

import (
	"context"
	"os"
	"testing"
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
	os.Exit(m.Run())
}
