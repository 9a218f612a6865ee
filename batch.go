package probity

import (
	"crypto/sha256"
	"fmt"
	"strconv"
)

// Batch leaves (DESIGN.md, "Batches"): one leaf commits to the events an
// ingest stored together, so that the log costs a few dozen bytes an event
// rather than a leaf row each. The leaf's commitment is the RFC 6962 root
// over a list of commitments: at position 0 the leaf's own record (its
// header: log, index, action, actor, domain, and the batch's id as Ref),
// then one per event, each Commitment(salt, member record). A position
// whose event was not stored (its key was already taken) holds a zero
// commitment. An event's opening is its salt, its member record and its
// path in that tree; every record is still in exactly one leaf.

// ActionEventsAccepted is the action of a batch leaf: events accepted
// together by one ingest. Each member's record has the action
// ActionEventAccepted.
const ActionEventsAccepted = "events.accepted"

// MemberFormat starts every member record of a batch leaf.
const MemberFormat = "probity-member/2"

// MaxBatchMembers bounds the events one batch leaf commits to: an opening's
// path is at most 9 hashes, and the leaf's stored commitments 8 KiB.
const MaxBatchMembers = 255

// BatchSlot places a stored event in its batch leaf: the batch's id (the
// leaf's Ref), the event's position in the leaf's tree (1 onwards; 0 is
// the header) and the salt of its member record. It is stored with the
// event, never shown but in the event's opening; erasure deletes it with
// the row.
type BatchSlot struct {
	Batch    int64
	Position int
	Salt     []byte
}

// MemberRecord returns the canonical record of a batch member:
// MemberFormat and the fields log, batch, position, action, domain,
// subject (hex pseudonym or empty), ref and digest, tab-separated and
// escaped as Record's. The batch and position tie it to one place of one
// leaf, whose header names the same batch.
func MemberRecord(l *AuditLeaf, batch int64, position int) []byte {
	subject := ""
	if l.Subject != nil {
		subject = l.Subject.String()
	}
	return joinFields(MemberFormat, l.Log, strconv.FormatInt(batch, 10), strconv.Itoa(position), l.Action,
		l.Domain, subject, l.Ref, l.Digest)
}

// ParseMemberRecord reads a member record, the inverse of MemberRecord.
func ParseMemberRecord(record []byte) (l *AuditLeaf, batch int64, position int, err error) {
	f, err := splitFields(record, MemberFormat, 9)
	if err != nil {
		return nil, 0, 0, err
	}
	l = &AuditLeaf{Log: f[1], Action: f[4], Domain: f[5], Ref: f[7], Digest: f[8]}
	if batch, err = strconv.ParseInt(f[2], 10, 64); err != nil {
		return nil, 0, 0, fmt.Errorf("batch %q: %v", f[2], err)
	}
	if position, err = strconv.Atoi(f[3]); err != nil || position < 1 {
		return nil, 0, 0, fmt.Errorf("position %q: want a number from 1", f[3])
	}
	if f[6] != "" {
		var p Pseudonym
		if err := p.UnmarshalText([]byte(f[6])); err != nil {
			return nil, 0, 0, fmt.Errorf("subject: %v", err)
		}
		l.Subject = &p
	}
	if string(MemberRecord(l, batch, position)) != string(record) {
		return nil, 0, 0, fmt.Errorf("member record is not in canonical form")
	}
	return l, batch, position, nil
}

// BatchRoot returns the RFC 6962 Merkle tree hash over commitments, each a
// leaf of the tree: a batch leaf's commitment.
func BatchRoot(commitments [][32]byte) [32]byte {
	if len(commitments) == 0 {
		return sha256.Sum256(nil)
	}
	return batchRoot(commitments)
}

func batchRoot(c [][32]byte) [32]byte {
	if len(c) == 1 {
		return batchLeafHash(c[0])
	}
	k := split(len(c))
	return batchNodeHash(batchRoot(c[:k]), batchRoot(c[k:]))
}

