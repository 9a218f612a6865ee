package witness

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

func TestMergeCosignatures(t *testing.T) {
	lg := newTestLog(t, testOrigin, "a", "b", "c")
	w1, w2 := newCosigner(t, "witness.example/w1"), newCosigner(t, "witness.example/w2")
	signed := lg.checkpoint(t, 3)
	c1, c2 := w1.cosign(t, signed), w2.cosign(t, signed)
	text, logSig := splitNote(signed)

	tests := []struct {
		name    string
		note    []byte
		cosigs  [][]byte
		want    string
		wantErr string
	}{
		{name: "OK", note: signed, cosigs: [][]byte{c1, c2}, want: string(signed) + string(c1) + string(c2)},
		{name: "OKTwoLinesAtOnce", note: signed, cosigs: [][]byte{append(bytes.Clone(c1), c2...)}, want: string(signed) + string(c1) + string(c2)},
		{name: "OKDuplicates", note: signed, cosigs: [][]byte{c1, c1, logSig}, want: string(signed) + string(c1)},
		{name: "OKAgain", note: []byte(string(signed) + string(c1)), cosigs: [][]byte{c1, c2}, want: string(signed) + string(c1) + string(c2)},
		{name: "ErrUnsigned", note: text, cosigs: [][]byte{c1}, wantErr: "no signature block"},
		{name: "ErrNoNewline", note: signed, cosigs: [][]byte{bytes.TrimSuffix(c1, []byte("\n"))}, wantErr: "does not end in a newline"},
		{name: "ErrNotALine", note: signed, cosigs: [][]byte{[]byte("hello\n")}, wantErr: "does not start with"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MergeCosignatures(tt.note, tt.cosigs...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("MergeCosignatures error %v, want it to say %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("MergeCosignatures: %v", err)
			}
			if string(got) != tt.want {
				t.Fatalf("merged\n%s\nwant\n%s", got, tt.want)
			}
			if _, err := note.Open(got, note.VerifierList(lg.verifier)); err != nil {
				t.Fatalf("the merged note no longer opens with the log's key: %v", err)
			}
		})
	}
}

func TestQuorum(t *testing.T) {
	lg := newTestLog(t, testOrigin, "a", "b", "c")
	c1, c2, c3 := newCosigner(t, "witness.example/w1"), newCosigner(t, "witness.example/w2"), newCosigner(t, "witness.example/w3")
	w1, w2, w3 := mustWitness(t, "https://w1.example", c1), mustWitness(t, "https://w2.example", c2), mustWitness(t, "https://w3.example", c3)
	w1again := mustWitness(t, "https://mirror.w1.example", c1)
	signed := lg.checkpoint(t, 3)
	merge := func(cosigs ...[]byte) []byte {
		m, err := MergeCosignatures(signed, cosigs...)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	bad := c2.cosign(t, lg.checkpoint(t, 2)) // w2's key over another tree

	tests := []struct {
		name      string
		note      []byte
		witnesses []*Witness
		want      []string
	}{
		{"AllThree", merge(c1.cosign(t, signed), c2.cosign(t, signed), c3.cosign(t, signed)), []*Witness{w1, w2, w3}, []string{"witness.example/w1", "witness.example/w2", "witness.example/w3"}},
		{"OneMissing", merge(c1.cosign(t, signed), c3.cosign(t, signed)), []*Witness{w1, w2, w3}, []string{"witness.example/w1", "witness.example/w3"}},
		{"NoneOfThese", merge(c3.cosign(t, signed)), []*Witness{w1, w2}, nil},
		{"ListedTwiceCountsOnce", merge(c1.cosign(t, signed)), []*Witness{w1, w1again, w1}, []string{"witness.example/w1"}},
		{"BadLineDoesNotCount", merge(c1.cosign(t, signed), bad), []*Witness{w1, w2}, []string{"witness.example/w1"}},
		{"BadLineBesideGoodDoesNotCount", merge(c2.cosign(t, signed), bad), []*Witness{w1, w2}, nil},
		{"LogSignatureOnly", signed, []*Witness{w1, w2, w3}, nil},
		{"Unsigned", []byte("not a note\n"), []*Witness{w1}, nil},
		{"NilWitness", merge(c1.cosign(t, signed)), []*Witness{nil, {}, w1}, []string{"witness.example/w1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, names := Quorum(tt.note, tt.witnesses)
			if n != len(tt.want) || !reflect.DeepEqual(names, tt.want) {
				t.Fatalf("Quorum=%d %q, want %d %q", n, names, len(tt.want), tt.want)
			}
		})
	}
}
