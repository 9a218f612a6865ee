package probity_test

import (
	"bytes"
	"crypto/sha256"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// TestBatchTree: a batch leaf's commitment and its members' paths are
// RFC 6962's, as an outside implementation (transparency-dev/merkle)
// computes and checks them, at every size a batch can have.
func TestBatchTree(t *testing.T) {
	h := rfc6962.DefaultHasher
	for size := 1; size <= probity.MaxBatchMembers+1; size++ {
		c := make([][32]byte, size)
		rf := compact.RangeFactory{Hash: h.HashChildren}
		rng := rf.NewEmptyRange(0)
		for i := range c {
			c[i] = sha256.Sum256([]byte{byte(i), byte(size)})
			if err := rng.Append(h.HashLeaf(c[i][:]), nil); err != nil {
				t.Fatal(err)
			}
		}
		want, err := rng.GetRootHash(nil)
		if err != nil {
			t.Fatal(err)
		}
		root := probity.BatchRoot(c)
		if !bytes.Equal(root[:], want) {
			t.Fatalf("size %d: BatchRoot %x, merkle %x", size, root, want)
		}
		for _, i := range []int{0, size / 2, size - 1} {
			path := probity.BatchInclusion(c, i)
			if err := proof.VerifyInclusion(h, uint64(i), uint64(size), h.HashLeaf(c[i][:]), path, want); err != nil {
				t.Fatalf("size %d, index %d: merkle refuses the path: %v", size, i, err)
			}
			if got, ok := probity.BatchRootFromPath(c[i], i, size, path); !ok || got != root {
				t.Fatalf("size %d, index %d: BatchRootFromPath = %x, %v; want %x", size, i, got, ok, root)
			}
			if size > 1 {
				if got, ok := probity.BatchRootFromPath(c[i], (i+1)%size, size, path); ok && got == root {
					t.Fatalf("size %d: the path of %d leads to the root from %d too", size, i, (i+1)%size)
				}
				if _, ok := probity.BatchRootFromPath(c[i], i, size, path[:len(path)-1]); ok {
					t.Fatalf("size %d, index %d: a path one hash short is taken", size, i)
				}
			}
		}
	}
}

// TestMemberRecord: a member record reads back as written, and a record
// that is not canonical, or of another format, is refused.
func TestMemberRecord(t *testing.T) {
	p := probity.Pseudonym{1, 2, 3}
	l := probity.AuditLeaf{Log: "acme.lending", Action: probity.ActionEventAccepted, Domain: "acme.lending", Subject: &p, Ref: "L-1\tx", Digest: "ab"}
	rec := probity.MemberRecord(&l, 77, 3)
	got, batch, pos, err := probity.ParseMemberRecord(rec)
	if err != nil || batch != 77 || pos != 3 || got.Ref != l.Ref || *got.Subject != p || got.Digest != "ab" {
		t.Fatalf("ParseMemberRecord = %+v, %d, %d, %v", got, batch, pos, err)
	}
	for name, bad := range map[string][]byte{
		"ErrPosition0":   probity.MemberRecord(&l, 77, 0),
		"ErrFormat":      l.Record(),
		"ErrLeadingZero": bytes.Replace(rec, []byte("\t3\t"), []byte("\t03\t"), 1),
		"ErrFields":      append(rec, "\textra"...),
	} {
		if _, _, _, err := probity.ParseMemberRecord(bad); err == nil {
			t.Errorf("%s: %q was read", name, bad)
		}
	}
}
