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
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/client"
	"github.com/probity-dev/probity/eventfile"
)

// serveInstallation serves a data directory on 127.0.0.1:0 in-process.
func serveInstallation(t *testing.T, data string) (*installation, string) {
	t.Helper()
	in, err := open(context.Background(), testLocation(t, data))
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{Stdout: &syncBuffer{}, Stderr: &syncBuffer{}, Getenv: func(string) string { return "" }}
	srv, err := m.listen(in, "127.0.0.1:0", serveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close(context.Background())
		in.Close()
	})
	return in, srv.URL()
}

// ingestVia ingests n events (2 unless given) in one upload, with keys
// from keyPrefix.
func ingestVia(t *testing.T, in *installation, keyPrefix string, n ...int) {
	t.Helper()
	count := 2
	if len(n) > 0 {
		count = n[0]
	}
	var lines strings.Builder
	for i := range count {
		subject := alice
		if i%2 == 1 {
			subject = acmeCo
		}
		fmt.Fprintf(&lines, `{"key":"%s-%d","type":"loan_repaid","subject":"%s","occurred_at":"2025-01-10","fields":{"amount":%d}}`+"\n", keyPrefix, i+1, subject, 100+i)
	}
	r, err := eventfile.NewReader(strings.NewReader(lines.String()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.bureau.Ingest(cliContext(context.Background()), "acme.lending", r, probity.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
}

// verifyURL runs audit verify --url and returns its output and error.
func verifyURL(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, errOut, err := run(t, nil, "", append([]string{"audit", "verify"}, args...)...)
	return out + errOut, err
}

// TestRemoteVerify plays the outside auditor who follows a server's logs
// as tlog-tiles: the first run trusts and keeps each log's checkpoint; the
// next proves the logs only grew since; a server that rolled a log back,
// forked it, signs with another key or serves a tile that is not its
// entries' is caught, says in words what differs, and the kept checkpoint
// stays as it was.
func TestRemoteVerify(t *testing.T) {
	data := t.TempDir()
	mustRun(t, "domain", "apply", "--data", data, lendingSpec)
	key := strings.TrimSpace(mustRun(t, "audit", "key", "--data", data, "--log", "acme.lending"))
	fork := t.TempDir() // a copy of the installation, one leaf in acme.lending, that goes its own way
	copyInstallation(t, data, fork)
	in, url := serveInstallation(t, data)
	state := t.TempDir()

	out, err := verifyURL(t, "--url", url, "--state", state)
	if err != nil {
		t.Fatalf("first verify: %v\n%s", err, out)
	}
	for _, want := range []string{"as the server states it (pin it with --key)", "log acme.lending (", "checkpoint of 1 leaf,",
		"no checkpoint kept from before", "OK: 2 logs verified"} {
		if !strings.Contains(out, want) {
			t.Errorf("first verify lacks %q:\n%s", want, out)
		}
	}
	keptFile := filepath.Join(state, filepath.FromSlash(keyName(key)))
	if _, err := os.Stat(keptFile); err != nil {
		t.Fatalf("the checkpoint of acme.lending is not kept: %v\n%s", err, out)
	}

	ingestVia(t, in, "grow")
	out, err = verifyURL(t, "--url", url, "--state", state, "--key", key)
	if err != nil || !strings.Contains(out, "consistent with the checkpoint you kept ("+keptFile+"): grew from 1 to 2 leaves") { // one batch leaf for the two events
		t.Fatalf("verify after growth: %v\n%s", err, out)
	}
	kept, _ := os.ReadFile(keptFile)

	t.Run("JSON", func(t *testing.T) {
		out, err := verifyURL(t, "--url", url, "--state", state, "--key", key, "--log", "acme.lending", "--json")
		var res remoteResult
		if err != nil || json.Unmarshal([]byte(out), &res) != nil {
			t.Fatalf("--json: %v\n%s", err, out)
		}
		if !res.OK || res.KeyFrom != "given" || len(res.Logs) != 1 || res.Logs[0].Name != "acme.lending" || res.Logs[0].Size != 2 ||
			res.Logs[0].KeptSize == nil || *res.Logs[0].KeptSize != 2 || res.Logs[0].SavedTo != keptFile || res.Logs[0].Bundles != 1 || res.Logs[0].Tiles != 1 {
			t.Fatalf("--json = %+v", res)
		}
	})
	t.Run("ErrRolledBack", func(t *testing.T) {
		inFork, forkURL := serveInstallation(t, fork)
		out, err := verifyURL(t, "--url", forkURL, "--state", state, "--key", key, "--log", "acme.lending")
		want := "log acme.lending: the server's checkpoint has 1 leaf, fewer than the 2 you kept (" + keptFile + "): it was rolled back"
		if err == nil || err.Error() != want {
			t.Fatalf("verify of a rolled-back log: %v, want %q\n%s", err, want, out)
		}
		keptUnchanged(t, keptFile, kept)

		// The copy grows its own way: as many leaves, another history.
		ingestVia(t, inFork, "fork")
		out, err = verifyURL(t, "--url", forkURL, "--state", state, "--key", key, "--log", "acme.lending", "--json")
		if err == nil || !strings.Contains(err.Error(), "log acme.lending: the server's first 2 leaves have root ") ||
			!strings.Contains(err.Error(), "the log was rewritten (a fork)") || !strings.Contains(out, `"ok": false`) {
			t.Fatalf("verify of a forked log: %v\n%s", err, out)
		}
		keptUnchanged(t, keptFile, kept)
	})
	t.Run("ErrKey", func(t *testing.T) {
		other := t.TempDir()
		mustRun(t, "domain", "apply", "--data", other, lendingSpec)
		otherKey := strings.TrimSpace(mustRun(t, "audit", "key", "--data", other, "--log", "acme.lending"))
		_, err := verifyURL(t, "--url", url, "--state", state, "--key", otherKey)
		if err == nil || !strings.Contains(err.Error(), "log _installation: the server's checkpoint does not verify with the log key") ||
			!strings.Contains(err.Error(), "2 of 2 logs failed") {
			t.Fatalf("verify with another installation's key: %v", err)
		}
		if _, err := verifyURL(t, "--url", url, "--state", state, "--key", "acme.lending+1234+AAAA"); err == nil || !strings.Contains(err.Error(), "--key") {
			t.Fatalf("verify with a malformed key: %v", err)
		}
		// A kept checkpoint of another installation's log is of no log here.
		otherKept := filepath.Join(t.TempDir(), "other.note")
		os.WriteFile(otherKept, []byte(mustRun(t, "audit", "checkpoint", "--data", other, "--log", "acme.lending")), 0o600)
		if _, err := verifyURL(t, "--url", url, "--state", t.TempDir(), "--checkpoint", otherKept); err == nil || !strings.Contains(err.Error(), "its origin is none of the logs verified") {
			t.Fatalf("verify with another installation's kept checkpoint: %v", err)
		}
		if _, err := verifyURL(t, "--url", url, "--state", t.TempDir(), "--checkpoint", otherKept, "--log", "acme.lending"); err == nil || !strings.Contains(err.Error(), "does not verify with the log key") {
			t.Fatalf("verify of acme.lending with another installation's kept checkpoint: %v", err)
		}
	})
	t.Run("ErrTile", func(t *testing.T) {
		bad := tamperingProxy(t, url, func(path string, body []byte) []byte {
			if path == "/logs/acme.lending/tile/0/000.p/2" {
				body[40] ^= 1 // the second hash
			}
			return body
		})
		_, err := verifyURL(t, "--url", bad, "--state", t.TempDir(), "--key", key, "--log", "acme.lending")
		if err == nil || !strings.Contains(err.Error(), "log acme.lending: tile tile/0/000.p/2 differs from the tree its entry bundles give: hash 1 is ") {
			t.Fatalf("verify of a tampered tile: %v", err)
		}
	})
	t.Run("Witness", func(t *testing.T) {
		w1, cosign := newWitness(t, "witness.example/w1")
		w2, _ := newWitness(t, "witness.example/w2")
		cosigned := tamperingProxy(t, url, func(path string, body []byte) []byte {
			if path == "/logs/_installation/checkpoint" {
				return cosign(body)
			}
			return body
		})
		s := t.TempDir()
		out, err := verifyURL(t, "--url", cosigned, "--state", s, "--key", key, "--witness", w1, "--witness", w2, "--witness-quorum", "1")
		if err != nil || !strings.Contains(out, "cosigned by 1 of the 2 witnesses named: witness.example/w1") {
			t.Fatalf("verify with a quorum of 1 of 2: %v\n%s", err, out)
		}
		_, err = verifyURL(t, "--url", cosigned, "--state", s, "--key", key, "--witness", w1, "--witness", w2)
		want := "log _installation: the checkpoint carries valid cosignatures of 1 of the 2 witnesses you named, and 2 are needed: none (or no valid one) from witness.example/w2"
		if err == nil || err.Error() != want {
			t.Fatalf("verify with a quorum of 2 of 2: %v, want %q", err, want)
		}
		// A domain log is witnessed through the installation log.
		out, err = verifyURL(t, "--url", cosigned, "--state", s, "--key", key, "--log", "acme.lending", "--witness", w1)
		if err != nil || !strings.Contains(out, "log _installation: checkpoint cosigned by 1 of the 1 witnesses named") {
			t.Fatalf("verify of a domain log with a witness: %v\n%s", err, out)
		}
		if _, err := verifyURL(t, "--url", url, "--state", s, "--key", key, "--witness", w1); err == nil ||
			!strings.Contains(err.Error(), "valid cosignatures of 0 of the 1 witnesses you named") {
			t.Fatalf("verify of an uncosigned checkpoint: %v", err)
		}
	})
	t.Run("ErrFlags", func(t *testing.T) {
		for _, args := range [][]string{
			{"--url", ""}, {"--url", url}, // no --state and no $HOME
			{"--url", url, "--state", state, "--witness-quorum", "1"},
			{"--url", url, "--state", state, "--log", "nobody"},
			{"--url", url, "--state", state, "--witness", key},
		} {
			if out, err := verifyURL(t, args...); err == nil {
				t.Errorf("audit verify %s: no error\n%s", strings.Join(args, " "), out)
			}
		}
		home := t.TempDir()
		out, _, err := run(t, map[string]string{"HOME": home}, "", "audit", "verify", "--url", url, "--log", "acme.lending")
		if err != nil || !strings.Contains(out, "kept for next time in "+filepath.Join(home, ".probity", "checkpoints")) {
			t.Fatalf("verify keeping checkpoints under $HOME: %v\n%s", err, out)
		}
	})
}

// keyName returns the name of a note verifier key: the log's origin.
func keyName(vkey string) string {
	name, _, _ := strings.Cut(vkey, "+")
	return name
}

func keptUnchanged(t *testing.T, path string, want []byte) {
	t.Helper()
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("the kept checkpoint %s changed after a failed verification: %v\n%s", path, err, got)
	}
}

// tamperingProxy serves what the server at target serves, each body
// passed through change first: a server that lies.
func tamperingProxy(t *testing.T, target string, change func(path string, body []byte) []byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := http.Get(target + r.URL.Path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == http.StatusOK {
			body = change(r.URL.Path, body)
		}
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// newWitness returns a witness's vkey (C2SP cosignature/v1) and a function
// that adds its cosignature to a signed checkpoint, as a witness would.
func newWitness(t *testing.T, name string) (string, func([]byte) []byte) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	typed := append([]byte{0x04}, pub...)
	h := sha256.Sum256(append([]byte(name+"\n"), typed...))
	id := h[:4]
	vkey := fmt.Sprintf("%s+%x+%s", name, id, base64.StdEncoding.EncodeToString(typed))
	return vkey, func(signed []byte) []byte {
		text, _, _ := bytes.Cut(signed, []byte("\n\n"))
		text = append(text, '\n')
		ts := uint64(time.Now().Unix())
		msg := append([]byte("cosignature/v1\ntime "+strconv.FormatUint(ts, 10)+"\n"), text...)
		sig := append(binary.BigEndian.AppendUint64(append([]byte(nil), id...), ts), ed25519.Sign(priv, msg)...)
		return append(append([]byte(nil), signed...), "— "+name+" "+base64.StdEncoding.EncodeToString(sig)+"\n"...)
	}
}

// fsckTool is tessera's fsck v1.0.4 (scripts/tile-tools installs it) on
// PATH or where go install puts it, or "": another fsck (the file system
// checker) does not count.
func fsckTool() string {
	var candidates []string
	if p, err := exec.LookPath("fsck"); err == nil {
		candidates = append(candidates, p)
	}
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		dirs := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(dirs) == 2 && dirs[1] != "" {
			dirs[1] = filepath.Join(strings.Split(dirs[1], string(os.PathListSeparator))[0], "bin")
		}
		for _, d := range dirs {
			if d != "" {
				candidates = append(candidates, filepath.Join(d, "fsck"))
			}
		}
	}
	for _, p := range candidates {
		if v, err := exec.Command("go", "version", "-m", p).Output(); err == nil && bytes.Contains(v, []byte("\tgithub.com/transparency-dev/tessera\tv1.0.4\t")) {
			return p
		}
	}
	return ""
}

// runFsck runs tessera's fsck on one log of a server and returns its
// output and whether it verified the log: fsck exits 0 either way, so its
// verdict is read from its log lines.
func runFsck(t *testing.T, fsck, prefix, vkey string) (string, bool) {
	t.Helper()
	keyFile := filepath.Join(t.TempDir(), "log.vkey")
	if err := os.WriteFile(keyFile, []byte(vkey), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, fsck, "--storage_url", prefix, "--public_key", keyFile, "--origin", keyName(vkey), "--ui=false", "-N", "4").CombinedOutput()
	ok := err == nil && bytes.Contains(out, []byte("Successfully fsck'd log")) && !bytes.Contains(out, []byte("fsck failed"))
	return string(out), ok
}

// TestFsck runs tessera's real fsck (v1.0.4) on every log of a real
// server on 127.0.0.1, one of them past its first full tile, and requires
// it to verify each: standard tools can follow Probity's logs. A server
// that serves a tile its entries do not give is caught by fsck.
func TestFsck(t *testing.T) {
	fsck := fsckTool()
	if fsck == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("tessera's fsck v1.0.4 is not installed: .ci/run installs it with scripts/tile-tools")
		}
		t.Skip("tessera's fsck v1.0.4 is not installed: run scripts/tile-tools")
	}
	data := t.TempDir()
	mustRun(t, "domain", "apply", "--data", data, lendingSpec)
	in, base := serveInstallation(t, data)
	for i := range 300 { // one upload an event: a batch leaf each, past the first full tile
		ingestVia(t, in, fmt.Sprintf("many%d", i), 1)
	}
	if _, err := in.bureau.SealLogs(cliContext(context.Background())); err != nil {
		t.Fatal(err)
	}
	logs, err := client.New(base, "").Logs(context.Background())
	if err != nil || len(logs) != 2 {
		t.Fatalf("GET /logs: %v, %d logs", err, len(logs))
	}
	for _, l := range logs {
		if out, ok := runFsck(t, fsck, l.URL, l.Key); !ok {
			t.Errorf("fsck of log %s failed:\n%s", l.Name, out)
		}
	}

	bad := tamperingProxy(t, base, func(path string, body []byte) []byte {
		if path == "/logs/acme.lending/tile/0/000" {
			body[0] ^= 1
		}
		return body
	})
	u, _ := url.Parse(bad)
	if out, ok := runFsck(t, fsck, u.String()+"/logs/acme.lending/", logs[1].Key); ok || !strings.Contains(out, "tile/0/000") {
		t.Fatalf("fsck of a log serving a tampered tile: verified=%v\n%s", ok, out)
	}
}
