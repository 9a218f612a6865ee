package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// verifyRemote proves, from a server alone, that its log has only grown
// since a checkpoint the auditor kept (consistency) and that a leaf of that
// checkpoint is in the current tree (inclusion).
func (c *AuditCommand) verifyRemote(ctx context.Context, base, log, cpFile, key string, index int64) error {
	if cpFile == "" {
		return fmt.Errorf("audit verify --url: --checkpoint FILE is required (save one with probity audit checkpoint, or GET /v1/audit/checkpoint)")
	}
	kept, err := os.ReadFile(cpFile)
	if err != nil {
		return err
	}
	var asJSON probity.Checkpoint
	if json.Unmarshal(kept, &asJSON) == nil && asJSON.Note != "" {
		kept = []byte(asJSON.Note) // a checkpoint kept in its JSON form
	}
	client := &remote{base: strings.TrimSuffix(base, "/"), http: &http.Client{Timeout: 30 * time.Second}, ctx: ctx}
	if key == "" {
		var k struct{ Key string }
		if err := client.get("/v1/audit/key?format=json&log="+log, &k); err != nil {
			return err
		}
		key = k.Key
		fmt.Fprintf(c.m.Stdout, "key (as the server states it; pin it with --key): %s\n", key)
	}
	verifier, err := audit.VerifiersOf(key)
	if err != nil {
		return fmt.Errorf("--key: %v", err)
	}
	old, err := audit.OpenCheckpoint(kept, verifier)
	if err != nil {
		return fmt.Errorf("%s: %v", cpFile, err)
	}
	var cur probity.Checkpoint
	if err := client.get("/v1/audit/checkpoint?format=json&log="+log, &cur); err != nil {
		return err
	}
	now, err := audit.OpenCheckpoint([]byte(cur.Note), verifier)
	if err != nil {
		return fmt.Errorf("the server's checkpoint: %v", err)
	}
	if now.Origin != old.Origin {
		return fmt.Errorf("the server's log is %q, the kept checkpoint's %q", now.Origin, old.Origin)
	}
	if now.Size < old.Size {
		return fmt.Errorf("the server's log has %d leaves, fewer than the %d of the kept checkpoint: it was rolled back", now.Size, old.Size)
	}
	var cons probity.Proof
	if err := client.get(fmt.Sprintf("/v1/audit/proofs/consistency?log=%s&from=%d&to=%d", log, old.Size, now.Size), &cons); err != nil {
		return err
	}
	if err := audit.VerifyConsistency(old.Size, now.Size, cons.Hashes, old.Root, now.Root); err != nil {
		return fmt.Errorf("consistency %d -> %d: %v: the log was rewritten", old.Size, now.Size, err)
	}
	fmt.Fprintf(c.m.Stdout, "consistent: the log grew from %d to %d leaves without changing the first %d\n", old.Size, now.Size, old.Size)
	if index < 0 {
		index = int64(old.Size) - 1
	}
	if index < 0 {
		return nil
	}
	return c.verifyInclusion(client, log, uint64(index), now)
}

func (c *AuditCommand) verifyInclusion(client *remote, log string, index uint64, now *audit.SignedCheckpoint) error {
	if index >= now.Size {
		return fmt.Errorf("--index %d: the log has %d leaves", index, now.Size)
	}
	var page struct{ Entries []probity.PublicEntry }
	if err := client.get(fmt.Sprintf("/v1/audit/entries?log=%s&start=%d&end=%d", log, index, index+1), &page); err != nil {
		return err
	}
	if len(page.Entries) != 1 {
		return fmt.Errorf("the server has no leaf %d", index)
	}
	hash := audit.HashLeaf([]byte(page.Entries[0].Data))
	var incl probity.Proof
	if err := client.get(fmt.Sprintf("/v1/audit/proofs/inclusion?log=%s&index=%d&size=%d", log, index, now.Size), &incl); err != nil {
		return err
	}
	if err := audit.VerifyInclusion(index, now.Size, hash, incl.Hashes, now.Root); err != nil {
		return fmt.Errorf("inclusion of leaf %d: %v", index, err)
	}
	fmt.Fprintf(c.m.Stdout, "included: leaf %d (%s) is in the tree of %d leaves\n", index, page.Entries[0].Action, now.Size)
	fmt.Fprintln(c.m.Stdout, "OK")
	return nil
}

// remote is a small client of a server's audit routes.
type remote struct {
	base string
	http *http.Client
	ctx  context.Context
}

func (r *remote) get(path string, v any) error {
	req, err := http.NewRequestWithContext(r.ctx, "GET", r.base+path, nil)
	if err != nil {
		return err
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(body)))
	}
	return json.Unmarshal(body, v)
}
