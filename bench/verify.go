package bench

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
)

// verify runs the full audit verification of the main site (every leaf
// hash, the tree, every checkpoint, every row against its leaf) against
// bare RFC 6962 hashing of the same leaves.
func (r *runner) verify(ctx context.Context) (Row, error) {
	s := r.main
	var ph, bh heapPeak
	var rep *audit.Report
	collect()
	// Probity first: the baseline's leaves, loaded in memory, must not
	// count in Probity's peak heap.
	err := ph.measure(func() error {
		var err error
		rep, err = audit.Verify(ctx, s.db, s.keys.signer.Verifier(), s.bureau.KeyDigests())
		return err
	})
	if err != nil {
		return Row{}, err
	}
	if !rep.OK() {
		return Row{}, fmt.Errorf("audit verification found %d problems: %s", rep.Count, strings.Join(rep.Problems[:min(3, len(rep.Problems))], "; "))
	}
	leaves, cp, err := s.leafData(ctx)
	if err != nil {
		return Row{}, err
	}
	r.logf("audit verification: %d leaves", len(leaves))
	collect()
	var bt time.Duration
	err = bh.measure(func() error {
		start := time.Now()
		root, err := bareRoot(leaves, cp.Size)
		bt = time.Since(start)
		if err == nil && !bytes.Equal(root, cp.Root) {
			err = fmt.Errorf("bare hashing: the root at %d leaves differs from the latest checkpoint's", cp.Size)
		}
		return err
	})
	if err != nil {
		return Row{}, err
	}
	r.logf("audit verification: %s on the log (leaves, tree, checkpoints), %s on the rows against it", rep.LogElapsed.Round(time.Millisecond), (rep.Elapsed - rep.LogElapsed).Round(time.Millisecond))
	probityRate := float64(rep.Leaves) / rep.Elapsed.Seconds()
	return newRow("audit verification", "leaves/s", probityRate, float64(len(leaves))/bt.Seconds(), &ph, &bh, baselineHash), nil
}

// leafData reads the data of every leaf of the largest log (the bench
// domain's) and its latest checkpoint in one snapshot.
func (s *site) leafData(ctx context.Context) ([][]byte, *probity.Checkpoint, error) {
	var leaves [][]byte
	var cp *probity.Checkpoint
	err := s.db.View(ctx, func(tx probity.ReadTx) error {
		logs, err := tx.Logs()
		if err != nil {
			return err
		}
		var log string
		var size uint64
		for _, l := range logs {
			if l.Size > size {
				log, size = l.Name, l.Size
			}
		}
		if cp, err = tx.LatestCheckpoint(log); err != nil {
			return err
		} else if cp == nil {
			return fmt.Errorf("the log has no checkpoint")
		}
		leaves = make([][]byte, 0, size)
		return tx.Leaves(log, 0, size, func(e *probity.AuditEntry) error {
			leaves = append(leaves, []byte(e.Data))
			return nil
		})
	})
	return leaves, cp, err
}

// bareRoot hashes every leaf into a compact range and returns the root of
// the first at leaves.
func bareRoot(leaves [][]byte, at uint64) ([]byte, error) {
	h := rfc6962.DefaultHasher
	rng := (&compact.RangeFactory{Hash: h.HashChildren}).NewEmptyRange(0)
	var root []byte
	for i, data := range leaves {
		if err := rng.Append(h.HashLeaf(data), nil); err != nil {
			return nil, err
		}
		if uint64(i+1) == at {
			var err error
			if root, err = rng.GetRootHash(nil); err != nil {
				return nil, err
			}
		}
	}
	if _, err := rng.GetRootHash(nil); err != nil {
		return nil, err
	}
	return root, nil
}
