package bureau_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/bureau"
	"github.com/probity-dev/probity/witness"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// fakeWitness is a C2SP tlog-witness of one log in a test server, written
// from the spec (as litewitness behaves): 403 for a checkpoint its log key
// does not verify, 409 with its size for another old size, 422 for a proof
// that fails, else it cosigns (cosignature/v1) and keeps the new tree.
type fakeWitness struct {
	name   string
	priv   ed25519.PrivateKey
	logKey note.Verifier
	srv    *httptest.Server

	mu     sync.Mutex
	size   int64
	root   tlog.Hash
	olds   []uint64 // the old size of every request, in order
	hang   bool     // hold each request until the client gives up
	active int      // requests being answered
}

func newFakeWitness(tb testing.TB, name, logVKey string) *fakeWitness {
	tb.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := note.NewVerifier(logVKey)
	if err != nil {
		tb.Fatal(err)
	}
	f := &fakeWitness{name: name, priv: priv, logKey: v}
	f.srv = httptest.NewServer(http.HandlerFunc(f.addCheckpoint))
	tb.Cleanup(f.srv.Close)
	return f
}

func (f *fakeWitness) Name() string { return f.name }

func (f *fakeWitness) typedKey() []byte {
	return append([]byte{witness.KeyTypeCosignatureV1}, f.priv.Public().(ed25519.PublicKey)...)
}

func (f *fakeWitness) KeyHash() uint32 {
	h := sha256.Sum256(append([]byte(f.name+"\n"), f.typedKey()...))
	return binary.BigEndian.Uint32(h[:])
}

func (f *fakeWitness) Sign(msg []byte) ([]byte, error) {
	t := uint64(time.Now().Unix())
	m := fmt.Appendf(nil, "cosignature/v1\ntime %d\n%s", t, msg)
	return append(binary.BigEndian.AppendUint64(nil, t), ed25519.Sign(f.priv, m)...), nil
}

// witness is the client's view of f, as the operator configures it.
func (f *fakeWitness) witness(tb testing.TB) *witness.Witness {
	tb.Helper()
	vkey := fmt.Sprintf("%s+%08x+%s", f.name, f.KeyHash(), base64.StdEncoding.EncodeToString(f.typedKey()))
	w, err := witness.ParseWitness(f.srv.URL + "=" + vkey)
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

func (f *fakeWitness) addCheckpoint(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.active++
	hang := f.hang
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.active--; f.mu.Unlock() }()
	body, _ := io.ReadAll(r.Body) // first: the server sees a client hang up only then
	if hang {
		<-r.Context().Done()
		return
	}
	head, signed, _ := bytes.Cut(body, []byte("\n\n"))
	lines := strings.Split(string(head), "\n")
	old, err := strconv.ParseInt(strings.TrimPrefix(lines[0], "old "), 10, 64)
	if err != nil || r.URL.Path != "/add-checkpoint" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var proof tlog.TreeProof
	for _, l := range lines[1:] {
		h, err := tlog.ParseHash(l)
		if err != nil {
			http.Error(w, "bad proof line", http.StatusBadRequest)
			return
		}
		proof = append(proof, h)
	}
	n, err := note.Open(signed, note.VerifierList(f.logKey))
	if err != nil {
		http.Error(w, "invalid signature", http.StatusForbidden)
		return
	}
	text := strings.Split(n.Text, "\n")
	size, _ := strconv.ParseInt(text[1], 10, 64)
	root, _ := tlog.ParseHash(text[2])

	f.mu.Lock()
	defer f.mu.Unlock()
	f.olds = append(f.olds, uint64(old))
	if old != f.size {
		w.Header().Set("Content-Type", "text/x.tlog.size")
		w.WriteHeader(http.StatusConflict)
		fmt.Fprintf(w, "%d\n", f.size)
		return
	}
	if old > 0 && tlog.CheckTree(proof, size, root, old, f.root) != nil {
		http.Error(w, "invalid consistency proof", http.StatusUnprocessableEntity)
		return
	}
	f.size, f.root = size, root
	cosigned, err := note.Sign(&note.Note{Text: n.Text}, f)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Write(cosigned[bytes.LastIndex(cosigned, []byte("\n\n"))+2:])
}

// requests returns the old sizes of the requests so far and forgets them.
func (f *fakeWitness) requests() []uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.olds
	f.olds = nil
	return out
}

