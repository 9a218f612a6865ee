package main

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/bureau"
)

// TestServeWritesRefusalsAtShutdown: the refusals a server counted in the
// minute it stops in (beyond the first, a leaf at once) are written to the
// log as it stops, so that none goes unlogged however short the run.
func TestServeWritesRefusalsAtShutdown(t *testing.T) {
	data := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, done := runUntilServing(t, ctx, "serve", "--data", data, "--addr", addr)
	const refused = 5
	for range refused {
		req, _ := http.NewRequest("GET", "http://"+addr+"/v1/principals", nil)
		req.Header.Set("Authorization", "Bearer prb_not-a-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a bad token: %d, want 401", resp.StatusCode)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	in, err := open(context.Background(), testLocation(t, data))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	counted := 0
	err = in.db.View(context.Background(), func(tx probity.ReadTx) error {
		return tx.LogLeaves(probity.InstallationLog, 0, 100000, func(e *probity.AuditEntry) error {
			if e.Action == probity.ActionAccessDenied && strings.HasPrefix(e.Actor, "anonymous@") {
				if n, ok := bureau.RefusalCount(e.Ref); ok {
					counted += n
				} else {
					counted++
				}
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if counted != refused {
		t.Fatalf("after serve stopped, the log accounts for %d refusals, want %d", counted, refused)
	}
}
