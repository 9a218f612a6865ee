package witness

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// fakeWitness serves tlog-witness add-checkpoint for the unit tests: it checks
// the request as the spec says (404 unknown origin, 403 bad log signature, 409
// old size, 422 proof) and cosigns with its cosigner. answer, if set, replaces
// its whole reply, to play a misbehaving witness.
type fakeWitness struct {
	c      *cosigner
	answer func(rw http.ResponseWriter, r *http.Request, cosig []byte)

	mu   sync.Mutex
	logs map[string]note.Verifier
	size map[string]int64
	root map[string]tlog.Hash
	body []byte // the last request body
}

func newFakeWitness(c *cosigner, logs ...*testLog) *fakeWitness {
	f := &fakeWitness{c: c, logs: map[string]note.Verifier{}, size: map[string]int64{}, root: map[string]tlog.Hash{}}
	for _, l := range logs {
		f.logs[l.origin] = l.verifier
		f.root[l.origin] = tlog.Hash(emptyRoot())
	}
	return f
}

func emptyRoot() [32]byte {
	var h [32]byte
	copy(h[:], must(base64.StdEncoding.DecodeString("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")))
	return h
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func (f *fakeWitness) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/add-checkpoint" {
		http.Error(rw, "not found", http.StatusNotFound)
		return
	}
	body, _ := io.ReadAll(http.MaxBytesReader(rw, r.Body, 10<<10))
	f.mu.Lock()
	defer f.mu.Unlock()
	f.body = body
	status, reply := f.addCheckpoint(body)
	if f.answer != nil {
		f.answer(rw, r, reply)
		return
	}
	if status == http.StatusConflict {
		rw.Header().Set("Content-Type", "text/x.tlog.size")
	}
	rw.WriteHeader(status)
	rw.Write(reply)
}

func (f *fakeWitness) addCheckpoint(body []byte) (int, []byte) {
	head, signed, ok := bytes.Cut(body, []byte("\n\n"))
	lines := strings.Split(string(head), "\n")
	old, err := strconv.ParseInt(strings.TrimPrefix(lines[0], "old "), 10, 64)
	if !ok || !strings.HasPrefix(lines[0], "old ") || err != nil {
		return http.StatusBadRequest, []byte("bad request\n")
	}
	var proof tlog.TreeProof
	for _, l := range lines[1:] {
		h, err := tlog.ParseHash(l)
		if err != nil {
			return http.StatusBadRequest, []byte("bad proof line\n")
		}
		proof = append(proof, h)
	}
	origin, _, _ := strings.Cut(string(signed), "\n")
	v, known := f.logs[origin]
	if !known {
		return http.StatusNotFound, []byte("unknown log\n")
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return http.StatusForbidden, []byte("invalid signature\n")
	}
	tree, err := tlog.ParseTree([]byte("go.sum database tree\n" + strings.SplitN(n.Text, "\n", 2)[1]))
	if err != nil {
		return http.StatusBadRequest, []byte("bad checkpoint\n")
	}
	if old != f.size[origin] {
		return http.StatusConflict, fmt.Appendf(nil, "%d\n", f.size[origin])
	}
	if old > 0 && tlog.CheckTree(proof, tree.N, tree.Hash, old, f.root[origin]) != nil {
		return http.StatusUnprocessableEntity, []byte("bad consistency proof\n")
	}
	f.size[origin], f.root[origin] = tree.N, tree.Hash
	signedByWitness, _ := note.Sign(&note.Note{Text: n.Text}, f.c)
	_, sigs := splitNote(signedByWitness)
	return http.StatusOK, sigs
}

