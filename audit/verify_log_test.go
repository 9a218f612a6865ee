package audit

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"testing"
)

// TestVerifierHashes checks that the verifier's own RFC 6962 hashing (one
// allocation a hash) gives the hashes of HashLeaf and of the tree, root
// and compact range, at every size up to a few hundred leaves.
func TestVerifierHashes(t *testing.T) {
	var tree Tree
	rng := treeRanges.NewEmptyRange(0)
	for i := range 300 {
		data := fmt.Sprintf("leaf %d", i)
		sum := sha256.Sum256(append([]byte{leafPrefix}, data...))
		if want := HashLeaf([]byte(data)); !bytes.Equal(sum[:], want) {
			t.Fatalf("leaf %d: hash %x, want %x", i, sum, want)
		}
		tree.Append(sum[:])
		if err := rng.Append(sum[:], nil); err != nil {
			t.Fatal(err)
		}
		size := uint64(i + 1)
		want, err := tree.Root(size)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := rng.GetRootHash(nil); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("size %d: root %x, %v; want %x", size, got, err, want)
		}
		wantRange, err := tree.Range(size)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(rangeBytes(rng.Hashes()), rangeBytes(wantRange)) {
			t.Fatalf("size %d: compact range differs from the tree's", size)
		}
	}
}
