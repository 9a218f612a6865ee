package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/client"
	"github.com/probity-dev/probity/witness"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

const auditRemoteUsage = `Usage: probity audit verify --url URL [--log L] [--key K] [--checkpoint FILE|DIR]
                           [--state DIR] [--witness VKEY ...] [--witness-quorum K] [--json]

Follow a server's logs as C2SP tlog-tiles, as any outsider can: for each log
(GET /logs lists them) check its checkpoint's signature, fetch every entry
bundle and tile, rebuild the tree and check its root against the
checkpoint's, check that the first leaves still give the checkpoint you kept
last time (the log only grew: no rollback, no fork), and keep the new
checkpoint for next time. With --witness, the installation log's checkpoint
must carry cosignatures of --witness-quorum of those witnesses.
`

// remoteVerify is what audit verify --url was asked.
type remoteVerify struct {
	url, log, key, kept, state string
	witnesses                  []*witness.Witness
	quorum                     int
	parallel                   int
	json                       bool
	// keptUsed says whether a --checkpoint FILE was some log's.
	keptUsed bool
}

// remoteResult is the JSON report of audit verify --url.
type remoteResult struct {
	OK bool `json:"ok"`
	// Key is the log key the checkpoints were checked with; KeyFrom says
	// whether it was given (--key) or taken from the server.
	Key     string      `json:"key"`
	KeyFrom string      `json:"key_from"`
	Logs    []logResult `json:"logs"`
}

// logResult is what audit verify --url found of one log.
type logResult struct {
	Name     string  `json:"name"`
	Origin   string  `json:"origin,omitempty"`
	Size     uint64  `json:"size"`
	Root     string  `json:"root,omitempty"`
	KeptSize *uint64 `json:"kept_size,omitempty"`
	KeptFrom string  `json:"kept_from,omitempty"`
	// Bundles and Tiles are how many resources were fetched and checked.
	Bundles int `json:"bundles"`
	Tiles   int `json:"tiles"`
	// CosignedBy names the witnesses (of --witness) whose cosignatures
	// verify on the checkpoint.
	CosignedBy []string `json:"cosigned_by,omitempty"`
	SavedTo    string   `json:"saved_to,omitempty"`
	Error      string   `json:"error,omitempty"`
}

// isRemoteVerify reports whether audit verify's arguments ask for a server
// (--url) rather than a data directory.
func isRemoteVerify(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name == "url" {
			return true
		}
	}
	return false
}

// verifyRemote runs audit verify --url.
func (c *AuditCommand) verifyRemote(ctx context.Context, args []string) error {
	fs := newFlagSet("audit verify", auditRemoteUsage, c.m.Stdout)
	var v remoteVerify
	fs.StringVar(&v.url, "url", "", "the server, e.g. https://probity.example.org")
	fs.StringVar(&v.log, "log", "", "the log to verify (default: every log GET /logs lists)")
	fs.StringVar(&v.key, "key", "", "the note verifier key of any of the installation's logs (default: ask the server, and trust it)")
	fs.StringVar(&v.kept, "checkpoint", "", "a checkpoint you kept (a note, or its JSON), or a directory of them by origin (default: those kept in --state)")
	fs.StringVar(&v.state, "state", "", "directory where each log's verified checkpoint is kept for next time (default $HOME/.probity/checkpoints)")
	fs.Func("witness", "a witness's cosignature key (C2SP vkey); repeat for each witness", func(s string) error {
		k, err := witness.ParseVerifierKey(s)
		if err == nil {
			v.witnesses = append(v.witnesses, &witness.Witness{Key: k})
		}
		return err
	})
	fs.IntVar(&v.quorum, "witness-quorum", 0, "how many of the --witness keys must have cosigned the installation log's checkpoint (default: all)")
	fs.IntVar(&v.parallel, "parallel", 8, "resources fetched at once")
	fs.BoolVar(&v.json, "json", false, "print the result as JSON")
	if rest, err := parseArgs(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return fmt.Errorf("audit verify: unexpected argument %q (see probity audit verify --url -h)", rest[0])
	}
	if err := v.check(c.m.Getenv("HOME")); err != nil {
		return err
	}
	res, err := v.run(ctx, c.m.Stdout)
	if v.json {
		if perr := printJSON(c.m.Stdout, res); perr != nil {
			return perr
		}
	}
	return err
}

