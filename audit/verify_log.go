package audit

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/probity-dev/probity"
	"github.com/transparency-dev/merkle/compact"
)

// checkpointPage is how many checkpoints the verifier reads at once; the
// leaves up to the last of them are read next, so that a log with a
// checkpoint per leaf is held a page at a time.
const checkpointPage = 4096

// logPass is the state of one log's check: the compact range of its tree
// so far, and the checkpoints read but not yet reached.
type logPass struct {
	rng     *compact.Range
	data    []byte // a leaf's data after the RFC 6962 leaf prefix, to hash
	next    uint64 // the index expected next
	read    uint64 // how many leaf rows were read
	pending []*probity.Checkpoint
	latest  *probity.Checkpoint
	// stopped is set when a checkpoint row could not be read: the later
	// ones are not checked, nor is the latest.
	stopped bool
	// erasures holds the log's shredded leaves and erasure leaves, to be
	// matched by erasure when the log is done.
	erasures *spool
	// tiles checks the stored tiles against the tree; visit is its
	// visitor of the tree's new nodes.
	tiles *tileCheck
	visit func(compact.NodeID, []byte)
}

// RFC 6962 hashing as the verifier does it, a leaf or node at a time with
// one allocation: the same hashes as HashLeaf and the tree's (the tests
// check it), at millions of leaves.
const (
	leafPrefix = 0x00
	nodePrefix = 0x01
)

// treeRanges builds the verifier's compact ranges.
var treeRanges = &compact.RangeFactory{Hash: hashChildren}

func hashChildren(l, r []byte) []byte {
	if len(l) != sha256.Size || len(r) != sha256.Size {
		return hasher.HashChildren(l, r)
	}
	var b [1 + 2*sha256.Size]byte
	b[0] = nodePrefix
	copy(b[1:], l)
	copy(b[1+sha256.Size:], r)
	sum := sha256.Sum256(b[:])
	return sum[:]
}

// logBatch is what the reader hands the checker: checkpoints (first), then
// leaves, in order.
type logBatch struct {
	checkpoints []*probity.Checkpoint
	invalid     string // why a checkpoint row could not be read
	leaves      []*probity.AuditEntry
}

