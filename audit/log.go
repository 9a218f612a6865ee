package audit

import (
	"fmt"
	"sync"

	"github.com/probity-dev/probity"
)

// Log appends leaves and checkpoints within the caller's transactions and
// keeps the tree that proofs are served from.
type Log struct {
	signer *Signer

	mu   sync.Mutex
	tree Tree
}

// NewLog returns a log signing its checkpoints with signer.
func NewLog(signer *Signer) *Log { return &Log{signer: signer} }

// Signer returns the log's checkpoint signer.
func (l *Log) Signer() *Signer { return l.signer }

// Batch is the leaves one transaction appends; Commit seals them with a
// checkpoint in the same transaction, so that a crash can never leave a
// change without its leaf, or a leaf without a signature.
type Batch struct {
	log    *Log
	tx     probity.Tx
	hashes [][]byte
}

// Begin starts the leaves of a transaction.
func (l *Log) Begin(tx probity.Tx) *Batch { return &Batch{log: l, tx: tx} }

// Add appends leaves, stamped with the transaction's time.
func (b *Batch) Add(leaves ...probity.AuditLeaf) error {
	for i := range leaves {
		leaves[i].At = b.tx.Now()
	}
	entries, err := b.tx.AppendLeaves(leaves, HashLeaf)
	if err != nil {
		return err
	}
	for _, e := range entries {
		b.hashes = append(b.hashes, e.Hash)
	}
	return nil
}

// Len returns how many leaves the batch added.
func (b *Batch) Len() int { return len(b.hashes) }

// Commit writes the checkpoint over the batch's leaves, if it added any.
func (b *Batch) Commit() error {
	if len(b.hashes) == 0 {
		return nil
	}
	prev, err := b.tx.LatestCheckpoint()
	if err != nil {
		return err
	}
	if prev == nil {
		prev = &probity.Checkpoint{}
	}
	size, err := b.tx.LogSize()
	if err != nil {
		return err
	}
	if want := prev.Size + uint64(len(b.hashes)); size != want {
		return probity.Errorf(probity.EINTERNAL, "the log has %d leaves, but its latest checkpoint covers %d and this transaction added %d: run probity audit verify", size, prev.Size, len(b.hashes))
	}
	rng, root, err := Extend(prev.Size, prev.Range, b.hashes)
	if err != nil {
		return fmt.Errorf("extend checkpoint %d: %w", prev.Size, err)
	}
	c, err := b.log.signer.Sign(size, root, prev.Size, b.tx.Now(), rng)
	if err != nil {
		return err
	}
	return b.tx.InsertCheckpoint(c)
}

// Tree returns the log's tree, brought up to the leaves stored in tx.
func (l *Log) Tree(tx probity.ReadTx) (*Tree, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	size, err := tx.LogSize()
	if err != nil {
		return nil, err
	}
	if size < l.tree.Size() {
		l.tree = Tree{} // the store was replaced (a test, a restore): start over
	}
	err = tx.Leaves(l.tree.Size(), size, func(e *probity.AuditEntry) error {
		l.tree.Append(e.Hash)
		return nil
	})
	if err != nil {
		return nil, err
	}
	snapshot := l.tree // shares node slices: appends never change existing nodes
	return &snapshot, nil
}

// Record appends one leaf and seals it with a checkpoint: the whole log
// work of a transaction that changes one thing.
func (l *Log) Record(tx probity.Tx, leaf probity.AuditLeaf) error {
	b := l.Begin(tx)
	if err := b.Add(leaf); err != nil {
		return err
	}
	return b.Commit()
}
