package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/witness"
	"github.com/probity-dev/probity/witness/witnesstest"
	"golang.org/x/mod/sumdb/note"
)

// TestWitnessedServe runs probity serve with a real witness (litewitness
// from filippo.io/torchwood v0.6.1): the witness cosigns the installation
// log's checkpoints as the log grows, the served checkpoint carries a
// cosignature that verifies with the witness's key, and a fork of the
// installation (a copy that went its own way under the same key) is
// refused by the same witness, in the fork's log and in its /healthz.
func TestWitnessedServe(t *testing.T) {
	t.Cleanup(func() { noWitnessGoroutines(t) }) // last: once every server has stopped
	lw := witnesstest.Start(t)
	data := t.TempDir()
	mustRun(t, "domain", "apply", "--data", data, lendingSpec)
	desk := createToken(t, data, "desk", "reporter:acme.lending")
	// the domain log as it stands is recorded now, so that the serve's
	// seals have only the ingest below to record: one seal, not a seal of
	// the spec before the ingest and another after (on a slow store the
	// test would wait for the first and then see a second)
	mustRun(t, "audit", "seal", "--data", data)
	vkey := strings.TrimSpace(mustRun(t, "audit", "key", "--data", data, "--log", probity.InstallationLog))
	lw.AddLog(t, vkey[:strings.Index(vkey, "+")], vkey)
	w, err := witness.ParseWitness(lw.URL + "=" + lw.Vkey)
	if err != nil {
		t.Fatal(err)
	}
	logKey, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}

	// The fork: a copy of the installation before the witness saw it.
	fork := t.TempDir()
	copyInstallation(t, data, fork)

	a := serveWitnessed(t, data, "--witness", lw.URL+"="+lw.Vkey, "--witness-quorum", "1")
	first := a.waitHealth(t, "the witness to cosign the checkpoint at start", func(h witnessHealthz) bool {
		return h.Status == "ok" && h.Witnesses[0].CosignedSize > 0 && h.WitnessedSize == h.CheckpointSize
	})
	var sum probity.IngestSummary
	events := `{"key":"w-1","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-01-10","fields":{"amount":12000}}` + "\n"
	if code := post(t, a.url+"/v1/domains/acme.lending/events", desk, "application/x-ndjson", events, &sum); code != http.StatusOK || sum.Accepted != 1 {
		t.Fatalf("ingest: %d %+v", code, sum)
	}
	sealed := a.waitHealth(t, "a seal of the write, cosigned", func(h witnessHealthz) bool {
		return h.Status == "ok" && h.CheckpointSize > first.CheckpointSize && h.Witnesses[0].CosignedSize == h.CheckpointSize
	})
	if size, _ := lw.LogState(t, vkey[:strings.Index(vkey, "+")]); size != sealed.CheckpointSize {
		t.Fatalf("witnessctl list-logs: the witness holds size %d, want %d", size, sealed.CheckpointSize)
	}

	routes := []string{"/v1/audit/checkpoint", "/v1/audit/checkpoint?log=" + probity.InstallationLog}
	if code, _ := get(t, a.url+"/logs/"+probity.InstallationLog+"/checkpoint"); code == http.StatusOK {
		routes = append(routes, "/logs/"+probity.InstallationLog+"/checkpoint")
	} else {
		t.Logf("GET /logs/%s/checkpoint: %d; the tiles are not served yet, so only /v1/audit/checkpoint is checked", probity.InstallationLog, code)
	}
	for _, route := range routes {
		code, body := get(t, a.url+route)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", route, code, body)
		}
		cp := checkCosigned(t, route, body, w, logKey)
		if cp.Size < sealed.CheckpointSize {
			t.Errorf("GET %s: checkpoint of size %d, want at least %d", route, cp.Size, sealed.CheckpointSize)
		}
	}

	// The fork grows its installation log past what the witness holds,
	// so that its checkpoint can only be refused as inconsistent (422).
	for i := 0; forkSize(t, fork) <= sealed.CheckpointSize+1; i++ {
		createToken(t, fork, fmt.Sprintf("fork-%d", i), "reader:acme.lending")
	}
	b := serveWitnessed(t, fork, "--witness", lw.URL+"="+lw.Vkey)
	refused := b.waitHealth(t, "the witness's refusal of the fork", func(h witnessHealthz) bool { return h.Witnesses[0].LastError != "" })
	st := refused.Witnesses[0]
	if refused.Status != "degraded" || st.Name != lw.Name || st.URL != lw.URL || st.CosignedSize != 0 || st.LastErrorAt == nil ||
		!strings.Contains(st.LastError, "refused") || !strings.Contains(st.LastError, "422") {
		t.Fatalf("the fork's /healthz: %+v, want degraded, and the witness's 422 refusal", refused)
	}
	for _, want := range []string{"level=ERROR", "witness=" + lw.Name, "refused", "422", "size="} {
		if !strings.Contains(b.stderr.String(), want) {
			t.Errorf("the fork's log lacks %q:\n%s", want, b.stderr.String())
		}
	}
	if _, body := get(t, b.url+"/v1/audit/checkpoint"); strings.Contains(body, "— "+lw.Name+" ") {
		t.Fatalf("the fork serves a checkpoint with the witness's signature:\n%s", body)
	}
	if size, _ := lw.LogState(t, vkey[:strings.Index(vkey, "+")]); size < sealed.CheckpointSize {
		t.Fatalf("after the fork the witness holds size %d, want the real log's %d or more", size, sealed.CheckpointSize)
	}
	if h := a.health(t); h.Status != "ok" {
		t.Fatalf("the real installation's /healthz after the fork was refused: %+v", h)
	}
}

