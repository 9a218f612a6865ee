// Package witnesstest runs a real litewitness (filippo.io/torchwood v0.6.1,
// the witness most tlog-witness deployments run) for integration tests, so
// that the witness client's tests and serve's tests start it one way.
//
// Each witness has its own ssh-agent, key and database, listens on
// 127.0.0.1 only, and is killed when the test ends. A test that needs one
// is skipped, with a message naming scripts/witness-tools, when litewitness,
// witnessctl or the OpenSSH client tools are not installed.
package witnesstest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
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
)

// Version is the torchwood release the tests were written against; Start
// logs the version of any other it finds.
const Version = "v0.6.1"

// Litewitness is a running litewitness. Its URL and Vkey are what a
// client is given as --witness URL=VKEY.
type Litewitness struct {
	// URL is where it answers, http://127.0.0.1:PORT.
	URL string
	// Name is the witness's name, the first field of Vkey.
	Name string
	// Vkey is the cosignature/v1 verifier key litewitness printed as it
	// started.
	Vkey string
	// PublicKey is the raw Ed25519 public key of the ssh key it signs
	// with, for a test to check that Vkey is derived from it.
	PublicKey []byte

	witnessctl, db string
}

// tools are what Start runs, each found by FindTool.
var tools = []string{"litewitness", "witnessctl", "ssh-agent", "ssh-keygen", "ssh-add"}