// logs checks every log: the installation log first (it records the
// domain logs' checkpoints), then each domain's, in name order.
func (v *verifier) logs() error {
	logs, err := v.tx.Logs()
	if err != nil {
		return err
	}
	slices.SortStableFunc(logs, func(a, b probity.LogInfo) int {
		if a.Name == probity.InstallationLog || b.Name == probity.InstallationLog {
			return cmpBool(b.Name == probity.InstallationLog, a.Name == probity.InstallationLog)
		}
		return strings.Compare(a.Name, b.Name)
	})
	for _, info := range logs {
		v.total += info.Size
	}
	prefix := ""
	for _, info := range logs {
		v.report.Logs++
		if info.Name == probity.InstallationLog {
			prefix = strings.TrimSuffix(info.Origin, "/"+probity.InstallationLog)
		}
		switch want := prefix + "/" + info.Name; {
		case info.Origin == "":
			v.report.problem("log %s: has leaves but no head row: it was not created by Probity", info.Name)
		case info.Origin != want:
			v.report.problem("log %s: its origin is %q, want %q (the installation's prefix and the log's name)", info.Name, info.Origin, want)
		}
		if info.Name != probity.InstallationLog {
			if err := v.readSeals(); err != nil {
				return err
			}
		}
		v.log, v.origin = v.intern(info.Name), info.Origin
		before := v.report.Count
		if err := v.leaves(); err != nil {
			return err
		}
		// The stored tiles are a copy of what the leaves make, served to
		// followers and read for proofs: a changed one shows here. (Of a
		// log whose leaves are wrong already, the tiles say nothing more.)
		if v.report.Count == before {
			v.reportTiles()
		}
	}
	if err := v.readSeals(); err != nil {
		return err
	}
	v.unmatchedSeals(nil)
	return v.sealed.err
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// leaves checks that a log's leaves are numbered without gaps and that each
// stored hash is the hash of its data, builds its tree, and checks each
// checkpoint when the tree reaches its size.
func (v *verifier) leaves() error {
	size, err := v.tx.LogSize(v.log)
	if err != nil {
		return err
	}
	v.pass = &logPass{rng: treeRanges.NewEmptyRange(0), erasures: newSpool(cmpErasure, smallBudget), tiles: newTileCheck()}
	v.pass.visit = v.pass.tiles.visit
	defer v.pass.erasures.close()
	batches := make(chan logBatch, 4)
	checked := make(chan error)
	go func() {
		var err error
		for b := range batches {
			if err == nil {
				err = v.absorb(&b)
			}
		}
		checked <- err
	}()
	err = v.scanLog(size, batches)
	close(batches)
	if cerr := <-checked; err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := v.compareTiles(); err != nil {
		return err
	}
	v.lastCheckpoints()
	v.report.Leaves += v.pass.rng.End()
	if err := v.matchErasures(); err != nil {
		return err
	}
	// The scan read every row in [0, size), size being one more than the
	// largest index: if it read size rows, and none lies before 0, the log
	// is numbered from 0 without gaps, and the rows need no counting.
	if first, ok, err := v.tx.FirstLeaf(v.log); err != nil {
		return err
	} else if v.pass.read == size && (!ok || first >= 0) {
		return nil
	}
	count, first, last, err := v.tx.LeafRows(v.log)
	if err != nil {
		return err
	}
	if count > 0 && (first != 0 || uint64(last)+1 != count) {
		v.report.problem("log %s: %d leaf rows with indexes %d to %d; a log is numbered from 0 without gaps", v.log, count, first, last)
	}
	return nil
}

// scanLog reads a log's checkpoints a page at a time, each page followed by
// the leaves up to its last checkpoint, and hands them to the checker. It
// reads the leaves a chunk at a time, comparing the tiles they made
// between two chunks.
func (v *verifier) scanLog(size uint64, batches chan<- logBatch) error {
	from, start, more := uint64(0), uint64(0), true
	for {
		end := size
		if more {
			var page []*probity.Checkpoint
			err := v.tx.LogCheckpoints(v.log, from, checkpointPage, func(c *probity.Checkpoint) error {
				page = append(page, c)
				return nil
			})
			b := logBatch{checkpoints: page}
			switch {
			case probity.ErrorCode(err) == probity.EINVALID:
				b.invalid, more = probity.ErrorMessage(err), false
			case err != nil:
				return err
			default:
				more = len(page) == checkpointPage
			}
			batches <- b
			if more {
				from, end = page[len(page)-1].Size+1, min(page[len(page)-1].Size, size)
			}
		}
		for end > start {
			stop := min(end, start+tileChunk)
			batch := make([]*probity.AuditEntry, 0, pipelineBatch)
			err := v.tx.VerifyLeaves(v.log, start, stop, func(e *probity.AuditEntry) error {
				if batch = append(batch, e); len(batch) == pipelineBatch {
					batches <- logBatch{leaves: batch}
					batch = make([]*probity.AuditEntry, 0, pipelineBatch)
				}
				return nil
			})
			batches <- logBatch{leaves: batch}
			if err != nil {
				return err
			}
			if err := v.compareTiles(); err != nil {
				return err
			}
			start = stop
		}
		if !more {
			return nil
		}
	}
}

// absorb checks a batch: checkpoints wait until the tree reaches their
// size; leaves grow the tree.
func (v *verifier) absorb(b *logBatch) error {
	if v.progress != nil && len(b.leaves) > 0 {
		v.checked += uint64(len(b.leaves))
		v.progress(v.checked, v.total)
	}
	p := v.pass
	if b.invalid != "" {
		v.report.problem("%s", b.invalid)
		p.stopped = true
	}
	p.pending = append(p.pending, b.checkpoints...)
	if len(b.checkpoints) > 0 {
		p.latest = b.checkpoints[len(b.checkpoints)-1]
	}
	if err := v.reach(); err != nil {
		return err
	}
	for _, e := range b.leaves {
		if err := v.leaf(e); err != nil {
			return err
		}
		if err := v.reach(); err != nil {
			return err
		}
	}
	return nil
}

// reach checks the checkpoints of the tree's current size.
func (v *verifier) reach() error {
	p := v.pass
	for len(p.pending) > 0 && p.pending[0].Size <= p.rng.End() {
		if err := v.checkpoint(p.pending[0]); err != nil {
			return err
		}
		p.pending[0] = nil
		if p.pending = p.pending[1:]; len(p.pending) == 0 {
			p.pending = nil
		}
	}
	return nil
}

// lastCheckpoints checks the checkpoints beyond the tree, and that the
// latest covers every leaf.
func (v *verifier) lastCheckpoints() {
	p := v.pass
	for _, c := range p.pending {
		v.checkpoint(c) // beyond the leaves: reads no seal
	}
	size := p.rng.End()
	switch {
	case p.stopped:
	case p.latest == nil && size > 0:
		v.report.problem("log %s: %d leaves but no checkpoint", v.log, size)
	case p.latest != nil && p.latest.Size != size:
		v.report.problem("%s: the latest checkpoint, but the log has %d leaves; every write is sealed by a checkpoint, so leaves or checkpoints were added or removed", checkpointName(v.log, p.latest.Size), size)
	case p.latest != nil && size > 0 && len(p.latest.Range) == 0:
		v.report.problem("%s: the latest checkpoint has no compact range stored, so the next write cannot extend the log", checkpointName(v.log, p.latest.Size))
	}
}

// leaf checks one stored leaf and notes what it says about rows.
func (v *verifier) leaf(e *probity.AuditEntry) error {
	p := v.pass
	if e.Index != p.next {
		v.report.problem("%s: missing (the next stored leaf is %d)", leafName(v.log, p.next), e.Index)
		p.next = e.Index
	}
	p.next++
	p.read++
	p.data = append(append(p.data[:0], leafPrefix), e.Data...)
	sum := sha256.Sum256(p.data)
	h := sum[:]
	if !bytes.Equal(h, e.Hash) {
		v.report.problem("%s: stored hash does not match its data", leafName(v.log, e.Index))
	}
	if err := p.rng.Append(h, p.visit); err != nil {
		return err
	}
	switch {
	case e.Invalid != "":
		v.report.problem("%s: %s", leafName(v.log, e.Index), e.Invalid)
		return nil
	case e.Shredded:
		return v.shred(e)
	case e.Action == probity.ActionEventsAccepted:
		return v.batchLeaf(e)
	}
	return v.bind(e)
}

// checkpoint checks a checkpoint of the tree's current size, or one beyond
// it: its signature and origin, its root and compact range against the
// tree, and what the installation log recorded of it.
func (v *verifier) checkpoint(c *probity.Checkpoint) error {
	v.report.Checkpoints++
	name := checkpointName(v.log, c.Size)
	sc, err := OpenCheckpoint([]byte(c.Note), v.notes)
	if err != nil {
		v.report.problem("%s: %v", name, err)
		return nil
	}
	size := v.pass.rng.End()
	switch {
	case sc.Origin != v.origin:
		v.report.problem("%s: signed for log %q, not this log (%q)", name, sc.Origin, v.origin)
		return nil
	case sc.Size != c.Size || !bytes.Equal(sc.Root, c.Root) || c.Log != v.log:
		v.report.problem("%s: its columns differ from its signed note (size %d)", name, sc.Size)
		return nil
	case c.Size > size:
		v.report.problem("%s: beyond the %d leaves of the log", name, size)
		return nil
	}
	root, err := v.pass.rng.GetRootHash(nil)
	if size == 0 {
		root = EmptyRoot()
	}
	if err != nil || !bytes.Equal(root, c.Root) {
		v.report.problem("%s: signed root does not match the root recomputed from the leaves", name)
		return nil
	}
	// only the latest checkpoint keeps its range (lastCheckpoints)
	if len(c.Range) > 0 && !bytes.Equal(rangeBytes(v.pass.rng.Hashes()), rangeBytes(c.Range)) {
		v.report.problem("%s: stored compact range does not match the tree", name)
	}
	return v.checkSeal(c)
}

// Seals: the installation log's records of domain logs' checkpoints,
// sorted by log, size and leaf.
func cmpSeal(a, b *entry) int {
	return cmp.Or(strings.Compare(a.domain, b.domain), cmp.Compare(a.n, b.n), cmp.Compare(a.index, b.index))
}

// noteSeal keeps a seal leaf's claim, to be checked against the domain
// log's checkpoints.
func (v *verifier) noteSeal(e *probity.AuditEntry) error {
	size, err := strconv.ParseUint(e.Ref, 10, 64)
	if err != nil || e.Actor != SealActor {
		v.report.problem("%s: a log.checkpoint leaf whose record (%s, %q) is not Probity's", leafName(v.log, e.Index), e.Actor, e.Ref)
		return nil
	}
	return v.seals.add(entry{domain: v.intern(e.Domain), n: size, index: e.Index, digest: e.Digest})
}

// readSeals starts reading the seals, once the installation log is done.
func (v *verifier) readSeals() error {
	if v.sealed != nil {
		return nil
	}
	var err error
	v.sealed, err = v.seals.sorted()
	return err
}

// takeSeal returns the latest seal of the next (log, size) the cursor
// holds, and moves past every seal of it.
func (v *verifier) takeSeal() entry {
	s := *v.sealed.peek()
	for p := v.sealed.peek(); p != nil && p.domain == s.domain && p.n == s.n; p = v.sealed.peek() {
		s = *p
		v.sealed.next()
	}
	return s
}

// checkSeal checks a domain log's checkpoint against what the installation
// log recorded of it, if anything; seals of smaller sizes are of
// checkpoints the log does not hold.
func (v *verifier) checkSeal(c *probity.Checkpoint) error {
	if v.sealed == nil {
		return nil // the installation log itself
	}
	v.unmatchedSeals(func(p *entry) bool { return p.domain < v.log || p.domain == v.log && p.n < c.Size })
	if p := v.sealed.peek(); p != nil && p.domain == v.log && p.n == c.Size {
		if s := v.takeSeal(); s.digest != hex.EncodeToString(c.Root) {
			v.report.problem("%s: its root differs from the one %s recorded: the log was rewritten", checkpointName(v.log, c.Size), leafName(probity.InstallationLog, s.index))
		}
	}
	return v.sealed.err
}

// unmatchedSeals reports the seals before (all, if before is nil) as of
// checkpoints no log holds.
func (v *verifier) unmatchedSeals(before func(*entry) bool) {
	for p := v.sealed.peek(); p != nil && (before == nil || before(p)); p = v.sealed.peek() {
		s := v.takeSeal()
		v.report.problem("%s: records checkpoint %d of log %s, which the log does not hold: the log was cut back or rewritten",
			leafName(probity.InstallationLog, s.index), s.n, s.domain)
	}
}

// noIndex is larger than any leaf index: the end of a range of them.
const noIndex = math.MaxUint64