// check completes and checks the flags.
func (v *remoteVerify) check(home string) error {
	switch {
	case v.url == "":
		return fmt.Errorf("audit verify: --url is empty; want the server's URL, e.g. https://probity.example.org")
	case v.quorum < 0 || v.quorum > len(v.witnesses):
		return fmt.Errorf("audit verify: --witness-quorum %d: want 1 to the %d --witness keys given", v.quorum, len(v.witnesses))
	case v.parallel < 1:
		return fmt.Errorf("audit verify: --parallel %d: want at least 1", v.parallel)
	}
	if v.quorum == 0 {
		v.quorum = len(v.witnesses)
	}
	if v.state == "" {
		if home == "" {
			return fmt.Errorf("audit verify: --state: no $HOME to keep checkpoints in; name a directory")
		}
		v.state = filepath.Join(home, ".probity", "checkpoints")
	}
	v.url = strings.TrimRight(v.url, "/")
	return nil
}

// run verifies the logs, printing as it goes unless the result is JSON.
func (v *remoteVerify) run(ctx context.Context, stdout io.Writer) (*remoteResult, error) {
	out := io.Discard
	if !v.json {
		out = stdout
	}
	client := newTileClient(v.url)
	res := &remoteResult{Logs: []logResult{}}
	logs, err := client.logs(ctx)
	if err != nil {
		return res, err
	}
	if v.log != "" {
		logs, err = pickLog(logs, v.log)
		if err != nil {
			return res, err
		}
	}
	res.Key, res.KeyFrom = v.key, "given"
	if v.key == "" {
		res.Key, res.KeyFrom = logs[0].Key, "server"
		fmt.Fprintf(out, "key: %s, as the server states it (pin it with --key)\n", res.Key)
	}
	verifiers, err := audit.VerifiersOf(res.Key)
	if err != nil {
		return res, fmt.Errorf("--key: %v", err)
	}
	var failed []string
	for _, l := range logs {
		r := v.verifyLog(ctx, client, verifiers, l, out)
		res.Logs = append(res.Logs, r)
		if r.Error != "" {
			failed = append(failed, r.Error)
			fmt.Fprintf(out, "FAILED: %s\n", r.Error)
		}
	}
	if info, err := os.Stat(v.kept); v.kept != "" && err == nil && !info.IsDir() && !v.keptUsed {
		failed = append(failed, fmt.Sprintf("--checkpoint %s: its origin is none of the logs verified (GET /logs lists them)", v.kept))
	}
	if len(v.witnesses) > 0 && v.log != "" && v.log != probity.InstallationLog {
		if err := v.witnessInstallation(ctx, client, verifiers, out); err != nil {
			failed = append(failed, err.Error())
			fmt.Fprintf(out, "FAILED: %s\n", err)
		}
	}
	switch len(failed) {
	case 0:
		res.OK = true
		fmt.Fprintf(out, "OK: %s verified\n", count(len(logs), "log", "logs"))
		return res, nil
	case 1:
		return res, errors.New(failed[0])
	}
	return res, fmt.Errorf("%d of %d logs failed verification:\n  %s", len(failed), len(logs), strings.Join(failed, "\n  "))
}

// servedLog is one log of GET /logs.
type servedLog = client.LogListing

// pickLog returns the log named name among those the server lists.
func pickLog(logs []servedLog, name string) ([]servedLog, error) {
	var names []string
	for _, l := range logs {
		if l.Name == name {
			return []servedLog{l}, nil
		}
		names = append(names, l.Name)
	}
	return nil, fmt.Errorf("--log %s: the server lists no such log; it lists %s", name, strings.Join(names, ", "))
}

