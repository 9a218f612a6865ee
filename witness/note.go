package witness

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// checkpoint is what the client reads of a C2SP tlog-checkpoint note text:
// enough to refuse a malformed request before it reaches a witness.
type checkpoint struct {
	origin string
	size   uint64
}

// splitNote cuts a signed note at its last blank line into the note text
// (with its final newline) and the signature lines. Without a blank line the
// whole input is taken as the text: a checkpoint text has no empty lines, so
// callers may pass either the text or the signed note.
func splitNote(b []byte) (text, sigs []byte) {
	i := bytes.LastIndex(b, []byte("\n\n"))
	if i < 0 {
		return b, nil
	}
	return b[:i+1], b[i+2:]
}

// checkNoteText parses a checkpoint note text: origin, tree size and base64
// root hash lines, then optional non-empty extension lines, each ending in a
// newline, with no control characters but newline (signed-note).
func checkNoteText(text []byte) error {
	_, err := parseCheckpoint(text)
	return err
}

func parseCheckpoint(text []byte) (checkpoint, error) {
	if !utf8.Valid(text) {
		return checkpoint{}, errors.New("the checkpoint is not valid UTF-8")
	}
	for _, c := range text {
		if c < 0x20 && c != '\n' || c == 0x7f {
			return checkpoint{}, fmt.Errorf("the checkpoint holds control character 0x%02x; a signed note allows only newlines", c)
		}
	}
	if len(text) == 0 || text[len(text)-1] != '\n' {
		return checkpoint{}, errors.New("the checkpoint text must end in a newline")
	}
	lines := bytes.Split(text[:len(text)-1], []byte("\n"))
	if len(lines) < 3 {
		return checkpoint{}, errors.New("the checkpoint must have an origin, a tree size and a root hash line")
	}
	for i, l := range lines {
		if len(l) == 0 {
			return checkpoint{}, fmt.Errorf("checkpoint line %d is empty; no checkpoint line may be", i+1)
		}
	}
	size, err := strconv.ParseUint(string(lines[1]), 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != string(lines[1]) {
		return checkpoint{}, fmt.Errorf("checkpoint line 2 %q is not a tree size (decimal, no leading zeros)", snippet(lines[1]))
	}
	root, err := base64.StdEncoding.DecodeString(string(lines[2]))
	if err != nil || len(root) != 32 {
		return checkpoint{}, fmt.Errorf("checkpoint line 3 %q is not a base64 32-byte root hash", snippet(lines[2]))
	}
	return checkpoint{origin: string(lines[0]), size: size}, nil
}

// signatureLines splits a block of signature lines, each ending in a newline,
// and parses every one, so a caller never stores or serves a malformed line.
func signatureLines(block []byte) ([][]byte, []signatureLine, error) {
	if len(block) == 0 {
		return nil, nil, nil
	}
	if block[len(block)-1] != '\n' {
		return nil, nil, errors.New("the last signature line does not end in a newline")
	}
	raw := bytes.Split(block[:len(block)-1], []byte("\n"))
	parsed := make([]signatureLine, len(raw))
	for i, l := range raw {
		s, err := parseSignatureLine(l)
		if err != nil {
			return nil, nil, err
		}
		parsed[i] = s
	}
	return raw, parsed, nil
}

// MergeCosignatures returns signedNote with the signature lines of each
// cosignature appended after the note's own signatures (the log's come first,
// as clients expect), skipping lines the note already has. Each cosignature is
// one or more newline-terminated signature lines, as AddCheckpoint returns
// them. It does not verify anything: check lines with VerifyCosignature or
// count them with Quorum.
func MergeCosignatures(signedNote []byte, cosignatures ...[]byte) ([]byte, error) {
	text, sigs := splitNote(signedNote)
	if sigs == nil {
		return nil, errors.New("the note has no signature block: merge cosignatures into the log's signed checkpoint")
	}
	if err := checkNoteText(text); err != nil {
		return nil, err
	}
	have, _, err := signatureLines(sigs)
	if err != nil {
		return nil, fmt.Errorf("the note's own signatures: %v", err)
	}
	if len(have) == 0 {
		return nil, errors.New("the note has no signature of its own: merge cosignatures into the log's signed checkpoint")
	}
	seen := make(map[string]bool, len(have))
	for _, l := range have {
		seen[string(l)] = true
	}
	out := append(append(append([]byte(nil), text...), '\n'), sigs...)
	for _, c := range cosignatures {
		lines, _, err := signatureLines(c)
		if err != nil {
			return nil, fmt.Errorf("cosignature: %v", err)
		}
		for _, l := range lines {
			if seen[string(l)] {
				continue
			}
			seen[string(l)] = true
			out = append(append(out, l...), '\n')
		}
	}
	return out, nil
}

// Quorum counts the witnesses among witnesses that cosigned the checkpoint in
// signedNote, for a k-of-n policy: n is how many distinct witness keys have a
// cosignature/v1 line that verifies over the note text, and names their key
// names in the order given. A witness listed twice, or with several lines,
// counts once; one with any line of its key that fails to verify does not
// count at all (signed-note says to reject such a note). Lines of other keys,
// the log's own signature included, are ignored: Quorum does not check the
// log's signature, which the caller verifies with note.Open and the log's key.
// A malformed note counts zero.
func Quorum(signedNote []byte, witnesses []*Witness) (n int, names []string) {
	text, sigs := splitNote(signedNote)
	if sigs == nil || checkNoteText(text) != nil {
		return 0, nil
	}
	_, lines, err := signatureLines(sigs)
	if err != nil {
		return 0, nil
	}
	counted := make(map[string]bool)
	for _, w := range witnesses {
		if w == nil || w.Key == nil {
			continue
		}
		k := w.Key.String()
		if counted[k] {
			continue
		}
		verified, failed := false, false
		for _, s := range lines {
			if s.name != w.Key.name || s.id != w.Key.hash {
				continue
			}
			if _, ok := w.Key.verify(text, s.sig); ok {
				verified = true
			} else {
				failed = true
			}
		}
		if verified && !failed {
			counted[k] = true
			names = append(names, w.Key.name)
		}
	}
	return len(names), names
}