// holds makes the witness believe it cosigned a tree of size with root.
func (f *fakeWitness) holds(size uint64, root tlog.Hash) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.size, f.root = int64(size), root
}

// logLines collects what the bureau logs, level and message included.
type logLines struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// witnessed sets up f with witnesses, growing the installation log past
// its first checkpoint, and returns where the bureau logs to.
func (f *fixture) witnessed(tb testing.TB, quorum int, timeout time.Duration, ws ...*fakeWitness) *logLines {
	tb.Helper()
	logs := &logLines{}
	p := bureau.WitnessPolicy{Quorum: quorum, Timeout: timeout, Logger: slog.New(slog.NewTextHandler(logs, nil))}
	for _, w := range ws {
		p.Witnesses = append(p.Witnesses, w.witness(tb))
	}
	if err := f.SetWitnesses(p); err != nil {
		tb.Fatal(err)
	}
	return logs
}

// grow adds a domain write and seals it into the installation log, and
// returns the installation log's new checkpoint.
func (f *fixture) grow(tb testing.TB, key string) *probity.Checkpoint {
	tb.Helper()
	f.mustIngest(tb, "acme.lending", `{"key":"`+key+`","type":"loan_repaid","subject":"`+bob+`","occurred_at":"2026-05-01","fields":{"amount":100}}`)
	if n, err := f.SealLogs(local()); err != nil || n != 1 {
		tb.Fatalf("SealLogs = %d, %v; want the domain log recorded", n, err)
	}
	return f.latest(tb)
}

func (f *fixture) latest(tb testing.TB) *probity.Checkpoint {
	tb.Helper()
	cp, err := f.Checkpoint(local(), probity.InstallationLog)
	if err != nil {
		tb.Fatal(err)
	}
	return cp
}

func (f *fixture) submit(tb testing.TB) {
	tb.Helper()
	if err := f.WitnessCheckpoints(local()); err != nil {
		tb.Fatal(err)
	}
}