// TestWitnessAtStart: serve submits the latest installation checkpoint as
// it starts, without waiting for a seal.
func TestWitnessAtStart(t *testing.T) {
	t.Cleanup(func() { noWitnessGoroutines(t) })
	lw := witnesstest.Start(t)
	data := t.TempDir()
	mustRun(t, "domain", "apply", "--data", data, lendingSpec)
	vkey := strings.TrimSpace(mustRun(t, "audit", "key", "--data", data, "--log", probity.InstallationLog))
	lw.AddLog(t, vkey[:strings.Index(vkey, "+")], vkey)
	s := serveWitnessed(t, data, "--witness", lw.URL+"="+lw.Vkey, "--seal-every", "1h")
	s.waitHealth(t, "the witness to cosign the checkpoint at start", func(h witnessHealthz) bool {
		return h.Status == "ok" && h.CheckpointSize > 0 && h.Witnesses[0].CosignedSize == h.CheckpointSize
	})
}

// TestServeWitnessFlags: the witness flags are checked before anything
// starts, each error naming its flag.
func TestServeWitnessFlags(t *testing.T) {
	data := t.TempDir()
	good := "http://127.0.0.1:1=" + witnessVkey(t, "witness.test/w")
	for _, tt := range []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"ErrQuorumHigh", []string{"--witness", good, "--witness-quorum", "2"}, "--witness-quorum 2: want 1 to 1"},
		{"ErrQuorumZero", []string{"--witness", good, "--witness-quorum", "0"}, "--witness-quorum 0: want 1 to 1"},
		{"ErrQuorumAlone", []string{"--witness-quorum", "1"}, "--witness-quorum 1: no --witness given"},
		{"ErrWitness", []string{"--witness", "http://127.0.0.1:1"}, "-witness: witness \"http://127.0.0.1:1\": want URL=VKEY"},
		{"ErrTimeout", []string{"--witness", good, "--witness-timeout", "0s"}, "--witness-timeout 0s"},
		{"ErrSealEvery", []string{"--seal-every", "0s"}, "--seal-every 0s"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0"}, tt.args...)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second) // a serve that starts stops then
			defer cancel()
			err := (&Main{Stdout: &syncBuffer{}, Stderr: &syncBuffer{}, Getenv: testGetenv(t, nil, args)}).Run(ctx, args)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("serve %v: %v, want %q", tt.args, err, tt.wantErr)
			}
		})
	}
}

// witnessVkey is the vkey of a new cosignature/v1 key, as a witness prints it.
func witnessVkey(t *testing.T, name string) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	typed := append([]byte{witness.KeyTypeCosignatureV1}, pub...)
	id := sha256.Sum256(append([]byte(name+"\n"), typed...))
	vkey := fmt.Sprintf("%s+%08x+%s", name, binary.BigEndian.Uint32(id[:]), base64.StdEncoding.EncodeToString(typed))
	if _, err := witness.ParseVerifierKey(vkey); err != nil {
		t.Fatal(err)
	}
	return vkey
}

// noWitnessGoroutines checks that no seal loop, witness loop or
// submission outlived the servers that ran them.
func noWitnessGoroutines(t *testing.T) {
	t.Helper()
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, fn := range []string{"main.(*Main).seal(", "main.(*Main).witness(", "bureau.(*witnessing).submit("} {
		if bytes.Contains(buf, []byte(fn)) {
			t.Errorf("%s is still running after serve returned:\n%s", fn, buf)
		}
	}
}