// verifyLog verifies one log and keeps its checkpoint; its Error says what
// failed.
func (v *remoteVerify) verifyLog(ctx context.Context, client *tileClient, verifiers note.Verifiers, l servedLog, out io.Writer) logResult {
	r := logResult{Name: l.Name, Origin: l.Origin}
	fail := func(format string, args ...any) logResult {
		r.Error = "log " + l.Name + ": " + fmt.Sprintf(format, args...)
		return r
	}
	raw, err := client.checkpoint(ctx, l.Name)
	if err != nil {
		return fail("%v", err)
	}
	cp, err := audit.OpenCheckpoint(raw, verifiers)
	if err != nil {
		return fail("the server's checkpoint does not verify with the log key: %v", err)
	}
	if want := l.Origin; cp.Origin != want || !strings.HasSuffix(cp.Origin, "/"+l.Name) {
		return fail("the server's checkpoint is of origin %q, but the log is listed with origin %q (want PREFIX/%s)", cp.Origin, want, l.Name)
	}
	r.Size, r.Root = cp.Size, base64.StdEncoding.EncodeToString(cp.Root)
	fmt.Fprintf(out, "log %s (%s): checkpoint of %s, root %s, signature verified\n", l.Name, cp.Origin, count(cp.Size, "leaf", "leaves"), r.Root)
	kept, from, err := v.keptCheckpoint(cp.Origin, verifiers)
	if err != nil {
		return fail("%v", err)
	}
	if kept != nil {
		r.KeptSize, r.KeptFrom = &kept.Size, from
		if kept.Size > cp.Size {
			return fail("the server's checkpoint has %s, fewer than the %d you kept (%s): it was rolled back", count(cp.Size, "leaf", "leaves"), kept.Size, from)
		}
	}
	sizes := []uint64{cp.Size}
	if kept != nil {
		sizes = append(sizes, kept.Size)
	}
	rebuilt, err := rebuildFromTiles(ctx, client, l.Name, cp.Size, sizes, v.parallel)
	if rebuilt != nil {
		r.Bundles, r.Tiles = rebuilt.bundles, rebuilt.tiles
	}
	if err != nil {
		return fail("%v", err)
	}
	if kept != nil && !bytes.Equal(rebuilt.roots[kept.Size], kept.Root) {
		return fail("the server's first %d leaves have root %s, but the checkpoint you kept (%s) of %d leaves has root %s: the log was rewritten (a fork)",
			kept.Size, base64.StdEncoding.EncodeToString(rebuilt.roots[kept.Size]), from, kept.Size, base64.StdEncoding.EncodeToString(kept.Root))
	}
	if !bytes.Equal(rebuilt.roots[cp.Size], cp.Root) {
		return fail("its %d leaves, as served in entry bundles, have root %s, but its checkpoint says %s: the tiles do not match the checkpoint",
			cp.Size, base64.StdEncoding.EncodeToString(rebuilt.roots[cp.Size]), r.Root)
	}
	fmt.Fprintf(out, "  rebuilt from %s and %s: every tile and the root match the checkpoint\n", count(r.Bundles, "entry bundle", "entry bundles"), count(r.Tiles, "tile", "tiles"))
	if kept == nil {
		fmt.Fprintf(out, "  no checkpoint kept from before: trusting this one from now on\n")
	} else if kept.Size == cp.Size {
		fmt.Fprintf(out, "  the same %s as the checkpoint you kept (%s)\n", count(cp.Size, "leaf", "leaves"), from)
	} else {
		fmt.Fprintf(out, "  consistent with the checkpoint you kept (%s): grew from %d to %d leaves without changing the first %d\n", from, kept.Size, cp.Size, kept.Size)
	}
	if l.Name == probity.InstallationLog && len(v.witnesses) > 0 {
		if r.CosignedBy, err = v.checkQuorum(raw); err != nil {
			return fail("%v", err)
		}
		fmt.Fprintf(out, "  cosigned by %d of the %d witnesses named: %s\n", len(r.CosignedBy), len(v.witnesses), strings.Join(r.CosignedBy, ", "))
	}
	if r.SavedTo, err = v.save(cp.Origin, raw); err != nil {
		return fail("keeping the checkpoint: %v", err)
	}
	fmt.Fprintf(out, "  kept for next time in %s\n", r.SavedTo)
	return r
}

