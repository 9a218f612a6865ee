package witness

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// TestLitewitness runs the client against a real litewitness (filippo.io/
// torchwood v0.6.1), the witness most tlog-witness deployments run: it must
// cosign a new log's checkpoints, its cosignatures must verify with the vkey
// it prints, and its stale, forged and forked answers must come back as the
// typed errors the log acts on. scripts/witness-tools installs the tools.
func TestLitewitness(t *testing.T) {
	lw := startLitewitness(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	lg := newTestLog(t, testOrigin, "a", "b", "c", "d", "e", "f", "g")
	lw.addLog(t, lg.origin, lg.vkey)
	w, err := ParseWitness(lw.url + "=" + lw.vkey)
	if err != nil {
		t.Fatalf("ParseWitness with the vkey litewitness printed: %v", err)
	}

	// Size 3, the witness's first sight of the log: old 0, no proof.
	cp3 := lg.checkpoint(t, 3)
	cosig3, err := w.AddCheckpoint(ctx, 0, nil, cp3)
	if err != nil {
		t.Fatalf("AddCheckpoint(old 0, size 3): %v", err)
	}
	if when, err := VerifyCosignature(w, cp3, cosig3); err != nil {
		t.Fatalf("VerifyCosignature(size 3): %v", err)
	} else if d := time.Since(when); d < -time.Minute || d > time.Minute {
		t.Errorf("cosignature time %v, want about now", when)
	}

	// Size 7 from 3, with the RFC 6962 consistency proof.
	cp7 := lg.checkpoint(t, 7)
	cosig7, err := w.AddCheckpoint(ctx, 3, lg.proof(t, 3, 7), cp7)
	if err != nil {
		t.Fatalf("AddCheckpoint(old 3, size 7): %v", err)
	}
	if _, err := VerifyCosignature(w, cp7, cosig7); err != nil {
		t.Fatalf("VerifyCosignature(size 7): %v", err)
	}
	if _, err := VerifyCosignature(w, cp3, cosig7); err == nil {
		t.Fatal("the size 7 cosignature verifies over the size 3 checkpoint")
	}
	cosigned, err := MergeCosignatures(cp7, cosig7)
	if err != nil {
		t.Fatal(err)
	}
	if n, names := Quorum(cosigned, []*Witness{w}); n != 1 || names[0] != lw.name {
		t.Fatalf("Quorum=%d %q, want 1 [%s]", n, names, lw.name)
	}
	if n, err := note.Open(cosigned, note.VerifierList(lg.verifier, w.Key)); err != nil || len(n.Sigs) != 2 {
		t.Fatalf("note.Open(cosigned checkpoint) = %v; want the log's and the witness's signatures", err)
	}
	stranger := mustWitness(t, lw.url, newCosigner(t, lw.name)) // same name, another key
	if n, _ := Quorum(cosigned, []*Witness{stranger}); n != 0 {
		t.Fatalf("Quorum counts %d cosignatures for a witness key that signed nothing", n)
	}

	// An old size behind the witness's: 409 with the size it cosigned.
	_, err = w.AddCheckpoint(ctx, 0, nil, cp7)
	var stale *StaleError
	if !errors.As(err, &stale) || stale.WitnessSize != 7 {
		t.Fatalf("AddCheckpoint(old 0, size 7) after 7 = %v, want *StaleError with WitnessSize 7", err)
	}

	// A fork: another tree of size 7 under the same key, then one that
	// extends the fork; the witness refuses both.
	fork := newTestLog(t, testOrigin, "a", "b", "X", "Y", "Z", "W", "V", "U", "T")
	fork.signer, fork.verifier = lg.signer, lg.verifier
	_, err = w.AddCheckpoint(ctx, 7, nil, fork.checkpoint(t, 7))
	wantRefusal(t, "forked size 7", err, http.StatusUnprocessableEntity, "")
	_, err = w.AddCheckpoint(ctx, 7, fork.proof(t, 7, 9), fork.checkpoint(t, 9))
	wantRefusal(t, "fork extended to 9", err, http.StatusUnprocessableEntity, "")

	// A checkpoint of the log's origin signed by a key the witness does not
	// trust for it.
	impostor := newTestLog(t, testOrigin, "a", "b", "c", "d", "e", "f", "g", "h")
	_, err = w.AddCheckpoint(ctx, 7, nil, impostor.checkpoint(t, 8))
	wantRefusal(t, "checkpoint signed by another key", err, http.StatusForbidden, "")

	// A log the witness was never told about: tlog-witness says 404,
	// litewitness v0.6.1 answers 403 "unknown log".
	other := newTestLog(t, "example.org/probity/acme.lending", "a")
	_, err = w.AddCheckpoint(ctx, 0, nil, other.checkpoint(t, 1))
	if !errors.Is(err, ErrUnknownLog) {
		wantRefusal(t, "unknown log", err, http.StatusForbidden, "unknown log")
	}

	// The witness still holds the real tree of size 7.
	size, root := lw.logState(t, lg.origin)
	if r := lg.root(t, 7); size != 7 || root != base64.StdEncoding.EncodeToString(r[:]) {
		t.Fatalf("witnessctl list-logs: size %d root %s, want 7 %x", size, root, r)
	}
}

func wantRefusal(t *testing.T, what string, err error, status int, reason string) {
	t.Helper()
	var r *RefusedError
	if !errors.As(err, &r) || r.Status != status {
		t.Fatalf("%s: AddCheckpoint = %v, want *RefusedError with status %d", what, err, status)
	}
	if !strings.Contains(r.Reason, reason) {
		t.Fatalf("%s: refused for %q, want %q", what, r.Reason, reason)
	}
	t.Logf("%s: %v", what, err)
}

// litewitness is a running litewitness with its own ssh-agent and database.
type litewitness struct {
	url, name, vkey string
	witnessctl, db  string
}

// startLitewitness starts ssh-agent and litewitness on 127.0.0.1, each killed
// at cleanup, or skips the test when the tools are not installed.
func startLitewitness(t *testing.T) *litewitness {
	t.Helper()
	tools := map[string]string{}
	var missing []string
	for _, name := range []string{"litewitness", "witnessctl", "ssh-agent", "ssh-keygen", "ssh-add"} {
		if p := findTool(name); p != "" {
			tools[name] = p
		} else {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Skipf("%s not installed: run scripts/witness-tools to install litewitness v0.6.1, witnessctl and openssh-client", strings.Join(missing, ", "))
	}
	if v := moduleVersion(tools["litewitness"]); v != "v0.6.1" {
		t.Logf("litewitness is torchwood %q; this test was written against v0.6.1", v)
	}

	dir := t.TempDir()
	if len(dir) > 80 { // a unix socket path has room for about 100 bytes
		var err error
		if dir, err = os.MkdirTemp("", "lw"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
	}
	sock := filepath.Join(dir, "agent.sock")
	start(t, exec.Command(tools["ssh-agent"], "-D", "-a", sock))
	waitFor(t, "the ssh-agent socket", func() bool { _, err := os.Stat(sock); return err == nil })

	key := filepath.Join(dir, "witness_ed25519")
	run(t, nil, tools["ssh-keygen"], "-q", "-t", "ed25519", "-N", "", "-C", "probity-witness-test", "-f", key)
	run(t, []string{"SSH_AUTH_SOCK=" + sock}, tools["ssh-add"], "-q", key)
	fingerprint, pub := sshFingerprint(t, key+".pub")

	lw := &litewitness{name: "witness.test/probity-ci", witnessctl: tools["witnessctl"], db: filepath.Join(dir, "litewitness.db")}
	addr := freeAddr(t)
	cmd := exec.Command(tools["litewitness"], "-db", lw.db, "-name", lw.name,
		"-ssh-agent", sock, "-key", fingerprint, "-listen", addr)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	start(t, cmd)
	lw.vkey = readVerifierKey(t, stderr)
	lw.url = "http://" + addr
	waitFor(t, "litewitness to answer on "+addr, func() bool {
		resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(lw.url + "/")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})

	// The vkey it prints is the ssh key's, as tlog-cosignature derives it.
	typed := append([]byte{KeyTypeCosignatureV1}, pub...)
	id := sha256.Sum256(append([]byte(lw.name+"\n"), typed...))
	if want := fmt.Sprintf("%s+%08x+%s", lw.name, binary.BigEndian.Uint32(id[:]), base64.StdEncoding.EncodeToString(typed)); lw.vkey != want {
		t.Fatalf("litewitness vkey %q, want %q from the ssh key", lw.vkey, want)
	}
	return lw
}

func (lw *litewitness) addLog(t *testing.T, origin, vkey string) {
	t.Helper()
	run(t, nil, lw.witnessctl, "add-log", "-db", lw.db, "-origin", origin)
	run(t, nil, lw.witnessctl, "add-key", "-db", lw.db, "-origin", origin, "-key", vkey)
}

// logState reads the witness's record of a log with witnessctl list-logs.
func (lw *litewitness) logState(t *testing.T, origin string) (size int64, root string) {
	t.Helper()
	out := run(t, nil, lw.witnessctl, "list-logs", "-db", lw.db)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var l struct {
			Origin   string `json:"origin"`
			Size     int64  `json:"size"`
			RootHash string `json:"root_hash"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("witnessctl list-logs line %q: %v", line, err)
		}
		if l.Origin == origin {
			return l.Size, l.RootHash
		}
	}
	t.Fatalf("witnessctl list-logs does not list %s:\n%s", origin, out)
	return 0, ""
}

// findTool looks on PATH, then where go install puts binaries.
func findTool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return ""
	}
	dirs := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(dirs) == 2 && dirs[1] != "" {
		dirs[1] = filepath.Join(strings.Split(dirs[1], string(os.PathListSeparator))[0], "bin")
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); d != "" && err == nil && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// moduleVersion is the torchwood version a Go binary was built from.
func moduleVersion(bin string) string {
	out, _ := exec.Command("go", "version", "-m", bin).Output()
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) >= 3 && f[0] == "mod" && f[1] == "filippo.io/torchwood" {
			return f[2]
		}
	}
	return ""
}

// start starts cmd and kills it at cleanup; WaitDelay bounds the wait for
// its output pipes.
func start(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
}

// run runs a tool to completion within 30 seconds and returns its stdout.
func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 5 * time.Second
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 10s waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freeAddr returns a 127.0.0.1 address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// sshFingerprint returns the "SHA256:..." fingerprint that litewitness's -key
// takes, and the raw Ed25519 key, from an OpenSSH public key file.
func sshFingerprint(t *testing.T, pubFile string) (string, []byte) {
	t.Helper()
	b, err := os.ReadFile(pubFile)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	if len(f) < 2 || f[0] != "ssh-ed25519" {
		t.Fatalf("%s: not an ssh-ed25519 key: %q", pubFile, b)
	}
	blob, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil || len(blob) < 32 {
		t.Fatalf("%s: bad key blob", pubFile)
	}
	sum := sha256.Sum256(blob)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:]), blob[len(blob)-32:]
}

// readVerifierKey follows litewitness's log until it prints its verifier
// key, keeps the log to show if the test fails, and returns the key.
func readVerifierKey(t *testing.T, stderr io.Reader) string {
	t.Helper()
	logs := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("litewitness log:\n%s", logs)
		}
	})
	vkeyLine := regexp.MustCompile(`msg="verifier key" vkey=("[^"]*"|\S+)`)
	vkeys := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			logs.WriteLine(s.Text())
			if m := vkeyLine.FindStringSubmatch(s.Text()); m != nil {
				v, err := strconv.Unquote(m[1])
				if err != nil {
					v = m[1]
				}
				select {
				case vkeys <- v:
				default:
				}
			}
		}
	}()
	select {
	case v := <-vkeys:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("litewitness printed no verifier key in 10s:\n%s", logs)
		return ""
	}
}

// syncBuffer collects a process's log lines from its reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) WriteLine(l string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	io.WriteString(&s.b, l+"\n")
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
