package bureau

import (
	"context"
	"fmt"
	"sort"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// Logs lists the logs, the installation log first.
func (b *Bureau) Logs(ctx context.Context) ([]probity.LogInfo, error) {
	var logs []probity.LogInfo
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		var err error
		logs, err = tx.Logs()
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]probity.LogInfo, 0, len(logs))
	for _, l := range logs {
		if l.Origin == "" {
			continue // leaves without a head: audit verify reports it
		}
		l.Key = b.log.PublicKey(l.Name)
		out = append(out, l)
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Name == probity.InstallationLog && out[j].Name != probity.InstallationLog
	})
	return out, nil
}

// knownLog returns ENOTFOUND for a log that does not exist.
func knownLog(tx probity.ReadTx, log string) error {
	origin, err := tx.LogOrigin(log)
	if err == nil && origin == "" {
		err = probity.Errorf(probity.ENOTFOUND, "log %q does not exist; GET /logs lists the logs (%s, and one per domain)", log, probity.InstallationLog)
	}
	return err
}

// Checkpoint returns the latest signed checkpoint of a log, with the
// witnesses' cosignatures of it that are stored merged into its note after
// the log's signature: every route serving a checkpoint serves it as
// cosigned as it is. The latest checkpoint may have none yet (witnesses
// cosign it within seconds); WitnessedCheckpoint is the one that met the
// quorum.
func (b *Bureau) Checkpoint(ctx context.Context, log string) (*probity.Checkpoint, error) {
	var c *probity.Checkpoint
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		if err := knownLog(tx, log); err != nil {
			return err
		}
		var err error
		if c, err = tx.LatestCheckpoint(log); err == nil && c == nil {
			err = probity.Errorf(probity.ENOTFOUND, "log %s is empty: no checkpoint yet", log)
		}
		if err == nil {
			c.Note, err = cosignedNote(tx, c)
		}
		return err
	})
	return c, err
}

// Entries returns the public leaves of a log with index in [start, end),
// at most MaxAuditEntries of them.
func (b *Bureau) Entries(ctx context.Context, log string, start, end uint64) ([]probity.PublicEntry, error) {
	if end < start {
		return nil, probity.Errorf(probity.EINVALID, "end: %d is before start %d", end, start)
	}
	end = min(end, start+probity.MaxAuditEntries)
	entries := []probity.PublicEntry{}
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		if err := knownLog(tx, log); err != nil {
			return err
		}
		return tx.Leaves(log, start, end, func(e *probity.AuditEntry) error {
			entries = append(entries, e.Public())
			return nil
		})
	})
	return entries, err
}

// InclusionProof proves that the leaf at index is in the tree of size.
func (b *Bureau) InclusionProof(ctx context.Context, log string, index, size uint64) (*probity.Proof, error) {
	var p *probity.Proof
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		if err := knownLog(tx, log); err != nil {
			return err
		}
		tree, err := b.log.Tree(tx, log)
		if err != nil {
			return err
		}
		if size > tree.Size() || index >= size {
			return probity.Errorf(probity.EINVALID, "index %d and size %d: want index < size <= %d, the size of log %s", index, size, tree.Size(), log)
		}
		hashes, err := tree.InclusionProof(index, size)
		p = &probity.Proof{Index: index, Size: size, Hashes: hashes}
		return err
	})
	return p, err
}

// ConsistencyProof proves that the tree of size from is a prefix of the
// tree of size to.
func (b *Bureau) ConsistencyProof(ctx context.Context, log string, from, to uint64) (*probity.Proof, error) {
	var p *probity.Proof
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		if err := knownLog(tx, log); err != nil {
			return err
		}
		tree, err := b.log.Tree(tx, log)
		if err != nil {
			return err
		}
		if from > to || to > tree.Size() {
			return probity.Errorf(probity.EINVALID, "from %d and to %d: want from <= to <= %d, the size of log %s", from, to, tree.Size(), log)
		}
		hashes, err := tree.ConsistencyProof(from, to)
		p = &probity.Proof{From: from, Size: to, Hashes: hashes}
		return err
	})
	return p, err
}