// witnessInstallation checks the quorum on the installation log's
// checkpoint when only a domain log is verified: witnesses cosign the
// installation log, which records every domain log's checkpoints.
func (v *remoteVerify) witnessInstallation(ctx context.Context, client *tileClient, verifiers note.Verifiers, out io.Writer) error {
	raw, err := client.checkpoint(ctx, probity.InstallationLog)
	if err != nil {
		return fmt.Errorf("log %s: %v", probity.InstallationLog, err)
	}
	if _, err := audit.OpenCheckpoint(raw, verifiers); err != nil {
		return fmt.Errorf("log %s: the server's checkpoint does not verify with the log key: %v", probity.InstallationLog, err)
	}
	names, err := v.checkQuorum(raw)
	if err != nil {
		return fmt.Errorf("log %s: %v", probity.InstallationLog, err)
	}
	fmt.Fprintf(out, "log %s: checkpoint cosigned by %d of the %d witnesses named: %s\n", probity.InstallationLog, len(names), len(v.witnesses), strings.Join(names, ", "))
	return nil
}

// checkQuorum returns the witnesses whose cosignatures verify on a
// checkpoint, or an error naming those missing if they are too few.
func (v *remoteVerify) checkQuorum(signed []byte) ([]string, error) {
	n, names := witness.Quorum(signed, v.witnesses)
	if n >= v.quorum {
		return names, nil
	}
	var missing []string
	for _, w := range v.witnesses {
		found := false
		for _, name := range names {
			found = found || name == w.Name()
		}
		if !found {
			missing = append(missing, w.Name())
		}
	}
	return names, fmt.Errorf("the checkpoint carries valid cosignatures of %d of the %d witnesses you named, and %d are needed: none (or no valid one) from %s",
		n, len(v.witnesses), v.quorum, strings.Join(missing, ", "))
}

// keptCheckpoint returns the checkpoint kept for an origin (--checkpoint,
// or the state directory) and where it came from, or nil if none is.
func (v *remoteVerify) keptCheckpoint(origin string, verifiers note.Verifiers) (*audit.SignedCheckpoint, string, error) {
	path, err := v.keptPath(origin)
	if err != nil || path == "" {
		return nil, "", err
	}
	buf, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && path != v.kept {
		return nil, "", nil // nothing kept yet
	} else if err != nil {
		return nil, "", fmt.Errorf("the checkpoint you kept: %v", err)
	}
	var asJSON probity.Checkpoint
	if json.Unmarshal(buf, &asJSON) == nil && asJSON.Note != "" {
		buf = []byte(asJSON.Note) // kept in its JSON form
	}
	kept, err := audit.OpenCheckpoint(buf, verifiers)
	if err != nil {
		return nil, "", fmt.Errorf("the checkpoint you kept (%s) does not verify with the log key: %v", path, err)
	}
	if kept.Origin != origin {
		return nil, "", fmt.Errorf("the checkpoint you kept (%s) is of origin %q, not of this log's %q", path, kept.Origin, origin)
	}
	v.keptUsed = v.keptUsed || path == v.kept
	return kept, path, nil
}

// keptPath returns the file a log's kept checkpoint is read from: the
// --checkpoint file if it is of this origin, the origin's file in the
// --checkpoint directory or the state directory, or "" when a
// --checkpoint file is of another log.
func (v *remoteVerify) keptPath(origin string) (string, error) {
	if v.kept == "" {
		return originPath(v.state, origin)
	}
	if info, err := os.Stat(v.kept); err == nil && info.IsDir() {
		return originPath(v.kept, origin)
	} else if err != nil {
		return "", fmt.Errorf("--checkpoint: %v", err)
	}
	buf, err := os.ReadFile(v.kept)
	if err != nil {
		return "", fmt.Errorf("--checkpoint: %v", err)
	}
	var asJSON probity.Checkpoint
	if json.Unmarshal(buf, &asJSON) == nil && asJSON.Note != "" {
		buf = []byte(asJSON.Note)
	}
	first, _, _ := strings.Cut(string(buf), "\n")
	if v.log == "" && first != origin {
		return "", nil // a checkpoint of another log
	}
	return v.kept, nil
}

