// Package witness is Probity's client of C2SP tlog-witness witnesses and its
// verifier of their C2SP tlog-cosignature (cosignature/v1, Ed25519)
// cosignatures. Independent witnesses cosigning each installation checkpoint
// is what makes the audit log show one history to everyone (DESIGN.md, "The
// audit log (v2)"): the operator cannot sign two different trees of the same
// log without a witness refusing one of them.
//
// The package depends only on the standard library and golang.org/x/mod: it
// speaks the protocol exactly as litewitness (filippo.io/torchwood) serves it,
// which the integration test checks against a real litewitness.
package witness

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	// MaxProofLines is the most consistency proof hashes tlog-witness lets a
	// client send; a proof between two trees of under 2^63 leaves fits.
	MaxProofLines = 63

	// MaxResponseBytes bounds what AddCheckpoint reads of a witness's answer:
	// room for many cosignature lines, but a misbehaving witness cannot make
	// the log buffer without limit.
	MaxResponseBytes = 64 << 10

	// DefaultTimeout bounds one AddCheckpoint call when the Witness has no
	// Client of its own; a context deadline still applies on top.
	DefaultTimeout = 30 * time.Second
)

// Witness is one witness the operator configured: where to submit
// checkpoints and the key its cosignatures must verify with. Build it with
// ParseWitness, which checks both.
type Witness struct {
	// URL is the witness's submission prefix, without a trailing slash;
	// AddCheckpoint posts to URL + "/add-checkpoint".
	URL string

	// Key verifies the witness's cosignatures. Its name is the witness's name.
	Key *CosignatureVerifier

	// Client sends the requests; nil means a client with DefaultTimeout.
	Client *http.Client
}

var defaultClient = &http.Client{Timeout: DefaultTimeout}

// Name is the witness's key name, as it appears in its cosignature lines and
// in Quorum's list; it identifies the witness in errors and logs.
func (w *Witness) Name() string {
	if w == nil || w.Key == nil {
		return ""
	}
	return w.Key.name
}

// ParseWitness parses the operator's witness flag, "URL=VKEY": the witness's
// submission prefix (http or https, no query or fragment) and the C2SP vkey
// of its cosignature/v1 Ed25519 key (type 0x04), as litewitness prints it at
// start-up ("verifier key" vkey=...). The URL is cut at the first '=', which
// a vkey of this type never needs before its key part.
func ParseWitness(spec string) (*Witness, error) {
	rawURL, vkey, ok := strings.Cut(spec, "=")
	if !ok || rawURL == "" || vkey == "" {
		return nil, fmt.Errorf("witness %q: want URL=VKEY, e.g. https://witness.example/w1=witness.example/w1+1a2b3c4d+BA...", spec)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("witness %q: the URL does not parse: %v", spec, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("witness %q: the URL must be an absolute http or https URL, the witness's submission prefix", spec)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("witness %q: the URL may have no query, fragment or user: it is a prefix that /add-checkpoint is appended to", spec)
	}
	key, err := ParseVerifierKey(vkey)
	if err != nil {
		return nil, err
	}
	return &Witness{URL: strings.TrimRight(rawURL, "/"), Key: key}, nil
}

// StaleError is AddCheckpoint's answer to a 409 Conflict: the old size sent is
// not the size the witness last cosigned for this log. If WitnessSize is at
// most the checkpoint's size, submit again with old size WitnessSize and a
// consistency proof from it. If it is larger, the witness has cosigned a
// bigger tree of this log than the one submitted: the log has rolled back or
// been forked, and resubmitting will not help.
type StaleError struct {
	Witness     string // the witness's name
	WitnessSize uint64 // the tree size the witness last cosigned
}

// Error says which size the witness holds and how to resubmit.
func (e *StaleError) Error() string {
	return fmt.Sprintf("witness %s last cosigned tree size %d of this log, not the old size sent: submit again from size %d with a consistency proof", e.Witness, e.WitnessSize, e.WitnessSize)
}

// RefusedError is AddCheckpoint's answer to a witness that will not cosign:
// 403 Forbidden (the log signature does not verify with a key the witness
// trusts for the origin; litewitness also answers 403 for an origin it does
// not know) or 422 Unprocessable Entity (the checkpoint is not consistent with
// the tree the witness cosigned before: a bad proof or a fork). Do not retry
// it unchanged; a 422 over a correct proof is evidence of a split view.
type RefusedError struct {
	Witness string // the witness's name
	Status  int    // the HTTP status, 403 or 422
	Reason  string // the start of the witness's answer, e.g. "invalid signature"
}

// Error names the witness, its status and reason, and what the status means.
func (e *RefusedError) Error() string {
	why := "it does not verify or is not consistent with what it saw"
	switch e.Status {
	case http.StatusForbidden:
		why = "its log signature does not verify with a key the witness trusts for this origin (or the witness does not know the log)"
	case http.StatusUnprocessableEntity:
		why = "it is not consistent with the tree the witness cosigned before"
	}
	return fmt.Sprintf("witness %s refused the checkpoint (%d %s: %q): %s", e.Witness, e.Status, http.StatusText(e.Status), e.Reason, why)
}

// ErrUnknownLog is wrapped by AddCheckpoint's error when the witness answers
// 404 Not Found: it does not know the checkpoint's origin. The witness's
// operator must add the log (origin and checkpoint key) first.
var ErrUnknownLog = errors.New("the witness does not know this log: ask its operator to add the origin and the log's checkpoint key")

// AddCheckpoint submits signedCheckpoint (the log's signed tlog-checkpoint
// note) to the witness with tlog-witness's add-checkpoint, with the old size
// the witness last cosigned (0 the first time, with no proof) and the RFC 6962
// consistency proof from that size. It returns the witness's signature lines
// for its own key, each ending in a newline, once every one of them has
// verified over the checkpoint; lines of other keys are dropped. Errors:
// *StaleError (409), *RefusedError (403, 422), ErrUnknownLog (404, wrapped),
// and an error quoting the status for anything else. ctx bounds the call.
func (w *Witness) AddCheckpoint(ctx context.Context, oldSize uint64, consistencyProof [][]byte, signedCheckpoint []byte) ([]byte, error) {
	if w == nil || w.Key == nil || w.URL == "" {
		return nil, errors.New("witness has no URL or key: build it with ParseWitness")
	}
	body, text, err := addCheckpointRequest(oldSize, consistencyProof, signedCheckpoint)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL+"/add-checkpoint", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("witness %s: %w", w.Name(), err)
	}
	client := w.Client
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("witness %s: %w", w.Name(), err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("witness %s: reading the answer: %v", w.Name(), err)
	}
	if len(answer) > MaxResponseBytes {
		return nil, fmt.Errorf("witness %s answered %d with more than %d bytes; refusing to read it", w.Name(), resp.StatusCode, MaxResponseBytes)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return w.checkCosignatures(text, answer)
	case http.StatusConflict:
		return nil, w.staleError(resp.Header.Get("Content-Type"), answer)
	case http.StatusForbidden, http.StatusUnprocessableEntity:
		return nil, &RefusedError{Witness: w.Name(), Status: resp.StatusCode, Reason: snippet(bytes.TrimSpace(answer))}
	case http.StatusNotFound:
		return nil, fmt.Errorf("witness %s (%q): %w", w.Name(), snippet(bytes.TrimSpace(answer)), ErrUnknownLog)
	}
	return nil, fmt.Errorf("witness %s answered %s: %q", w.Name(), resp.Status, snippet(bytes.TrimSpace(answer)))
}