func (f *fixture) report(tb testing.TB) *bureau.WitnessReport {
	tb.Helper()
	r, err := f.WitnessReport(local())
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// cosignedBy checks that the served checkpoint carries w's cosignature.
func cosignedBy(tb testing.TB, cp *probity.Checkpoint, w *witness.Witness) {
	tb.Helper()
	_, sigs, _ := strings.Cut(cp.Note, "\n\n")
	for _, line := range strings.SplitAfter(sigs, "\n") {
		if _, err := witness.VerifyCosignature(w, []byte(cp.Note), []byte(line)); err == nil {
			return
		}
	}
	tb.Fatalf("checkpoint %d carries no cosignature of %s that verifies:\n%s", cp.Size, w.Name(), cp.Note)
}

func wantRequests(tb testing.TB, w *fakeWitness, want ...uint64) {
	tb.Helper()
	if got := w.requests(); fmt.Sprint(got) != fmt.Sprint(want) {
		tb.Fatalf("%s was sent old sizes %v, want %v", w.name, got, want)
	}
}

// TestWitnessCheckpoints: each new installation checkpoint goes to the
// witness with a consistency proof from the size it cosigned last, its
// cosignature is stored and served with the checkpoint, and a checkpoint
// it cosigned already is not sent again.
func TestWitnessCheckpoints(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	fw := newFakeWitness(t, "witness.test/one", f.PublicKey(probity.InstallationLog))
	f.witnessed(t, 0, time.Second, fw)
	w := fw.witness(t)

	first := f.grow(t, "k1")
	f.submit(t)
	wantRequests(t, fw, 0)
	cosignedBy(t, f.latest(t), w)

	second := f.grow(t, "k2")
	f.submit(t)
	wantRequests(t, fw, first.Size)
	cosignedBy(t, f.latest(t), w)
	f.submit(t)
	wantRequests(t, fw) // nothing new

	cp, behind, err := f.WitnessedCheckpoint(local())
	if err != nil || cp.Size != second.Size || behind != 0 {
		t.Fatalf("WitnessedCheckpoint = %v, %d, %v; want size %d, 0 behind", cp, behind, err, second.Size)
	}
	cosignedBy(t, cp, w)
	r := f.report(t)
	if r.Degraded || r.Witnesses[0].CosignedSize != second.Size || r.Witnesses[0].LastError != "" {
		t.Fatalf("report %+v, want not degraded, cosigned %d, no error", r, second.Size)
	}

	// A write after the last submission: the served checkpoint is the
	// newest, not yet cosigned; the witnessed one is behind it.
	third := f.grow(t, "k3")
	if _, sigs, _ := strings.Cut(third.Note, "\n\n"); strings.Count(sigs, "\n") != 1 {
		t.Fatalf("checkpoint %d carries signatures before any witness saw it:\n%s", third.Size, third.Note)
	}
	if cp, behind, err := f.WitnessedCheckpoint(local()); err != nil || cp.Size != second.Size || behind != third.Size-second.Size {
		t.Fatalf("WitnessedCheckpoint = %v, %d, %v; want size %d, %d behind", cp, behind, err, second.Size, third.Size-second.Size)
	}
}

// TestWitnessStale: a witness that cosigned a checkpoint the store did not
// record (another server sent it; the answer was lost) answers 409 with its
// size, and the checkpoint goes again from there.
func TestWitnessStale(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	fw := newFakeWitness(t, "witness.test/one", f.PublicKey(probity.InstallationLog))
	w := fw.witness(t)
	first := f.grow(t, "k1")
	if _, err := w.AddCheckpoint(context.Background(), 0, nil, []byte(first.Note)); err != nil {
		t.Fatal(err)
	}
	fw.requests()
	f.witnessed(t, 0, time.Second, fw)

	second := f.grow(t, "k2")
	f.submit(t)
	wantRequests(t, fw, 0, first.Size)
	if r := f.report(t); r.Degraded || r.Witnesses[0].CosignedSize != second.Size {
		t.Fatalf("report %+v, want cosigned %d", r, second.Size)
	}
	cosignedBy(t, f.latest(t), w)
}

// TestWitnessRefuses: a witness that holds another tree of the log (a
// fork) refuses; one that holds a larger tree (a rollback) cannot cosign.
// Each is logged at ERROR with the witness's name and sizes, kept in the
// report, degrades health and shows no witnessed checkpoint; the same
// checkpoint is not sent again before WitnessRetry.
func TestWitnessRefuses(t *testing.T) {
	for _, tt := range []struct {
		name  string
		holds func(cp *probity.Checkpoint) (uint64, tlog.Hash)
		olds  func(cp *probity.Checkpoint) []uint64
		logs  string // the sizes the log names
		want  string
	}{
		{"Fork", func(cp *probity.Checkpoint) (uint64, tlog.Hash) { return cp.Size - 1, tlog.Hash{1} },
			func(cp *probity.Checkpoint) []uint64 { return []uint64{0, cp.Size - 1} }, "old_size=", "422 Unprocessable Entity"},
		{"ForkSameSize", func(cp *probity.Checkpoint) (uint64, tlog.Hash) { return cp.Size, tlog.Hash{1} },
			func(cp *probity.Checkpoint) []uint64 { return []uint64{0, cp.Size} }, "old_size=", "422 Unprocessable Entity"},
		{"Rollback", func(cp *probity.Checkpoint) (uint64, tlog.Hash) { return cp.Size + 5, tlog.Hash{1} },
			func(cp *probity.Checkpoint) []uint64 { return []uint64{0} }, "witness_size=", "rolled back, or forked"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.applyFile(t, lending)
			fw := newFakeWitness(t, "witness.test/one", f.PublicKey(probity.InstallationLog))
			logs := f.witnessed(t, 0, time.Second, fw)
			cp := f.grow(t, "k1")
			fw.holds(tt.holds(cp))

			f.submit(t)
			wantRequests(t, fw, tt.olds(cp)...)
			r := f.report(t)
			st := r.Witnesses[0]
			if !r.Degraded || !strings.Contains(st.LastError, tt.want) || st.LastErrorAt == nil || st.CosignedSize != 0 {
				t.Fatalf("report %+v, want degraded and the error %q", r, tt.want)
			}
			for _, want := range []string{"level=ERROR", "witness=witness.test/one", "size=" + strconv.FormatUint(cp.Size, 10), tt.logs, tt.want} {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("the log lacks %q:\n%s", want, logs)
				}
			}
			if _, _, err := f.WitnessedCheckpoint(local()); probity.ErrorCode(err) != probity.ENOTFOUND {
				t.Fatalf("WitnessedCheckpoint = %v, want ENOTFOUND", err)
			}
			if _, sigs, _ := strings.Cut(f.latest(t).Note, "\n\n"); strings.Count(sigs, "\n") != 1 {
				t.Fatalf("a refused checkpoint is served with cosignatures:\n%s", f.latest(t).Note)
			}
			f.submit(t)
			wantRequests(t, fw) // not again before WitnessRetry
		})
	}
}