// originPath returns the file of an origin's checkpoint under dir: its
// path elements as directories, none of them empty, "." or "..".
func originPath(dir, origin string) (string, error) {
	for _, e := range strings.Split(origin, "/") {
		if e == "" || e == "." || e == ".." || strings.ContainsAny(e, `\:`) {
			return "", fmt.Errorf("origin %q cannot name a file to keep its checkpoint in", origin)
		}
	}
	return filepath.Join(dir, filepath.FromSlash(origin)), nil
}

// save keeps a verified checkpoint for next time, replacing the file at
// once so that a crash never leaves half of one.
func (v *remoteVerify) save(origin string, signed []byte) (string, error) {
	path, err := originPath(v.state, origin)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, signed, 0o600); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}

// tileClient reads a server's tiles and logs through the API's client,
// which waits and retries when the server asks it to (429, 503 with
// Retry-After).
type tileClient struct {
	api *client.Client
}

func newTileClient(url string) *tileClient {
	api := client.New(url, "")
	api.HTTP, api.Retries, api.UserAgent = &http.Client{Timeout: time.Minute}, 9, "probity-audit-verify"
	return &tileClient{api: api}
}

func (c *tileClient) logs(ctx context.Context) ([]client.LogListing, error) {
	logs, err := c.api.Logs(ctx)
	if err != nil {
		return nil, fmt.Errorf("GET /logs: %v", err)
	}
	if len(logs) == 0 {
		return nil, fmt.Errorf("GET /logs: the server lists no logs")
	}
	return logs, nil
}

// checkpoint fetches a log's checkpoint.
func (c *tileClient) checkpoint(ctx context.Context, log string) ([]byte, error) {
	body, err := c.api.LogCheckpoint(ctx, log)
	if err != nil {
		return nil, fmt.Errorf("GET /logs/%s/checkpoint: %v", log, err)
	}
	return body, nil
}