// BatchInclusion returns the RFC 6962 inclusion path of commitments[i] in the
// tree BatchRoot hashes.
func BatchInclusion(commitments [][32]byte, i int) [][]byte {
	var path [][]byte
	for len(commitments) > 1 {
		k := split(len(commitments))
		if i < k {
			r := batchRoot(commitments[k:])
			path = append(path, r[:])
			commitments = commitments[:k]
		} else {
			r := batchRoot(commitments[:k])
			path = append(path, r[:])
			commitments, i = commitments[k:], i-k
		}
	}
	// RFC 6962 lists the path from the leaf up: reverse the descent
	for a, b := 0, len(path)-1; a < b; a, b = a+1, b-1 {
		path[a], path[b] = path[b], path[a]
	}
	return path
}

// BatchRootFromPath returns the root a commitment at index of a tree of
// size leads to through path (RFC 9162, 2.1.3.2), or false if the path
// has the wrong length for index and size.
func BatchRootFromPath(c [32]byte, index, size int, path [][]byte) ([32]byte, bool) {
	if index < 0 || index >= size {
		return [32]byte{}, false
	}
	fn, sn := index, size-1
	r := batchLeafHash(c)
	for _, p := range path {
		if len(p) != 32 || sn == 0 {
			return [32]byte{}, false
		}
		var h [32]byte
		copy(h[:], p)
		if fn&1 == 1 || fn == sn {
			r = batchNodeHash(h, r)
			for fn&1 == 0 && fn != 0 {
				fn, sn = fn>>1, sn>>1
			}
		} else {
			r = batchNodeHash(r, h)
		}
		fn, sn = fn>>1, sn>>1
	}
	return r, sn == 0
}

// split is the largest power of two smaller than n (n > 1).
func split(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

func batchLeafHash(c [32]byte) [32]byte {
	var b [33]byte
	copy(b[1:], c[:])
	return sha256.Sum256(b[:])
}

func batchNodeHash(l, r [32]byte) [32]byte {
	var b [65]byte
	b[0] = 1
	copy(b[1:], l[:])
	copy(b[33:], r[:])
	return sha256.Sum256(b[:])
}

// MemberRef names one member of a batch leaf: the leaf's index in its log
// and the member's position in the leaf's tree.
type MemberRef struct {
	Index    uint64
	Position int
}

// BatchMember is one member of a batch leaf as the leaf's row keeps it:
// the commitment to its record (zero where no event was stored) and,
// privately, a hint of the subject it is about, so that whoever follows
// the log (the figures) learns whom a batch touched without reading every
// event row (zero likewise, and once erased).
type BatchMember struct {
	Commitment [32]byte
	Subject    SubjectHint
}

// SubjectHint is the first bytes of a subject's pseudonym: in a domain it
// finds the subject (a seek on the events' key, domain and pseudonym
// first) for a quarter of the pseudonym's room; two subjects sharing one
// (a chance of one in 2^64 a pair) are both found.
type SubjectHint [8]byte

// HintOf returns the hint of a pseudonym.
func HintOf(p Pseudonym) SubjectHint {
	var h SubjectHint
	copy(h[:], p[:])
	return h
}

// BatchCommitment returns a batch leaf's commitment: the RFC 6962 root over
// its header's commitment and its members', in order.
func BatchCommitment(header [32]byte, members []BatchMember) [32]byte {
	return BatchRoot(batchCommitments(header, members))
}

// BatchMemberPath returns the inclusion path of the member at position
// (1 onwards) in a batch leaf's tree.
func BatchMemberPath(header [32]byte, members []BatchMember, position int) [][]byte {
	return BatchInclusion(batchCommitments(header, members), position)
}

func batchCommitments(header [32]byte, members []BatchMember) [][32]byte {
	c := make([][32]byte, 1, 1+len(members))
	c[0] = header
	for _, m := range members {
		c = append(c, m.Commitment)
	}
	return c
}