// TestWitnessUnknownLog: a witness whose operator has not added the log
// (403 from litewitness, a refusal of our log key) is reported as refusing.
func TestWitnessUnknownLog(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	other := newFixture(t)
	fw := newFakeWitness(t, "witness.test/one", other.PublicKey(probity.InstallationLog))
	logs := f.witnessed(t, 0, time.Second, fw)
	f.grow(t, "k1")
	f.submit(t)
	if r := f.report(t); !r.Degraded || !strings.Contains(r.Witnesses[0].LastError, "403 Forbidden") {
		t.Fatalf("report %+v, want a 403 refusal", r)
	}
	if !strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("the refusal is not logged at ERROR:\n%s", logs)
	}
}

// TestWitnessQuorum: with one of two witnesses refusing, a quorum of 1
// is met and a quorum of 2 is not; the witnessed checkpoint is the latest
// one the quorum cosigned, however far behind.
func TestWitnessQuorum(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	key := f.PublicKey(probity.InstallationLog)
	good, bad := newFakeWitness(t, "witness.test/good", key), newFakeWitness(t, "witness.test/bad", key)

	f.witnessed(t, 2, time.Second, good, bad)
	both := f.grow(t, "k1")
	f.submit(t)
	cp, _, err := f.WitnessedCheckpoint(local())
	if err != nil || cp.Size != both.Size {
		t.Fatalf("WitnessedCheckpoint = %v, %v; want size %d", cp, err, both.Size)
	}
	if n, names := witness.Quorum([]byte(cp.Note), []*witness.Witness{good.witness(t), bad.witness(t)}); n != 2 {
		t.Fatalf("the witnessed checkpoint carries %d verified cosignatures (%v), want 2", n, names)
	}

	bad.holds(both.Size, tlog.Hash{1}) // bad now holds a fork
	latest := f.grow(t, "k2")
	f.submit(t)
	cp, behind, err := f.WitnessedCheckpoint(local())
	if err != nil || cp.Size != both.Size || behind != latest.Size-both.Size {
		t.Fatalf("quorum 2: WitnessedCheckpoint = %v, %d, %v; want size %d, %d behind", cp, behind, err, both.Size, latest.Size-both.Size)
	}
	if r := f.report(t); !r.Degraded || r.WitnessedSize != both.Size || r.Behind != latest.Size-both.Size {
		t.Fatalf("quorum 2: report %+v, want degraded at %d", r, both.Size)
	}

	f.witnessed(t, 1, time.Second, good, bad)
	f.submit(t)
	if cp, behind, err := f.WitnessedCheckpoint(local()); err != nil || cp.Size != latest.Size || behind != 0 {
		t.Fatalf("quorum 1: WitnessedCheckpoint = %v, %d, %v; want size %d", cp, behind, err, latest.Size)
	}
	if r := f.report(t); r.Degraded || r.Witnesses[0].LastError != "" || r.Witnesses[1].LastError == "" {
		t.Fatalf("quorum 1: report %+v, want ok, with the bad witness's error", r)
	}

	// A stored cosignature that does not verify with the witness's key
	// (a row written behind Probity's back) does not count.
	impostor := newFakeWitness(t, "witness.test/bad", key)
	forged := impostor.sign(t, latest)
	if err := f.db.Update(local(), func(tx probity.Tx) error {
		return tx.InsertCosignature(&probity.Cosignature{Log: probity.InstallationLog, Size: latest.Size, Witness: "witness.test/bad", Signature: forged})
	}); err != nil {
		t.Fatal(err)
	}
	f.witnessed(t, 2, time.Second, good, bad)
	if cp, _, err := f.WitnessedCheckpoint(local()); err != nil || cp.Size != both.Size {
		t.Fatalf("a forged cosignature counted: WitnessedCheckpoint = %v, %v; want size %d", cp, err, both.Size)
	}
}