func TestAddCheckpoint(t *testing.T) {
	lg := newTestLog(t, testOrigin, "a", "b", "c", "d", "e", "f", "g")
	fork := newTestLog(t, testOrigin, "a", "b", "X", "Y", "Z", "W", "V") // diverges at leaf 2
	fork.signer, fork.verifier = lg.signer, lg.verifier
	stranger := newTestLog(t, "example.org/probity/acme.lending", "a")
	impostor := newTestLog(t, testOrigin, "a") // same origin, another key
	c := newCosigner(t, "witness.example/w1")
	other := newCosigner(t, "witness.example/w2")

	tests := []struct {
		name    string
		size    int64 // what the witness cosigned before
		answer  func(rw http.ResponseWriter, r *http.Request, cosig []byte)
		ctx     time.Duration
		old     uint64
		proof   [][]byte
		signed  []byte
		wantErr func(error) string // "" when err is as expected
	}{
		{name: "OK", old: 0, signed: lg.checkpoint(t, 3)},
		{name: "OKWithProof", size: 3, old: 3, proof: lg.proof(t, 3, 7), signed: lg.checkpoint(t, 7)},
		{name: "OKSameSize", size: 7, old: 7, signed: lg.checkpoint(t, 7)},
		{name: "OKOtherKeyLinesIgnored", signed: lg.checkpoint(t, 3),
			answer: func(rw http.ResponseWriter, r *http.Request, cosig []byte) {
				rw.Write(other.cosign(t, lg.checkpoint(t, 3)))
				rw.Write(cosig)
			}},
		{name: "ErrStale", size: 7, old: 0, signed: lg.checkpoint(t, 7), wantErr: wantStale(7)},
		{name: "ErrStaleAhead", size: 7, old: 3, proof: lg.proof(t, 3, 5), signed: lg.checkpoint(t, 5), wantErr: wantStale(7)},
		{name: "ErrRefusedSignature", old: 0, signed: impostor.checkpointSignedBy(t, 1, impostor.signer), wantErr: wantRefused(403)},
		{name: "ErrRefusedFork", size: 7, old: 7, signed: fork.checkpoint(t, 7), wantErr: wantRefused(422)},
		{name: "ErrRefusedForkProof", size: 3, old: 3, proof: fork.proof(t, 3, 7), signed: fork.checkpoint(t, 7), wantErr: wantRefused(422)},
		{name: "ErrUnknownLog", signed: stranger.checkpoint(t, 1), wantErr: wantIs(ErrUnknownLog)},
		{name: "ErrBadCosignature", signed: lg.checkpoint(t, 3),
			answer: func(rw http.ResponseWriter, r *http.Request, cosig []byte) {
				rw.Write(c.cosign(t, lg.checkpoint(t, 4))) // the witness's key, another checkpoint
			}, wantErr: wantText("does not verify")},
		{name: "ErrZeroTimestamp", signed: lg.checkpoint(t, 3),
			answer: func(rw http.ResponseWriter, r *http.Request, cosig []byte) {
				zero := *c
				zero.now = func() time.Time { return time.Unix(0, 0) }
				rw.Write(zero.cosign(t, lg.checkpoint(t, 3)))
			}, wantErr: wantText("does not verify")},
		{name: "ErrNoCosignature", signed: lg.checkpoint(t, 3),
			answer: func(rw http.ResponseWriter, r *http.Request, cosig []byte) {
				rw.Write(other.cosign(t, lg.checkpoint(t, 3)))
			}, wantErr: wantText("no cosignature from its key")},
		{name: "ErrNotSignatureLines", signed: lg.checkpoint(t, 3),
			answer: func(rw http.ResponseWriter, r *http.Request, cosig []byte) {
				io.WriteString(rw, "<html>hello</html>\n")
			}, wantErr: wantText("no valid signature lines")},
		{name: "ErrTooLarge", signed: lg.checkpoint(t, 3),
			answer: func(rw http.ResponseWriter, r *http.Request, cosig []byte) {
				rw.Write(bytes.Repeat(cosig, MaxResponseBytes/len(cosig)+1))
			}, wantErr: wantText("more than 65536 bytes")},
		{name: "ErrConflictWithoutSize", signed: lg.checkpoint(t, 3),
			answer: func(rw http.ResponseWriter, r *http.Request, cosig []byte) {
				http.Error(rw, "conflict", http.StatusConflict)
			}, wantErr: wantText("without a tree size")},
		{name: "ErrServer", signed: lg.checkpoint(t, 3),
			answer: func(rw http.ResponseWriter, r *http.Request, cosig []byte) {
				http.Error(rw, "database is locked", http.StatusInternalServerError)
			}, wantErr: wantText(`500 Internal Server Error: "database is locked"`)},
		{name: "ErrTimeout", signed: lg.checkpoint(t, 3), ctx: 100 * time.Millisecond,
			answer: func(rw http.ResponseWriter, r *http.Request, cosig []byte) {
				select {
				case <-r.Context().Done():
				case <-time.After(10 * time.Second):
				}
			}, wantErr: wantIs(context.DeadlineExceeded)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeWitness(c, lg)
			f.size[lg.origin], f.root[lg.origin] = tt.size, lg.root(t, tt.size)
			f.answer = tt.answer
			srv := httptest.NewServer(f)
			defer srv.Close()
			w := mustWitness(t, srv.URL, c)
			ctx := t.Context()
			if tt.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctx)
				defer cancel()
			}
			cosig, err := w.AddCheckpoint(ctx, tt.old, tt.proof, tt.signed)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("AddCheckpoint succeeded with %q, want an error", cosig)
				}
				if msg := tt.wantErr(err); msg != "" {
					t.Fatalf("AddCheckpoint error %q: %s", err, msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("AddCheckpoint: %v", err)
			}
			if got, want := string(cosig), string(c.cosign(t, tt.signed)); len(got) != len(want) || !strings.HasPrefix(got, "— witness.example/w1 ") {
				t.Fatalf("cosignature %q, want one line of witness.example/w1 like %q", got, want)
			}
			when, err := VerifyCosignature(w, tt.signed, cosig)
			if err != nil {
				t.Fatalf("VerifyCosignature: %v", err)
			}
			if d := time.Since(when); d < -time.Minute || d > time.Minute {
				t.Errorf("cosignature time %v, want about now", when)
			}
		})
	}
}