// witnessHealthz is /healthz with witnesses.
type witnessHealthz struct {
	Status         string `json:"status"`
	CheckpointSize uint64 `json:"checkpoint_size"`
	WitnessedSize  uint64 `json:"witnessed_size"`
	Witnesses      []struct {
		Name         string     `json:"name"`
		URL          string     `json:"url"`
		CosignedSize uint64     `json:"cosigned_size"`
		LastError    string     `json:"last_error"`
		LastErrorAt  *time.Time `json:"last_error_at"`
	} `json:"witnesses"`
}

// witnessedServer is an in-process probity serve.
type witnessedServer struct {
	url    string
	stderr *syncBuffer
}

// serveWitnessed runs probity serve in-process on 127.0.0.1, sealing every
// 100ms, until the test ends, and checks then that it stopped in time.
func serveWitnessed(t *testing.T, data string, args ...string) *witnessedServer {
	t.Helper()
	args = append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0", "--seal-every", "100ms", "--rate", "100000", "--burst", "100000"}, args...)
	var stdout, stderr syncBuffer
	m := &Main{Stdout: &stdout, Stderr: &stderr, Getenv: testGetenv(t, nil, args)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, args) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve %s: %v", data, err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("serve %s did not stop within 20s of its context ending", data)
		}
	})
	serving := regexp.MustCompile(` on (http://\S+);`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := serving.FindStringSubmatch(stdout.String()); m != nil {
			return &witnessedServer{url: m[1], stderr: &stderr}
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended without serving: %v\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start in 30s:\n%s", stderr.String())
		}
	}
}

func (s *witnessedServer) health(t *testing.T) witnessHealthz {
	t.Helper()
	code, body := get(t, s.url+"/healthz")
	var h witnessHealthz
	if err := json.Unmarshal([]byte(body), &h); err != nil || code != http.StatusOK || len(h.Witnesses) != 1 {
		t.Fatalf("GET /healthz: %d %s; want 200 with one witness", code, body)
	}
	return h
}

// waitHealth polls /healthz for up to 30 seconds until ok holds.
func (s *witnessedServer) waitHealth(t *testing.T, what string, ok func(witnessHealthz) bool) witnessHealthz {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		h := s.health(t)
		if ok(h) {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 30s waiting for %s; /healthz: %+v\nthe server's log:\n%s", what, h, s.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// checkCosigned checks that a served checkpoint (its note, or its JSON)
// is signed by the log and carries w's cosignature, and returns it.
func checkCosigned(t *testing.T, route, body string, w *witness.Witness, logKey note.Verifier) *audit.SignedCheckpoint {
	t.Helper()
	signed := body
	var asJSON probity.Checkpoint
	if json.Unmarshal([]byte(body), &asJSON) == nil {
		signed = asJSON.Note
	}
	cp, err := audit.OpenCheckpoint([]byte(signed), note.VerifierList(logKey))
	if err != nil {
		t.Fatalf("GET %s: the log's signature: %v\n%s", route, err, signed)
	}
	_, sigs, _ := strings.Cut(signed, "\n\n")
	verified := 0
	for _, line := range strings.SplitAfter(sigs, "\n") {
		if line == "" {
			continue
		}
		if _, err := witness.VerifyCosignature(w, []byte(signed), []byte(line)); err == nil {
			verified++
		}
	}
	if n, _ := witness.Quorum([]byte(signed), []*witness.Witness{w}); verified != 1 || n != 1 {
		t.Fatalf("GET %s: %d cosignatures of %s verify (quorum %d), want 1:\n%s", route, verified, w.Name(), n, signed)
	}
	return cp
}

// createToken creates a principal with grants in a closed installation and
// returns its token.
func createToken(t *testing.T, data, name string, grants ...string) string {
	t.Helper()
	args := []string{"token", "create", "--data", data, "--name", name}
	for _, g := range grants {
		args = append(args, "--grant", g)
	}
	out := strings.TrimSpace(mustRun(t, args...))
	return out[strings.LastIndex(out, "\n")+1:]
}

// forkSize is the size of an installation's latest installation checkpoint.
func forkSize(t *testing.T, data string) uint64 {
	t.Helper()
	lines := strings.Split(mustRun(t, "audit", "checkpoint", "--data", data, "--log", probity.InstallationLog), "\n")
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil {
		t.Fatalf("audit checkpoint: %v", err)
	}
	return size
}
