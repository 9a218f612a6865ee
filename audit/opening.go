package audit

import (
	"bytes"
	"fmt"
	"strings"

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

// CheckBundle checks a bundle of openings offline: each log's checkpoint's
// signature and origin, then every opening against its log's checkpoint
// (CheckOpening). It returns the checkpoints by log and the records
// opened, in the bundle's order (nil for shredded ones).
func CheckBundle(b *probity.OpeningBundle, verifiers note.Verifiers) (map[string]*SignedCheckpoint, []*probity.AuditLeaf, error) {
	cps := map[string]*SignedCheckpoint{}
	for log, signed := range b.Checkpoints {
		cp, err := OpenCheckpoint([]byte(signed), verifiers)
		if err != nil {
			return nil, nil, fmt.Errorf("checkpoint of log %s: %v", log, err)
		}
		if !strings.HasSuffix(cp.Origin, "/"+log) {
			return nil, nil, fmt.Errorf("checkpoint of log %s: its origin is %s, another log's", log, cp.Origin)
		}
		cps[log] = cp
	}
	records := make([]*probity.AuditLeaf, len(b.Openings))
	for i := range b.Openings {
		o := &b.Openings[i]
		pub, err := probity.ParsePublicLeaf([]byte(o.Leaf))
		if err != nil {
			return nil, nil, fmt.Errorf("leaf %d: %v", o.Index, err)
		}
		cp := cps[pub.Log]
		if cp == nil {
			return nil, nil, fmt.Errorf("leaf %s/%d: the file has no checkpoint of log %s", pub.Log, o.Index, pub.Log)
		}
		if records[i], err = CheckOpening(o, cp); err != nil {
			return cps, nil, err
		}
	}
	return cps, records, nil
}
