package bureau

import (
	"context"
	"fmt"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// Checkpoint returns the latest signed checkpoint.
func (b *Bureau) Checkpoint(ctx context.Context) (*probity.Checkpoint, error) {
	var c *probity.Checkpoint
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		var err error
		if c, err = tx.LatestCheckpoint(); err == nil && c == nil {
			err = probity.Errorf(probity.ENOTFOUND, "the log is empty: no checkpoint yet")
		}
		return err
	})
	return c, err
}

// Entries returns the leaves with index in [start, end), at most
// MaxAuditEntries of them.
func (b *Bureau) Entries(ctx context.Context, start, end uint64) ([]probity.PublicEntry, error) {
	if end < start {
		return nil, probity.Errorf(probity.EINVALID, "end: %d is before start %d", end, start)
	}
	end = min(end, start+probity.MaxAuditEntries)
	entries := []probity.PublicEntry{}
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		return tx.Leaves(start, end, func(e *probity.AuditEntry) error {
			entries = append(entries, e.Public())
			return nil
		})
	})
	return entries, err
}

// InclusionProof proves that the leaf at index is in the tree of size.
func (b *Bureau) InclusionProof(ctx context.Context, index, size uint64) (*probity.Proof, error) {
	var p *probity.Proof
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		tree, err := b.log.Tree(tx)
		if err != nil {
			return err
		}
		if size > tree.Size() || index >= size {
			return probity.Errorf(probity.EINVALID, "index %d and size %d: want index < size <= %d, the size of the log", index, size, tree.Size())
		}
		hashes, err := tree.InclusionProof(index, size)
		p = &probity.Proof{Index: index, Size: size, Hashes: hashes}
		return err
	})
	return p, err
}

// ConsistencyProof proves that the tree of size from is a prefix of the
// tree of size to.
func (b *Bureau) ConsistencyProof(ctx context.Context, from, to uint64) (*probity.Proof, error) {
	var p *probity.Proof
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		tree, err := b.log.Tree(tx)
		if err != nil {
			return err
		}
		if from > to || to > tree.Size() {
			return probity.Errorf(probity.EINVALID, "from %d and to %d: want from <= to <= %d, the size of the log", from, to, tree.Size())
		}
		hashes, err := tree.ConsistencyProof(from, to)
		p = &probity.Proof{From: from, Size: to, Hashes: hashes}
		return err
	})
	return p, err
}

// PublicKey returns the note verifier key of the checkpoints.
func (b *Bureau) PublicKey() string { return b.log.Signer().PublicKey() }

// DefaultOpenings and MaxOpenings bound one page of openings.
const (
	DefaultOpenings = 100
	MaxOpenings     = probity.MaxAuditEntries
)

// Openings returns a page of openings: every leaf's for the installation's
// auditors and operators, a domain's for its admins. The read is a leaf of
// its own, after the checkpoint the proofs lead to.
func (b *Bureau) Openings(ctx context.Context, domain string, start uint64, limit int) (*probity.OpeningBundle, error) {
	grants := []probity.Grant{operator(), {Role: probity.RoleAuditor}}
	if domain != "" {
		grants = append(grants, role(probity.RoleAdmin, domain))
	}
	if err := b.authorize(ctx, "reading the log's openings", grants...); err != nil {
		return nil, err
	}
	switch {
	case limit == 0:
		limit = DefaultOpenings
	case limit < 0 || limit > MaxOpenings:
		return nil, probity.Errorf(probity.EINVALID, "limit: %d; allowed: 1 to %d", limit, MaxOpenings)
	}
	var bundle *probity.OpeningBundle
	err := b.store.Update(ctx, func(tx probity.Tx) error {
		if domain != "" {
			if _, err := domainVersions(tx, domain); err != nil {
				return err
			}
		}
		proofs, err := b.openingProofs(tx)
		if err != nil || proofs == nil {
			if err == nil {
				err = probity.Errorf(probity.ENOTFOUND, "the log is empty: no checkpoint yet")
			}
			return err
		}
		bundle = proofs.bundle()
		last := start
		err = tx.DomainLeaves(domain, start, limit, func(e *probity.AuditEntry) error {
			if e.Index >= proofs.size {
				return nil // written after the checkpoint
			}
			o, err := proofs.open(e)
			if err != nil {
				return err
			}
			bundle.Openings = append(bundle.Openings, *o)
			last = e.Index
			return nil
		})
		if err != nil {
			return err
		}
		if n := len(bundle.Openings); n == limit {
			next := last + 1
			bundle.Next = &next
		}
		ref := fmt.Sprintf("%d-%d", start, last)
		return b.log.Record(tx, probity.AuditLeaf{Actor: probity.ActorFromContext(ctx).ID, Action: probity.ActionOpeningsRead,
			Domain: domain, Ref: ref, Digest: audit.ReadDigest(bundle.Openings)})
	})
	return bundle, err
}

// openingProofs proves openings against the latest checkpoint.
type openingProofs struct {
	cp   *probity.Checkpoint
	size uint64
	tree *audit.Tree
	key  string
}

// openingProofs returns the prover of the latest checkpoint as of tx, or
// nil when the log is empty.
func (b *Bureau) openingProofs(tx probity.ReadTx) (*openingProofs, error) {
	cp, err := tx.LatestCheckpoint()
	if err != nil || cp == nil {
		return nil, err
	}
	tree, err := b.log.Tree(tx)
	if err != nil {
		return nil, err
	}
	return &openingProofs{cp: cp, size: cp.Size, tree: tree, key: b.log.Signer().PublicKey()}, nil
}

func (p *openingProofs) bundle() *probity.OpeningBundle {
	return &probity.OpeningBundle{Checkpoint: p.cp.Note, Key: p.key, Openings: []probity.Opening{}}
}

// open returns an entry's opening with its inclusion proof; a shredded
// entry's says which erasure shredded it.
func (p *openingProofs) open(e *probity.AuditEntry) (*probity.Opening, error) {
	if e.Invalid != "" {
		return nil, probity.Errorf(probity.EINTERNAL, "leaf %d: %s: run probity audit verify", e.Index, e.Invalid)
	}
	o := e.Opening()
	if o == nil {
		by := e.ErasedBy
		o = &probity.Opening{Index: e.Index, Leaf: e.Data, ErasedBy: &by}
	}
	hashes, err := p.tree.InclusionProof(e.Index, p.size)
	if err != nil {
		return nil, err
	}
	o.Inclusion = hashes
	return o, nil
}