// sign returns f's cosignature lines over a checkpoint, as if f cosigned it.
func (f *fakeWitness) sign(tb testing.TB, cp *probity.Checkpoint) string {
	tb.Helper()
	text, _, _ := strings.Cut(cp.Note, "\n\n")
	signed, err := note.Sign(&note.Note{Text: text + "\n"}, f)
	if err != nil {
		tb.Fatal(err)
	}
	return string(signed[bytes.LastIndex(signed, []byte("\n\n"))+2:])
}

// TestWitnessTimeout: a witness that never answers costs one timeout per
// round, is reported, and holds nothing up once the caller gives up.
func TestWitnessTimeout(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	fw := newFakeWitness(t, "witness.test/slow", f.PublicKey(probity.InstallationLog))
	fw.hang = true
	logs := f.witnessed(t, 0, 200*time.Millisecond, fw)
	f.grow(t, "k1")

	start := time.Now()
	f.submit(t)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("WitnessCheckpoints took %v with a 200ms timeout", d)
	}
	if r := f.report(t); !r.Degraded || !strings.Contains(r.Witnesses[0].LastError, "deadline exceeded") {
		t.Fatalf("report %+v, want the timeout", r)
	}
	if !strings.Contains(logs.String(), "level=WARN") {
		t.Fatalf("the timeout is not logged:\n%s", logs)
	}

	// Cancelled by shutdown: returns at once, with no request left behind.
	f.grow(t, "k2")
	f.witnessed(t, 0, time.Hour, fw)
	ctx, cancel := context.WithCancel(local())
	done := make(chan error, 1)
	go func() { done <- f.WitnessCheckpoints(ctx) }()
	waitUntil(t, "the request to reach the witness", func() bool { fw.mu.Lock(); defer fw.mu.Unlock(); return fw.active == 1 })
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("WitnessCheckpoints after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WitnessCheckpoints did not return after its context was cancelled")
	}
	waitUntil(t, "the witness's request to end", func() bool { fw.mu.Lock(); defer fw.mu.Unlock(); return fw.active == 0 })
}

func waitUntil(tb testing.TB, what string, ok func() bool) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after 5s waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSetWitnesses(t *testing.T) {
	f := newFixture(t)
	key := f.PublicKey(probity.InstallationLog)
	one, two := newFakeWitness(t, "witness.test/one", key).witness(t), newFakeWitness(t, "witness.test/two", key).witness(t)
	for _, tt := range []struct {
		name    string
		p       bureau.WitnessPolicy
		wantErr string
	}{
		{"OK", bureau.WitnessPolicy{Witnesses: []*witness.Witness{one, two}, Quorum: 1}, ""},
		{"OKAll", bureau.WitnessPolicy{Witnesses: []*witness.Witness{one, two}}, ""},
		{"OKNone", bureau.WitnessPolicy{}, ""},
		{"ErrQuorumHigh", bureau.WitnessPolicy{Witnesses: []*witness.Witness{one, two}, Quorum: 3}, "want 1 to 2"},
		{"ErrQuorumNegative", bureau.WitnessPolicy{Witnesses: []*witness.Witness{one}, Quorum: -1}, "want 1 to 1"},
		{"ErrQuorumWithout", bureau.WitnessPolicy{Quorum: 1}, "no witnesses"},
		{"ErrTwice", bureau.WitnessPolicy{Witnesses: []*witness.Witness{one, one}}, "given twice"},
		{"ErrIncomplete", bureau.WitnessPolicy{Witnesses: []*witness.Witness{{URL: "http://127.0.0.1:1"}}}, "no URL or key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := f.SetWitnesses(tt.p)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("SetWitnesses = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestWitnessedCheckpointWithoutWitnesses: an installation without
// witnesses shows its latest checkpoint, signed by the operator only.
func TestWitnessedCheckpointWithoutWitnesses(t *testing.T) {
	f := newFixture(t)
	cp, behind, err := f.WitnessedCheckpoint(local())
	if err != nil || cp.Size != f.latest(t).Size || behind != 0 {
		t.Fatalf("WitnessedCheckpoint = %v, %d, %v; want the latest", cp, behind, err)
	}
	if err := f.WitnessCheckpoints(local()); err != nil {
		t.Fatal(err)
	}
	if r, err := f.WitnessReport(local()); r != nil || err != nil {
		t.Fatalf("WitnessReport = %v, %v; want none", r, err)
	}
}