// PublicKey returns the note verifier key of a log's checkpoints.
func (b *Bureau) PublicKey(log string) string { return b.log.PublicKey(log) }

// SealLogs records in the installation log the latest checkpoint of every
// domain log that grew since; serve does it every few seconds. It first
// writes the refusals counted in windows that have ended (FlushRefusals).
func (b *Bureau) SealLogs(ctx context.Context) (int, error) {
	if _, err := b.FlushRefusals(ctx, false); err != nil {
		return 0, err
	}
	var n int
	err := b.store.Update(ctx, func(tx probity.Tx) error {
		var err error
		n, err = b.log.Seal(tx)
		return err
	})
	return n, err
}

// DefaultOpenings and MaxOpenings bound one page of openings.
const (
	DefaultOpenings = 100
	MaxOpenings     = probity.MaxAuditEntries
)

// Openings returns a page of a log's openings: any log's for the
// installation's auditors and operators, a domain's log's for its admins.
// The read is a leaf of its own, after the checkpoint the proofs lead to.
func (b *Bureau) Openings(ctx context.Context, log string, start uint64, limit int) (*probity.OpeningBundle, error) {
	grants := []probity.Grant{operator(), {Role: probity.RoleAuditor}}
	if log != probity.InstallationLog {
		grants = append(grants, role(probity.RoleAdmin, log))
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
		if err := knownLog(tx, log); err != nil {
			return err
		}
		c, err := b.newChain(ctx, tx)
		if err != nil {
			return err
		}
		bundle = c.bundle
		proofs, err := c.log(log)
		if err != nil {
			return err
		}
		last := start
		if proofs != nil {
			opened, err := proofs.openAll(func(fn func(*probity.AuditEntry) error) error { return tx.LogLeaves(log, start, limit, fn) })
			if err != nil {
				return err
			}
			if len(opened) > 0 {
				last = opened[len(opened)-1].Index
			}
			bundle.Openings = append(bundle.Openings, opened...)
		}
		if n := len(bundle.Openings); n == limit {
			next := last + 1
			bundle.Next = &next
		}
		domain := log
		if log == probity.InstallationLog {
			domain = ""
		}
		return b.log.Record(tx, probity.AuditLeaf{Actor: probity.ActorFromContext(ctx).ID, Action: probity.ActionOpeningsRead,
			Domain: domain, Ref: fmt.Sprintf("%s/%d-%d", log, start, last), Digest: audit.ReadDigest(bundle.Openings)})
	})
	return bundle, err
}

// openingProofs proves openings of one log against one of its checkpoints.
type openingProofs struct {
	size uint64
	tree *audit.Tree
}

// openAll opens the entries scan yields that the checkpoint covers. It
// reads the rows first: a proof reads tiles, and one connection runs one
// query at a time.
func (p *openingProofs) openAll(scan func(fn func(*probity.AuditEntry) error) error) ([]probity.Opening, error) {
	var entries []*probity.AuditEntry
	err := scan(func(e *probity.AuditEntry) error {
		if e.Index < p.size { // else not yet in the checkpoint the proofs lead to
			entries = append(entries, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]probity.Opening, 0, len(entries))
	for _, e := range entries {
		o, err := p.open(e)
		if err != nil {
			return nil, err
		}
		out = append(out, *o)
	}
	return out, nil
}

// open returns an entry's opening with its inclusion proof; a shredded
// entry's says which erasure shredded it.
func (p *openingProofs) open(e *probity.AuditEntry) (*probity.Opening, error) {
	if e.Invalid != "" {
		return nil, probity.Errorf(probity.EINTERNAL, "leaf %s/%d: %s: run probity audit verify", e.Log, e.Index, e.Invalid)
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
