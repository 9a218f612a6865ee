package bureau

import (
	"context"
	"sync"

	"github.com/probity-dev/probity"
)

// maxReadBatch bounds the read leaves one transaction commits, so that a
// burst does not hold the write lock for long.
const maxReadBatch = 1024

// readLog commits the leaves of reads together: a read waits until its
// leaf is stored with a checkpoint over it before its answer is shown, and
// the reads that arrive while one transaction commits go together in the
// next. One transaction and one signature then serve many reads, which is
// what lets reads outrun the write lock they all share (P8 stays whole:
// nothing is disclosed before its leaf is committed).
type readLog struct {
	b *Bureau

	mu       sync.Mutex
	queue    []*pendingRead
	flushing bool
}

type pendingRead struct {
	leaf probity.AuditLeaf
	done chan error
}

// record appends leaf to the log and returns once it is committed. If ctx
// ends first the caller gives up (and shows nothing); the leaf may still
// be committed, which records an attempt that was answered to no one.
func (r *readLog) record(ctx context.Context, leaf probity.AuditLeaf) error {
	p := &pendingRead{leaf: leaf, done: make(chan error, 1)}
	r.mu.Lock()
	r.queue = append(r.queue, p)
	if !r.flushing {
		r.flushing = true
		go r.flush()
	}
	r.mu.Unlock()
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// flush commits queued leaves until the queue is empty.
func (r *readLog) flush() {
	for {
		r.mu.Lock()
		n := min(len(r.queue), maxReadBatch)
		batch := r.queue[:n:n]
		r.queue = r.queue[n:]
		if n == 0 {
			r.flushing = false
			r.queue = nil
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		leaves := make([]probity.AuditLeaf, len(batch))
		for i, p := range batch {
			leaves[i] = p.leaf
		}
		err := r.b.store.Update(context.Background(), func(tx probity.Tx) error {
			b := r.b.log.Begin(tx)
			if err := b.Add(leaves...); err != nil {
				return err
			}
			return b.Commit()
		})
		for _, p := range batch {
			p.done <- err
		}
	}
}
