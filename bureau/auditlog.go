package bureau

import (
	"context"

	"github.com/probity-dev/probity"
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
func (b *Bureau) Entries(ctx context.Context, start, end uint64) ([]probity.AuditEntry, error) {
	if end < start {
		return nil, probity.Errorf(probity.EINVALID, "end: %d is before start %d", end, start)
	}
	end = min(end, start+probity.MaxAuditEntries)
	entries := []probity.AuditEntry{}
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		return tx.Leaves(start, end, func(e *probity.AuditEntry) error {
			entries = append(entries, *e)
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