// Start starts an ssh-agent holding a new key, and litewitness signing with
// it on a free 127.0.0.1 port; both are killed at cleanup, and litewitness's
// log is shown if the test fails. It skips the test when a tool is not
// installed.
func Start(tb testing.TB) *Litewitness {
	tb.Helper()
	path := map[string]string{}
	var missing []string
	for _, name := range tools {
		if p := FindTool(name); p != "" {
			path[name] = p
		} else {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		tb.Skipf("%s not installed: run scripts/witness-tools to install litewitness %s, witnessctl and openssh-client", strings.Join(missing, ", "), Version)
	}
	if v := moduleVersion(path["litewitness"]); v != Version {
		tb.Logf("litewitness is torchwood %q; this test was written against %s", v, Version)
	}

	dir := shortTempDir(tb)
	sock, fingerprint, pub := startAgent(tb, path, dir)
	addr := freeAddr(tb)
	lw := &Litewitness{URL: "http://" + addr, Name: "witness.test/probity", PublicKey: pub,
		witnessctl: path["witnessctl"], db: filepath.Join(dir, "litewitness.db")}
	cmd := exec.Command(path["litewitness"], "-db", lw.db, "-name", lw.Name,
		"-ssh-agent", sock, "-key", fingerprint, "-listen", addr)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	start(tb, cmd)
	lw.Vkey = readVerifierKey(tb, stderr)
	waitFor(tb, "litewitness to answer on "+addr, func() bool {
		resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(lw.URL + "/")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	return lw
}

// AddLog tells the witness about a log, with witnessctl add-log and
// add-key: it cosigns checkpoints of origin signed by vkey, and refuses
// any other log's.
func (lw *Litewitness) AddLog(tb testing.TB, origin, vkey string) {
	tb.Helper()
	run(tb, nil, lw.witnessctl, "add-log", "-db", lw.db, "-origin", origin)
	run(tb, nil, lw.witnessctl, "add-key", "-db", lw.db, "-origin", origin, "-key", vkey)
}

// LogState is the witness's record of a log, read with witnessctl
// list-logs: the size of the latest checkpoint it cosigned and its root
// hash in base64. It fails the test if the witness does not know origin.
func (lw *Litewitness) LogState(tb testing.TB, origin string) (size uint64, root string) {
	tb.Helper()
	out := run(tb, nil, lw.witnessctl, "list-logs", "-db", lw.db)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var l struct {
			Origin   string `json:"origin"`
			Size     uint64 `json:"size"`
			RootHash string `json:"root_hash"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			tb.Fatalf("witnessctl list-logs line %q: %v", line, err)
		}
		if l.Origin == origin {
			return l.Size, l.RootHash
		}
	}
	tb.Fatalf("witnessctl list-logs does not list %s:\n%s", origin, out)
	return 0, ""
}

// FindTool is the path of an executable on PATH or, failing that, where go
// install puts it (GOBIN, else the first GOPATH's bin), as
// scripts/witness-tools does; "" if it is in neither.
func FindTool(name string) string {
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

// shortTempDir is the test's temporary directory, or a shorter one removed
// at cleanup: the agent's unix socket path has room for about 100 bytes.
func shortTempDir(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	if len(dir) <= 80 {
		return dir
	}
	dir, err := os.MkdirTemp("", "lw")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// startAgent starts an ssh-agent on a socket in dir and adds a new Ed25519
// key to it; it returns the socket, the key's fingerprint as litewitness's
// -key takes it, and the raw public key.
func startAgent(tb testing.TB, path map[string]string, dir string) (sock, fingerprint string, pub []byte) {
	tb.Helper()
	sock = filepath.Join(dir, "agent.sock")
	start(tb, exec.Command(path["ssh-agent"], "-D", "-a", sock))
	waitFor(tb, "the ssh-agent socket", func() bool { _, err := os.Stat(sock); return err == nil })
	key := filepath.Join(dir, "witness_ed25519")
	run(tb, nil, path["ssh-keygen"], "-q", "-t", "ed25519", "-N", "", "-C", "probity-witness-test", "-f", key)
	run(tb, []string{"SSH_AUTH_SOCK=" + sock}, path["ssh-add"], "-q", key)
	fingerprint, pub = sshFingerprint(tb, key+".pub")
	return sock, fingerprint, pub
}

// start starts cmd and kills it at cleanup; WaitDelay bounds the wait for
// its output pipes.
func start(tb testing.TB, cmd *exec.Cmd) {
	tb.Helper()
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		tb.Fatalf("starting %s: %v", cmd.Path, err)
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
}

// run runs a tool to completion within 30 seconds and returns its stdout.
func run(tb testing.TB, env []string, name string, args ...string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tb.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 5 * time.Second
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// waitFor polls ok for up to 10 seconds.
func waitFor(tb testing.TB, what string, ok func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after 10s waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freeAddr returns a 127.0.0.1 address with a port free a moment ago.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// sshFingerprint returns the "SHA256:..." fingerprint that litewitness's -key
// takes, and the raw Ed25519 key, from an OpenSSH public key file.
func sshFingerprint(tb testing.TB, pubFile string) (string, []byte) {
	tb.Helper()
	b, err := os.ReadFile(pubFile)
	if err != nil {
		tb.Fatal(err)
	}
	f := strings.Fields(string(b))
	if len(f) < 2 || f[0] != "ssh-ed25519" {
		tb.Fatalf("%s: not an ssh-ed25519 key: %q", pubFile, b)
	}
	blob, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil || len(blob) < 32 {
		tb.Fatalf("%s: bad key blob", pubFile)
	}
	sum := sha256.Sum256(blob)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:]), blob[len(blob)-32:]
}

// vkeyLine is litewitness's log line with its verifier key, quoted by slog
// when it holds a space.
var vkeyLine = regexp.MustCompile(`msg="verifier key" vkey=("[^"]*"|\S+)`)

// verifierKey is the vkey in a litewitness log line, if it is that line.
func verifierKey(line string) (string, bool) {
	m := vkeyLine.FindStringSubmatch(line)
	if m == nil {
		return "", false
	}
	if v, err := strconv.Unquote(m[1]); err == nil {
		return v, true
	}
	return m[1], true
}

// readVerifierKey follows litewitness's log until it prints its verifier
// key, keeps the log to show if the test fails, and returns the key.
func readVerifierKey(tb testing.TB, stderr io.Reader) string {
	tb.Helper()
	logs := &lineBuffer{}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("litewitness log:\n%s", logs)
		}
	})
	vkeys := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			logs.WriteLine(s.Text())
			if v, ok := verifierKey(s.Text()); ok {
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
		tb.Fatalf("litewitness printed no verifier key in 10s:\n%s", logs)
		return ""
	}
}

// lineBuffer collects a process's log lines from its reader goroutine.
type lineBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lineBuffer) WriteLine(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s + "\n")
}

func (l *lineBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