func wantStale(size uint64) func(error) string {
	return func(err error) string {
		var s *StaleError
		if !errors.As(err, &s) {
			return "want a *StaleError"
		}
		if s.WitnessSize != size {
			return fmt.Sprintf("WitnessSize=%d, want %d", s.WitnessSize, size)
		}
		return ""
	}
}

func wantRefused(status int) func(error) string {
	return func(err error) string {
		var r *RefusedError
		if !errors.As(err, &r) {
			return "want a *RefusedError"
		}
		if r.Status != status {
			return fmt.Sprintf("Status=%d, want %d", r.Status, status)
		}
		if !strings.Contains(err.Error(), "refused the checkpoint") {
			return "want the message to say the witness refused the checkpoint"
		}
		return ""
	}
}

func wantIs(target error) func(error) string {
	return func(err error) string {
		if !errors.Is(err, target) {
			return fmt.Sprintf("want errors.Is(err, %v)", target)
		}
		return ""
	}
}

func wantText(s string) func(error) string {
	return func(err error) string {
		if !strings.Contains(err.Error(), s) {
			return fmt.Sprintf("want it to say %q", s)
		}
		return ""
	}
}

// TestAddCheckpointRequest checks the body byte for byte against
// tlog-witness's format: "old N", base64 proof lines, a blank line, the note.
func TestAddCheckpointRequest(t *testing.T) {
	lg := newTestLog(t, testOrigin, "a", "b", "c", "d", "e", "f", "g")
	c := newCosigner(t, "witness.example/w1")
	f := newFakeWitness(c, lg)
	f.size[lg.origin], f.root[lg.origin] = 3, lg.root(t, 3)
	srv := httptest.NewServer(f)
	defer srv.Close()
	proof, signed := lg.proof(t, 3, 7), lg.checkpoint(t, 7)
	if _, err := mustWitness(t, srv.URL+"/", c).AddCheckpoint(t.Context(), 3, proof, signed); err != nil {
		t.Fatal(err)
	}
	want := "old 3\n"
	for _, h := range proof {
		want += base64.StdEncoding.EncodeToString(h) + "\n"
	}
	want += "\n" + string(signed)
	if got := string(f.body); got != want {
		t.Fatalf("request body\n%s\nwant\n%s", got, want)
	}
}

// TestAddCheckpointArguments checks that a request the witness would refuse
// as malformed is refused before it is sent, saying what is allowed.
func TestAddCheckpointArguments(t *testing.T) {
	lg := newTestLog(t, testOrigin, "a", "b", "c")
	c := newCosigner(t, "witness.example/w1")
	sent := false
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { sent = true }))
	defer srv.Close()
	w := mustWitness(t, srv.URL, c)
	hash := make([]byte, 32)
	text, _ := splitNote(lg.checkpoint(t, 3))
	long := make([][]byte, 64)
	for i := range long {
		long[i] = hash
	}
	tests := []struct {
		name   string
		w      *Witness
		old    uint64
		proof  [][]byte
		signed []byte
		want   string
	}{
		{"ErrOldAboveSize", w, 4, nil, lg.checkpoint(t, 3), "larger than the checkpoint's size 3"},
		{"ErrProofFromZero", w, 0, [][]byte{hash}, lg.checkpoint(t, 3), "old size 0 takes no consistency proof"},
		{"ErrProofTooLong", w, 1, long, lg.checkpoint(t, 3), "at most 63"},
		{"ErrShortHash", w, 1, [][]byte{hash[:31]}, lg.checkpoint(t, 3), "has 31 bytes; want 32"},
		{"ErrUnsigned", w, 0, nil, text, "not a signed note"},
		{"ErrNotCheckpoint", w, 0, nil, []byte("hello\n\n— x AAAAAA==\n"), "origin, a tree size and a root hash"},
		{"ErrNoKey", &Witness{URL: srv.URL}, 0, nil, lg.checkpoint(t, 3), "build it with ParseWitness"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.w.AddCheckpoint(t.Context(), tt.old, tt.proof, tt.signed)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("AddCheckpoint error %v, want it to say %q", err, tt.want)
			}
			if sent {
				t.Fatal("the request was sent")
			}
		})
	}
}
