package audit

import (
	"bytes"
	"fmt"

	"github.com/probity-dev/probity"
	"golang.org/x/mod/sumdb/note"
)

// CheckOpening checks one opening against a verified checkpoint, offline,
// and returns the record it opens (nil for a shredded opening, whose leaf
// is only proved included). Anyone can reimplement it from DESIGN.md:
//
//  1. The public leaf (o.Leaf) parses as LeafFormat and its index is o.Index.
//  2. SHA-256(CommitmentTag || salt || record) is the leaf's commitment.
//  3. The record parses as RecordFormat and names the same log, index and
//     action as the leaf.
//  4. The RFC 6962 leaf hash SHA-256(0x00 || leaf) is included, by
//     o.Inclusion, in the tree of the checkpoint's size and root.
func CheckOpening(o *probity.Opening, cp *SignedCheckpoint) (*probity.AuditLeaf, error) {
	pub, err := probity.ParsePublicLeaf([]byte(o.Leaf))
	if err != nil {
		return nil, fmt.Errorf("leaf %d: %v", o.Index, err)
	}
	if pub.Index != o.Index {
		return nil, fmt.Errorf("leaf %d: the public leaf says index %d", o.Index, pub.Index)
	}
	var rec *probity.AuditLeaf
	if o.ErasedBy == nil {
		if c := probity.Commitment(o.Salt, []byte(o.Record)); !bytes.Equal(c[:], pub.Commitment[:]) {
			return nil, fmt.Errorf("leaf %d: the salt and record do not open its commitment: the opening is not the one this leaf was written with", o.Index)
		}
		if rec, err = probity.ParseRecord([]byte(o.Record)); err != nil {
			return nil, fmt.Errorf("leaf %d: %v", o.Index, err)
		}
		if rec.Log != pub.Log || rec.Index != pub.Index || rec.Action != pub.Action {
			return nil, fmt.Errorf("leaf %d: the record names leaf %s/%d (%s), not this one", o.Index, rec.Log, rec.Index, rec.Action)
		}
		rec.At = pub.At
	}
	if err := VerifyInclusion(o.Index, cp.Size, HashLeaf([]byte(o.Leaf)), o.Inclusion, cp.Root); err != nil {
		return nil, fmt.Errorf("leaf %d: not included in the checkpoint of %d leaves: %v", o.Index, cp.Size, err)
	}
	return rec, nil
}

// CheckBundle checks a bundle of openings offline: the checkpoint's
// signature with verifier, then every opening (CheckOpening). It returns
// the checkpoint and the records opened, in the bundle's order (nil for
// shredded ones).
func CheckBundle(b *probity.OpeningBundle, verifier note.Verifier) (*SignedCheckpoint, []*probity.AuditLeaf, error) {
	cp, err := OpenCheckpoint([]byte(b.Checkpoint), verifier)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint: %v", err)
	}
	records := make([]*probity.AuditLeaf, len(b.Openings))
	for i := range b.Openings {
		if records[i], err = CheckOpening(&b.Openings[i], cp); err != nil {
			return cp, nil, err
		}
	}
	return cp, records, nil
}
