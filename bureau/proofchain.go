package bureau

import (
	"bytes"
	"context"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// chain builds the proofs a bundle of openings leads through, up to one
// installation checkpoint: the witnessed one where the installation has
// witnesses (DESIGN.md: a checkpoint shown to a subject or an auditor is
// one the witnesses signed), else one sealed in the same transaction.
type chain struct {
	b      *Bureau
	tx     probity.Tx
	bundle *probity.OpeningBundle
	inst   *probity.Checkpoint
	tree   *audit.Tree // the installation log's
	logs   map[string]*openingProofs
}

// newChain picks the installation checkpoint of a bundle. Without
// witnesses it first records every domain log's latest checkpoint in the
// installation log, so that the bundle is as fresh as the store.
func (b *Bureau) newChain(ctx context.Context, tx probity.Tx) (*chain, error) {
	c := &chain{b: b, tx: tx, logs: map[string]*openingProofs{},
		bundle: &probity.OpeningBundle{Logs: map[string]probity.LogProof{}, Key: b.log.PublicKey(probity.InstallationLog), Openings: []probity.Opening{}}}
	latest, err := tx.LatestCheckpoint(probity.InstallationLog)
	if err != nil {
		return nil, err
	}
	if w := b.witnessing(); w != nil {
		if c.inst, err = w.witnessed(ctx, tx); err != nil {
			return nil, err
		}
		if c.inst == nil {
			return nil, probity.Errorf(probity.EUNAVAILABLE, "no checkpoint of the installation log is cosigned by %d of its %d witnesses yet, and proofs are shown only up to a witnessed one; try again in a few seconds (see /healthz)", w.Quorum, len(w.Witnesses))
		}
		c.bundle.Installation = probity.InstallationCheckpoint{Checkpoint: c.inst.Note, Witnessed: true, Behind: latest.Size - min(latest.Size, c.inst.Size)}
	} else {
		if _, err := b.log.Seal(tx); err != nil {
			return nil, err
		}
		if c.inst, err = tx.LatestCheckpoint(probity.InstallationLog); err != nil {
			return nil, err
		}
		note, err := cosignedNote(tx, c.inst)
		if err != nil {
			return nil, err
		}
		c.bundle.Installation = probity.InstallationCheckpoint{Checkpoint: note}
	}
	if c.tree, err = b.log.Tree(tx, probity.InstallationLog); err != nil {
		return nil, err
	}
	if c.tree.Size() < c.inst.Size {
		return nil, probity.Errorf(probity.EINTERNAL, "the installation log has %d leaves, fewer than its checkpoint's %d: run probity audit verify", c.tree.Size(), c.inst.Size)
	}
	c.bundle.Logs[probity.InstallationLog] = probity.LogProof{Checkpoint: c.bundle.Installation.Checkpoint}
	c.logs[probity.InstallationLog] = &openingProofs{size: c.inst.Size, tree: c.tree}
	return c, nil
}

// log returns the prover of a log's leaves: against the log's checkpoint
// that the installation checkpoint records (nil if it records none yet),
// added to the bundle with the seal leaf's inclusion proof.
func (c *chain) log(log string) (*openingProofs, error) {
	if p, ok := c.logs[log]; ok {
		return p, nil
	}
	index, size, root, ok, err := c.tx.LatestSeal(log, c.inst.Size)
	if err != nil || !ok {
		c.logs[log] = nil
		return nil, err
	}
	cp, err := c.tx.CheckpointAt(log, size)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(cp.Root, root) {
		return nil, probity.Errorf(probity.EINTERNAL, "log %s: checkpoint %d differs from what installation leaf %d records: run probity audit verify", log, size, index)
	}
	tree, err := c.b.log.Tree(c.tx, log)
	if err != nil {
		return nil, err
	}
	if tree.Size() < size {
		return nil, probity.Errorf(probity.EINTERNAL, "log %s has %d leaves, fewer than its checkpoint's %d: run probity audit verify", log, tree.Size(), size)
	}
	var seal string
	if err := c.tx.Leaves(probity.InstallationLog, index, index+1, func(e *probity.AuditEntry) error { seal = e.Data; return nil }); err != nil {
		return nil, err
	}
	incl, err := c.tree.InclusionProof(index, c.inst.Size)
	if err != nil {
		return nil, err
	}
	c.bundle.Logs[log] = probity.LogProof{Checkpoint: cp.Note, Seal: seal, SealIndex: index, Inclusion: incl, Behind: tree.Size() - size}
	p := &openingProofs{size: size, tree: tree}
	c.logs[log] = p
	return p, nil
}