// resource fetches a tile or bundle of width, falling back to the full
// one (cut to width) if the server no longer has the partial one.
func (c *tileClient) resource(ctx context.Context, log, path string, width int) ([]byte, error) {
	body, err := c.api.Tile(ctx, log, path)
	if probity.ErrorCode(err) == probity.ENOTFOUND && width < audit.TileWidth {
		full, _, _ := strings.Cut(path, ".p/")
		if body, ferr := c.api.Tile(ctx, log, full); ferr == nil {
			return body, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("GET /logs/%s/%s: %v", log, path, err)
	}
	return body, nil
}

// count says how many of a thing there are: "1 leaf", "3 leaves".
func count[N int | uint64](n N, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// rebuilt is a log's tree rebuilt from its entry bundles.
type rebuilt struct {
	// roots are the roots at the sizes asked for.
	roots          map[uint64][]byte
	bundles, tiles int
}

// rebuildFromTiles fetches a log's entry bundles up to size, in order and
// parallel fetches ahead, hashes their entries into a tree, and checks
// every hash tile the server has for that size (full and partial) against
// the tree; it returns the tree's roots at the sizes in at. Memory stays
// bounded however large the log: a compact range and one tile per level.
func rebuildFromTiles(ctx context.Context, client *tileClient, log string, size uint64, at []uint64, parallel int) (*rebuilt, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	res := &rebuilt{roots: map[uint64][]byte{}}
	rng := (&compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}).NewEmptyRange(0)
	keepRoot := func() {
		for _, s := range at {
			if s == rng.End() {
				res.roots[s] = audit.EmptyRoot()
				if s > 0 {
					res.roots[s], _ = rng.GetRootHash(nil)
				}
			}
		}
	}
	checks := &tileChecks{ctx: ctx, cancel: cancel, sem: make(chan struct{}, parallel), client: client, log: log}
	pending := map[compact.NodeID][]byte{} // tiles being filled, by tile level and index
	visit := func(id compact.NodeID, h []byte) {
		if id.Level%audit.TileHeight != 0 {
			return
		}
		key := compact.NewNodeID(id.Level/audit.TileHeight, id.Index/audit.TileWidth)
		pending[key] = append(pending[key], h...)
		if len(pending[key]) == audit.TileWidth*32 {
			checks.add(key, pending[key])
			delete(pending, key)
		}
	}
	keepRoot()
	err := inOrder(ctx, (size+audit.TileWidth-1)/audit.TileWidth, parallel, func(ctx context.Context, i uint64) ([]byte, error) {
		w := audit.TileWidthAt(0, i, size)
		return client.resource(ctx, log, audit.EntriesPath(i, w), w)
	}, func(i uint64, body []byte) error {
		w := audit.TileWidthAt(0, i, size)
		entries, err := audit.ParseEntryBundle(body)
		if err == nil && len(entries) < w {
			err = fmt.Errorf("%d entries, want %d", len(entries), w)
		}
		if err != nil {
			return fmt.Errorf("entry bundle %s: %v", audit.EntriesPath(i, w), err)
		}
		for _, e := range entries[:w] {
			if err := rng.Append(audit.HashLeaf(e), visit); err != nil {
				return err
			}
			keepRoot()
		}
		res.bundles++
		return nil
	})
	for key, h := range pending { // the partial tiles at the right edge
		checks.add(key, h)
	}
	cerr := checks.wait()
	res.tiles = checks.count
	if cerr != nil {
		return res, cerr // the first tile that differs, which stopped the bundles
	}
	return res, err
}

// tileChecks fetches the server's hash tiles, at most cap(sem) at once,
// and compares each with the tile the entries give.
type tileChecks struct {
	ctx    context.Context
	cancel func()
	sem    chan struct{}
	client *tileClient
	log    string

	wg    sync.WaitGroup
	mu    sync.Mutex
	err   error
	count int
}

func (t *tileChecks) add(key compact.NodeID, want []byte) {
	select {
	case t.sem <- struct{}{}:
	case <-t.ctx.Done():
		return
	}
	t.wg.Add(1)
	go func() {
		defer func() { <-t.sem; t.wg.Done() }()
		err := t.check(uint64(key.Level), key.Index, want)
		t.mu.Lock()
		defer t.mu.Unlock()
		if err != nil && t.err == nil {
			t.err = err
			t.cancel()
		} else if err == nil {
			t.count++
		}
	}()
}

func (t *tileChecks) check(level, index uint64, want []byte) error {
	w := len(want) / 32
	path := audit.TilePath(level, index, w)
	got, err := t.client.resource(t.ctx, t.log, path, w)
	if err != nil {
		return err
	}
	if len(got) < len(want) || len(got)%32 != 0 {
		return fmt.Errorf("tile %s has %d bytes, want %d hashes of 32", path, len(got), w)
	}
	for i := 0; i < w; i++ {
		if g, h := got[i*32:(i+1)*32], want[i*32:(i+1)*32]; !bytes.Equal(g, h) {
			return fmt.Errorf("tile %s differs from the tree its entry bundles give: hash %d is %x, the entries give %x", path, i, g, h)
		}
	}
	return nil
}

func (t *tileChecks) wait() error {
	t.wg.Wait()
	return t.err
}

// inOrder fetches n resources, up to parallel at once, and hands them to
// use in index order; it stops at the first error.
func inOrder(ctx context.Context, n uint64, parallel int, fetch func(context.Context, uint64) ([]byte, error), use func(uint64, []byte) error) error {
	type result struct {
		body []byte
		err  error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	queue := make(chan chan result, parallel)
	go func() {
		defer close(queue)
		for i := uint64(0); i < n; i++ {
			ch := make(chan result, 1)
			select {
			case queue <- ch:
			case <-ctx.Done():
				return
			}
			go func() {
				body, err := fetch(ctx, i)
				ch <- result{body, err}
			}()
		}
	}()
	i := uint64(0)
	for ch := range queue {
		r := <-ch
		if r.err == nil {
			r.err = use(i, r.body)
		}
		if r.err != nil {
			cancel()
			for range queue {
			}
			return r.err
		}
		i++
	}
	if i < n {
		return ctx.Err()
	}
	return nil
}
