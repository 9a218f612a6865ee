package audit

import (
	"bytes"
	"fmt"
	"strconv"
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
//
// The opening of an event a batch leaf logged (o.Batch set) is checked as
// checkMember says instead of 2 and 3.
func CheckOpening(o *probity.Opening, cp *SignedCheckpoint) (*probity.AuditLeaf, error) {
	pub, err := probity.ParsePublicLeaf([]byte(o.Leaf))
	if err != nil {
		return nil, fmt.Errorf("leaf %d: %v", o.Index, err)
	}
	if pub.Index != o.Index {
		return nil, fmt.Errorf("leaf %d: the public leaf says index %d", o.Index, pub.Index)
	}
	var rec *probity.AuditLeaf
	switch {
	case o.ErasedBy == nil && o.Batch != nil:
		if rec, err = checkMember(o, pub); err != nil {
			return nil, fmt.Errorf("leaf %d: %v", o.Index, err)
		}
	case o.ErasedBy == nil:
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

// CheckBundle checks a bundle of openings offline, with nothing but the
// bundle and the installation's key:
//
//  1. The installation checkpoint's signature (its origin names the
//     installation log). Its witnesses' cosignatures are left to the
//     caller (witness.Quorum), who knows which witnesses to trust.
//  2. For each domain log: its checkpoint's signature and origin; the seal
//     leaf's commitment is the commitment of SealRecord(seal index, log,
//     size, root) under a zero salt; the seal leaf is included in the
//     installation checkpoint.
//  3. Every opening against its log's checkpoint (CheckOpening).
//
// It returns the checkpoints by log (the installation log's too) and the
// records opened, in the bundle's order (nil for shredded ones).
func CheckBundle(b *probity.OpeningBundle, verifiers note.Verifiers) (map[string]*SignedCheckpoint, []*probity.AuditLeaf, error) {
	inst, err := OpenCheckpoint([]byte(b.Installation.Checkpoint), verifiers)
	if err != nil {
		return nil, nil, fmt.Errorf("the installation checkpoint: %v", err)
	}
	if !strings.HasSuffix(inst.Origin, "/"+probity.InstallationLog) {
		return nil, nil, fmt.Errorf("the installation checkpoint's origin is %s, not an installation log's", inst.Origin)
	}
	prefix := strings.TrimSuffix(inst.Origin, "/"+probity.InstallationLog)
	cps := map[string]*SignedCheckpoint{probity.InstallationLog: inst}
	for log, p := range b.Logs {
		if log == probity.InstallationLog {
			continue
		}
		cp, err := checkLogProof(log, prefix, &p, inst, verifiers)
		if err != nil {
			return nil, nil, err
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
			return cps, nil, fmt.Errorf("log %s: %w", pub.Log, err)
		}
	}
	return cps, records, nil
}

// checkLogProof checks a domain log's checkpoint and the seal leaf that
// ties it to the installation checkpoint.
func checkLogProof(log, prefix string, p *probity.LogProof, inst *SignedCheckpoint, verifiers note.Verifiers) (*SignedCheckpoint, error) {
	cp, err := OpenCheckpoint([]byte(p.Checkpoint), verifiers)
	if err != nil {
		return nil, fmt.Errorf("the checkpoint of log %s: %v", log, err)
	}
	if cp.Origin != prefix+"/"+log {
		return nil, fmt.Errorf("the checkpoint of log %s has origin %s, want %s/%s", log, cp.Origin, prefix, log)
	}
	seal, err := probity.ParsePublicLeaf([]byte(p.Seal))
	if err != nil {
		return nil, fmt.Errorf("log %s: its seal leaf: %v", log, err)
	}
	want := probity.Commitment(make([]byte, probity.SaltSize), SealRecord(p.SealIndex, log, cp.Size, cp.Root))
	switch {
	case seal.Log != probity.InstallationLog || seal.Index != p.SealIndex || seal.Action != probity.ActionLogCheckpoint:
		return nil, fmt.Errorf("log %s: its seal leaf is %s/%d (%s), not the installation log's record of a checkpoint at %d", log, seal.Log, seal.Index, seal.Action, p.SealIndex)
	case seal.Commitment != want:
		return nil, fmt.Errorf("log %s: installation leaf %d does not record this checkpoint (%d leaves): the operator showed a checkpoint the installation log does not commit to", log, p.SealIndex, cp.Size)
	}
	if err := VerifyInclusion(p.SealIndex, inst.Size, HashLeaf([]byte(p.Seal)), p.Inclusion, inst.Root); err != nil {
		return nil, fmt.Errorf("log %s: installation leaf %d is not included in the installation checkpoint of %d leaves: %v", log, p.SealIndex, inst.Size, err)
	}
	return cp, nil
}

// checkMember checks the opening of a batch leaf's member (DESIGN.md,
// "Batches"), and returns its record with the header's actor:
//
//  1. The leaf's action is events.accepted.
//  2. The header (o.Batch.Header, RecordFormat) names this leaf's log,
//     index and action; its commitment under o.Batch.HeaderSalt leads, by
//     o.Batch.HeaderPath at position 0 of a tree of o.Batch.Size, to the
//     leaf's commitment. (At position 0, the opening is the header's own,
//     in o.Salt, o.Record and o.Batch.Path, and nothing more is checked.)
//  3. The member record (o.Record, MemberFormat) names the same log, the
//     header's batch id (its Ref) and o.Batch.Position; its commitment
//     under o.Salt leads, by o.Batch.Path at that position, to the same.
func checkMember(o *probity.Opening, pub *probity.PublicLeaf) (*probity.AuditLeaf, error) {
	b := o.Batch
	if pub.Action != probity.ActionEventsAccepted {
		return nil, fmt.Errorf("the opening is of a batch member, but the leaf is a %s leaf", pub.Action)
	}
	if b.Position == 0 { // the header alone: the leaf's own opening
		return checkHeader([]byte(o.Record), o.Salt, b.Path, b.Size, pub)
	}
	header, err := checkHeader([]byte(b.Header), b.HeaderSalt, b.HeaderPath, b.Size, pub)
	if err != nil {
		return nil, err
	}
	if root, ok := probity.BatchRootFromPath(probity.Commitment(o.Salt, []byte(o.Record)), b.Position, b.Size, b.Path); !ok || root != pub.Commitment {
		return nil, fmt.Errorf("the salt and record, by their path in its batch, do not open its commitment: the opening is not the one this leaf was written with")
	}
	rec, batch, pos, err := probity.ParseMemberRecord([]byte(o.Record))
	if err != nil {
		return nil, err
	}
	if rec.Log != pub.Log || strconv.FormatInt(batch, 10) != header.Ref || pos != b.Position {
		return nil, fmt.Errorf("the record names position %d of batch %d of log %s, not position %d of batch %s of log %s", pos, batch, rec.Log, b.Position, header.Ref, pub.Log)
	}
	rec.Index, rec.At, rec.Actor = pub.Index, pub.At, header.Actor
	return rec, nil
}

// checkHeader checks a batch leaf's header record, at position 0 of its
// tree, and returns it.
func checkHeader(record, salt []byte, path [][]byte, size int, pub *probity.PublicLeaf) (*probity.AuditLeaf, error) {
	header, err := probity.ParseRecord(record)
	if err != nil {
		return nil, fmt.Errorf("its batch header: %v", err)
	}
	if header.Log != pub.Log || header.Index != pub.Index || header.Action != pub.Action {
		return nil, fmt.Errorf("its batch header names leaf %s/%d (%s), not this one", header.Log, header.Index, header.Action)
	}
	if root, ok := probity.BatchRootFromPath(probity.Commitment(salt, record), 0, size, path); !ok || root != pub.Commitment {
		return nil, fmt.Errorf("its batch header, by its path, does not open its commitment: it is not the head of the batch the leaf commits to")
	}
	header.At = pub.At
	return header, nil
}
