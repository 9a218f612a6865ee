package main

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	out := mustRun(t, "version")
	if !strings.HasPrefix(out, "probity ") || !strings.Contains(out, runtime.Version()) {
		t.Fatalf("probity version = %q; want the version and the Go toolchain", out)
	}
	var v Version
	if err := json.Unmarshal([]byte(mustRun(t, "version", "--json")), &v); err != nil || v.Version == "" || v.Go != runtime.Version() {
		t.Fatalf("probity version --json = %+v, %v", v, err)
	}
}
