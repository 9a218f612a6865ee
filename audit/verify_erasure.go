package audit

import (
	"cmp"
	"strconv"
	"strings"

	"github.com/probity-dev/probity"
)

// An erasure leaf covers what it shredded: the leaves whose openings are
// gone (marked shredded by it) and the batch places whose events' rows are
// gone (marked erased in their batch leaves). Both are sorted by the
// erasure leaf and matched with the digest it holds, a log at a time.

// Flags of the erasures sort: by the erasure leaf, the leaves it shredded,
// then the batch members it erased, then the erasure leaf itself.
const (
	shreddedLeaf uint8 = iota
	erasedMember       // ref is its position (positionKey)
	erasureLeaf
)

// cmpErasure orders the erasures sort by erasure leaf, flag, index and
// position.
func cmpErasure(a, b *entry) int {
	return cmp.Or(cmp.Compare(a.n, b.n), cmp.Compare(a.flag, b.flag), cmp.Compare(a.index, b.index), strings.Compare(a.ref, b.ref))
}

// shred notes a leaf whose opening an erasure shredded; the erasure leaf,
// later in the log, must list it.
func (v *verifier) shred(e *probity.AuditEntry) error {
	if e.ErasedBy <= e.Index {
		v.report.problem("%s: its opening is gone, shredded by leaf %d, which comes before it", leafName(v.log, e.Index), e.ErasedBy)
		return nil
	}
	return v.pass.erasures.add(entry{n: e.ErasedBy, index: e.Index, domain: v.intern(e.Domain)})
}

// erasure notes an erasure leaf, to be matched with the leaves it shredded.
func (v *verifier) erasure(e *probity.AuditEntry) error {
	return v.pass.erasures.add(entry{n: e.Index, flag: erasureLeaf, index: e.Index, domain: v.intern(e.Domain), digest: e.Digest})
}

// matchErasures checks that each erasure leaf lists exactly the leaves
// shredded by it, and that every shredded leaf names an erasure leaf.
func (v *verifier) matchErasures() error {
	c, err := v.pass.erasures.sorted()
	if err != nil {
		return err
	}
	for p := c.peek(); p != nil; p = c.peek() {
		by := p.n
		var first *entry
		var digest *ErasureDigest
		for ; p != nil && p.n == by && p.flag != erasureLeaf; p = c.peek() {
			if first == nil {
				first, digest = &entry{index: p.index, domain: p.domain}, NewErasureDigest(p.domain)
			} else if p.domain != first.domain {
				v.report.problem("%s: shredded by leaf %d with leaves of domain %q, but it is of domain %q", leafName(v.log, p.index), by, first.domain, p.domain)
			}
			if p.flag == erasedMember {
				pos, _ := strconv.Atoi(p.ref)
				digest.AddMember(p.index, pos)
			} else {
				digest.Add(p.index)
			}
			c.next()
		}
		if p == nil || p.n != by {
			v.report.problem("%s: its opening is gone, marked shredded by leaf %d, which is not an erasure", leafName(v.log, first.index), by)
			continue
		}
		switch {
		case first != nil && first.domain != p.domain:
			v.report.problem("%s: erases a subject of domain %q, but leaf %d it shredded is of domain %q", leafName(v.log, by), p.domain, first.index, first.domain)
		case first == nil && NewErasureDigest(p.domain).Sum() != p.digest, first != nil && digest.Sum() != p.digest:
			v.report.problem("%s: the leaves whose openings are shredded by this erasure are not the ones it recorded (openings deleted or kept behind Probity's back)", leafName(v.log, by))
		}
		c.next()
	}
	return c.err
}
