package witness

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity/witness/witnesstest"
	"golang.org/x/mod/sumdb/note"
)

// TestLitewitness runs the client against a real litewitness (filippo.io/
// torchwood v0.6.1), the witness most tlog-witness deployments run: it must
// cosign a new log's checkpoints, its cosignatures must verify with the vkey
// it prints, and its stale, forged and forked answers must come back as the
// typed errors the log acts on. scripts/witness-tools installs the tools.
func TestLitewitness(t *testing.T) {
	lw := witnesstest.Start(t)
	checkDerivedVkey(t, lw)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	lg := newTestLog(t, testOrigin, "a", "b", "c", "d", "e", "f", "g")
	lw.AddLog(t, lg.origin, lg.vkey)
	w, err := ParseWitness(lw.URL + "=" + lw.Vkey)
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
	if n, names := Quorum(cosigned, []*Witness{w}); n != 1 || names[0] != lw.Name {
		t.Fatalf("Quorum=%d %q, want 1 [%s]", n, names, lw.Name)
	}
	if n, err := note.Open(cosigned, note.VerifierList(lg.verifier, w.Key)); err != nil || len(n.Sigs) != 2 {
		t.Fatalf("note.Open(cosigned checkpoint) = %v; want the log's and the witness's signatures", err)
	}
	stranger := mustWitness(t, lw.URL, newCosigner(t, lw.Name)) // same name, another key
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
	size, root := lw.LogState(t, lg.origin)
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

// checkDerivedVkey checks that the vkey litewitness prints is its ssh key's,
// as tlog-cosignature derives it: the key this package verifies with.
func checkDerivedVkey(t *testing.T, lw *witnesstest.Litewitness) {
	t.Helper()
	typed := append([]byte{KeyTypeCosignatureV1}, lw.PublicKey...)
	id := sha256.Sum256(append([]byte(lw.Name+"\n"), typed...))
	if want := fmt.Sprintf("%s+%08x+%s", lw.Name, binary.BigEndian.Uint32(id[:]), base64.StdEncoding.EncodeToString(typed)); lw.Vkey != want {
		t.Fatalf("litewitness vkey %q, want %q from the ssh key", lw.Vkey, want)
	}
}