// addCheckpointRequest checks the arguments and builds the request body:
// "old N\n", one base64 proof hash a line, a blank line, the checkpoint.
func addCheckpointRequest(oldSize uint64, proof [][]byte, signed []byte) (body, text []byte, err error) {
	text, sigs := splitNote(signed)
	if len(sigs) == 0 {
		return nil, nil, errors.New("the checkpoint is not a signed note: the log must sign it before witnesses can cosign it")
	}
	c, err := parseCheckpoint(text)
	if err != nil {
		return nil, nil, err
	}
	if _, _, err := signatureLines(sigs); err != nil {
		return nil, nil, fmt.Errorf("the checkpoint's signatures: %v", err)
	}
	switch {
	case oldSize > c.size:
		return nil, nil, fmt.Errorf("old size %d is larger than the checkpoint's size %d", oldSize, c.size)
	case oldSize == 0 && len(proof) > 0:
		return nil, nil, errors.New("old size 0 takes no consistency proof: the empty tree is consistent with every tree")
	case len(proof) > MaxProofLines:
		return nil, nil, fmt.Errorf("the consistency proof has %d hashes; tlog-witness allows at most %d", len(proof), MaxProofLines)
	}
	var b bytes.Buffer
	b.WriteString("old ")
	b.WriteString(strconv.FormatUint(oldSize, 10))
	b.WriteByte('\n')
	for i, h := range proof {
		if len(h) != 32 {
			return nil, nil, fmt.Errorf("consistency proof hash %d has %d bytes; want 32 (SHA-256)", i, len(h))
		}
		b.WriteString(base64.StdEncoding.EncodeToString(h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.Write(signed)
	return b.Bytes(), text, nil
}

// checkCosignatures keeps the lines of the witness's own key from a 200
// answer, all of which must verify, and at least one of which must be there.
func (w *Witness) checkCosignatures(text, answer []byte) ([]byte, error) {
	raw, lines, err := signatureLines(answer)
	if err != nil {
		return nil, fmt.Errorf("witness %s answered 200 with no valid signature lines: %v", w.Name(), err)
	}
	var out []byte
	for i, s := range lines {
		if s.name != w.Key.name || s.id != w.Key.hash {
			continue // tlog-witness: ignore cosignatures from unknown keys
		}
		if _, ok := w.Key.verify(text, s.sig); !ok {
			return nil, fmt.Errorf("witness %s returned a cosignature that does not verify with its key %s over the checkpoint; refusing it", w.Name(), w.Key)
		}
		out = append(append(out, raw[i]...), '\n')
	}
	if out == nil {
		return nil, fmt.Errorf("witness %s answered 200 with no cosignature from its key %s: check the configured key against the one the witness prints", w.Name(), w.Key)
	}
	return out, nil
}

func (w *Witness) staleError(contentType string, answer []byte) error {
	mt, _, _ := mime.ParseMediaType(contentType)
	s, ok := bytes.CutSuffix(answer, []byte("\n"))
	n, err := strconv.ParseUint(string(s), 10, 64)
	if mt != "text/x.tlog.size" || !ok || err != nil || strconv.FormatUint(n, 10) != string(s) {
		return fmt.Errorf("witness %s answered 409 Conflict without a tree size (Content-Type %q, body %q); want text/x.tlog.size and a decimal size", w.Name(), contentType, snippet(answer))
	}
	return &StaleError{Witness: w.Name(), WitnessSize: n}
}
