// Package audit is Probity's tamper-evident log (P8): RFC 6962 leaves, signed
// checkpoints in the C2SP signed-note format, inclusion and consistency
// proofs, and the verification that every stored row still matches its leaf.
package audit

import (
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// hasher is the RFC 6962 SHA-256 hasher of every leaf and node.
var hasher = rfc6962.DefaultHasher

// rangeFactory builds compact ranges with the RFC 6962 node hash.
var rangeFactory = &compact.RangeFactory{Hash: hasher.HashChildren}

// HashLeaf returns the RFC 6962 leaf hash of a leaf's data.
func HashLeaf(data []byte) []byte { return hasher.HashLeaf(data) }

// EmptyRoot is the root hash of the empty log.
func EmptyRoot() []byte { return hasher.EmptyRoot() }

// Tree is a log's tree, for its roots and proofs at any size. Built with
// Append, it holds every node hash in memory, 64 bytes a leaf; from
// Log.Tree, it reads the log's stored tiles instead (see tileReader), a few
// rows a proof.
type Tree struct {
	levels [][][32]byte
	tiles  *tileReader
}

// Size returns the number of leaves.
func (t *Tree) Size() uint64 {
	if t.tiles != nil {
		return t.tiles.size
	}
	if len(t.levels) == 0 {
		return 0
	}
	return uint64(len(t.levels[0]))
}

// Append adds a leaf hash and every node it completes, to a tree built in
// memory (not one from Log.Tree).
func (t *Tree) Append(leafHash []byte) {
	if t.tiles != nil {
		panic("audit: Append to a tree read from the store")
	}
	var h [32]byte
	copy(h[:], leafHash)
	for level := 0; ; level++ {
		if level == len(t.levels) {
			t.levels = append(t.levels, nil)
		}
		t.levels[level] = append(t.levels[level], h)
		n := len(t.levels[level])
		if n%2 == 1 {
			return
		}
		copy(h[:], hasher.HashChildren(t.levels[level][n-2][:], t.levels[level][n-1][:]))
	}
}

func (t *Tree) node(id compact.NodeID) ([]byte, error) {
	if t.tiles != nil {
		return t.tiles.node(id)
	}
	if int(id.Level) >= len(t.levels) || id.Index >= uint64(len(t.levels[id.Level])) {
		return nil, fmt.Errorf("node %d/%d is not in a tree of %d leaves", id.Level, id.Index, t.Size())
	}
	h := t.levels[id.Level][id.Index]
	return h[:], nil
}

func (t *Tree) nodes(ids []compact.NodeID) ([][]byte, error) {
	hashes := make([][]byte, len(ids))
	for i, id := range ids {
		h, err := t.node(id)
		if err != nil {
			return nil, err
		}
		hashes[i] = append([]byte(nil), h...)
	}
	return hashes, nil
}

// Range returns the compact range of the tree's first size leaves: the
// hashes of the perfect subtrees that cover them, left to right.
func (t *Tree) Range(size uint64) ([][]byte, error) {
	if size > t.Size() {
		return nil, fmt.Errorf("size %d is beyond the %d leaves of the log", size, t.Size())
	}
	return t.nodes(compact.RangeNodes(0, size, nil))
}

// Root returns the root hash of the tree's first size leaves.
func (t *Tree) Root(size uint64) ([]byte, error) {
	hashes, err := t.Range(size)
	if err != nil {
		return nil, err
	}
	return rootOf(size, hashes)
}

func rootOf(size uint64, hashes [][]byte) ([]byte, error) {
	if size == 0 {
		return EmptyRoot(), nil
	}
	r, err := rangeFactory.NewRange(0, size, hashes)
	if err != nil {
		return nil, err
	}
	return r.GetRootHash(nil)
}

// InclusionProof proves that leaf index is in the tree of size.
func (t *Tree) InclusionProof(index, size uint64) ([][]byte, error) {
	if size > t.Size() {
		return nil, fmt.Errorf("size %d is beyond the %d leaves of the log", size, t.Size())
	}
	n, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	return t.rehash(n)
}

// ConsistencyProof proves that the tree of size from is a prefix of the
// tree of size to.
func (t *Tree) ConsistencyProof(from, to uint64) ([][]byte, error) {
	if to > t.Size() {
		return nil, fmt.Errorf("size %d is beyond the %d leaves of the log", to, t.Size())
	}
	n, err := proof.Consistency(from, to)
	if err != nil {
		return nil, err
	}
	return t.rehash(n)
}

func (t *Tree) rehash(n proof.Nodes) ([][]byte, error) {
	hashes, err := t.nodes(n.IDs)
	if err != nil {
		return nil, err
	}
	return n.Rehash(hashes, hasher.HashChildren)
}

// VerifyInclusion checks an inclusion proof of a leaf hash against a root.
func VerifyInclusion(index, size uint64, leafHash []byte, p [][]byte, root []byte) error {
	return proof.VerifyInclusion(hasher, index, size, leafHash, p, root)
}

// VerifyConsistency checks a consistency proof between two roots.
func VerifyConsistency(from, to uint64, p [][]byte, root1, root2 []byte) error {
	return proof.VerifyConsistency(hasher, from, to, p, root1, root2)
}

// Extend returns the compact range and root after appending leaf hashes to a
// compact range of size leaves.
func Extend(size uint64, rng [][]byte, leafHashes [][]byte) ([][]byte, []byte, error) {
	return extend(size, rng, leafHashes, nil)
}

// extend is Extend, reporting every node it makes to visit (if not nil).
func extend(size uint64, rng [][]byte, leafHashes [][]byte, visit compact.VisitFn) ([][]byte, []byte, error) {
	r, err := rangeFactory.NewRange(0, size, rng)
	if err != nil {
		return nil, nil, err
	}
	for _, h := range leafHashes {
		if err := r.Append(h, visit); err != nil {
			return nil, nil, err
		}
	}
	root, err := rootOf(r.End(), r.Hashes())
	return r.Hashes(), root, err
}
