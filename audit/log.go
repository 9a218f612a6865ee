package audit

import (
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/probity-dev/probity"
)

// Log appends leaves and checkpoints to the installation's logs within the
// caller's transactions, and keeps each log's tree that proofs are served
// from.
type Log struct {
	signer *Signer

	mu     sync.Mutex
	prefix string
}

// NewLog returns the logs signing their checkpoints with signer, under
// origins made from the default prefix (see DefaultPrefix) until SetPrefix.
func NewLog(signer *Signer) *Log {
	return &Log{signer: signer, prefix: DefaultPrefix(signer)}
}

// DefaultPrefix is the origin prefix of an installation whose operator set
// none: it says the log is local, and names the key so that two
// installations never share an origin.
func DefaultPrefix(signer *Signer) string { return "localhost/" + signer.KeyName() }

// CheckPrefix says what is wrong with an origin prefix, a schema-less URL
// (C2SP tlog-checkpoint): a host, optionally a path, no scheme, no spaces.
func CheckPrefix(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("the log origin prefix is empty; want a schema-less URL such as example.org/probity")
	case strings.Contains(p, "://"):
		return fmt.Errorf("log origin prefix %q has a scheme; want a schema-less URL such as example.org/probity", p)
	case strings.HasSuffix(p, "/"):
		return fmt.Errorf("log origin prefix %q ends in /; want example.org/probity (each log's origin is prefix/log)", p)
	}
	for _, r := range p {
		if r <= ' ' || r > '~' || r == '+' {
			return fmt.Errorf("log origin prefix %q holds %q; want printable ASCII without spaces or +", p, r)
		}
	}
	return nil
}

// Signer returns the logs' checkpoint signer.
func (l *Log) Signer() *Signer { return l.signer }

// SetPrefix sets the origin prefix the installation's logs were created
// with.
func (l *Log) SetPrefix(p string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prefix = p
}

// Prefix returns the origin prefix.
func (l *Log) Prefix() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.prefix
}

// Origin returns a log's origin: the prefix and the log's name.
func (l *Log) Origin(log string) string { return l.Prefix() + "/" + log }

// PublicKey returns the note verifier key of a log's checkpoints.
func (l *Log) PublicKey(log string) string { return l.signer.LogKey(l.Origin(log)) }

// Batch is the leaves one transaction appends, to one log or several;
// Commit seals each log it touched with a checkpoint in the same
// transaction, so that a crash can never leave a change without its leaf,
// or a leaf without a signature.
type Batch struct {
	log    *Log
	tx     probity.Tx
	hashes map[string][][]byte
	order  []string
}

// Begin starts the leaves of a transaction.
func (l *Log) Begin(tx probity.Tx) *Batch {
	return &Batch{log: l, tx: tx, hashes: map[string][][]byte{}}
}

// Add appends leaves, each to its log (probity.LogOf), stamped with the
// transaction's time. The first leaf of a log locks that log until the
// transaction ends: writers of other logs go on.
func (b *Batch) Add(leaves ...probity.AuditLeaf) error {
	for i := range leaves {
		leaves[i].At = b.tx.Now()
	}
	for start := 0; start < len(leaves); {
		name := probity.LogOf(&leaves[start])
		end := start + 1
		for end < len(leaves) && probity.LogOf(&leaves[end]) == name {
			end++
		}
		if err := b.lock(name); err != nil {
			return err
		}
		entries, err := b.tx.AppendLeaves(name, leaves[start:end], HashLeaf)
		if err != nil {
			return err
		}
		for _, e := range entries {
			b.hashes[name] = append(b.hashes[name], e.Hash)
		}
		start = end
	}
	return nil
}

// lock locks a log at the batch's first leaf of it.
func (b *Batch) lock(name string) error {
	if _, ok := b.hashes[name]; ok {
		return nil
	}
	if err := b.tx.LockLog(name, b.log.Origin(name)); err != nil {
		return fmt.Errorf("lock log %s: %w", name, err)
	}
	b.hashes[name] = nil
	b.order = append(b.order, name)
	return nil
}

// AddBatch appends a batch leaf (DESIGN.md, "Batches") to the log of
// leaf's domain: leaf is its header (actor and domain), members the
// commitments and subjects of the events stored in batch, at positions 1
// onwards (see MemberCommitment). It locks the log as Add does.
func (b *Batch) AddBatch(leaf probity.AuditLeaf, batch int64, members []probity.BatchMember) error {
	leaf.At, leaf.Action = b.tx.Now(), probity.ActionEventsAccepted
	name := probity.LogOf(&leaf)
	if err := b.lock(name); err != nil {
		return err
	}
	e, err := b.tx.AppendBatch(name, leaf, batch, members, HashLeaf)
	if err != nil {
		return err
	}
	b.hashes[name] = append(b.hashes[name], e.Hash)
	return nil
}

// MemberCommitment returns the commitment of a batch member: the event e,
// whose EventDigest is digest, stored at slot, its record as MemberRecord
// writes it.
func MemberCommitment(e *probity.Event, digest string, slot *probity.BatchSlot) [32]byte {
	return probity.Commitment(slot.Salt, memberRecord(e, digest, slot))
}

// memberRecord returns the member record of the event e, whose
// EventDigest is digest, stored at slot.
func memberRecord(e *probity.Event, digest string, slot *probity.BatchSlot) []byte {
	l := probity.AuditLeaf{Log: e.Domain, Action: probity.ActionEventAccepted, Domain: e.Domain, Subject: &e.Subject, Ref: e.Key, Digest: digest}
	return probity.MemberRecord(&l, slot.Batch, slot.Position)
}

// Len returns how many leaves the batch added.
func (b *Batch) Len() int {
	n := 0
	for _, h := range b.hashes {
		n += len(h)
	}
	return n
}

// Commit writes a checkpoint over the batch's leaves of each log it added
// to.
func (b *Batch) Commit() error {
	for _, name := range b.order {
		if err := b.commit(name, b.hashes[name]); err != nil {
			return err
		}
	}
	return nil
}

func (b *Batch) commit(name string, hashes [][]byte) error {
	if len(hashes) == 0 {
		return nil
	}
	prev, err := b.tx.LatestCheckpoint(name)
	if err != nil {
		return err
	}
	if prev == nil {
		prev = &probity.Checkpoint{}
	}
	size, err := b.tx.LogSize(name)
	if err != nil {
		return err
	}
	if want := prev.Size + uint64(len(hashes)); size != want {
		return probity.Errorf(probity.EINTERNAL, "log %s has %d leaves, but its latest checkpoint covers %d and this transaction added %d: run probity audit verify", name, size, prev.Size, len(hashes))
	}
	roots := tileRoots{}
	rng, root, err := extend(prev.Size, prev.Range, hashes, roots.visit)
	if err != nil {
		return fmt.Errorf("extend checkpoint %d of log %s: %w", prev.Size, name, err)
	}
	c, err := b.log.signer.Sign(name, b.log.Origin(name), size, root, b.tx.Now(), rng)
	if err != nil {
		return err
	}
	if err := b.tx.InsertCheckpoint(c); err != nil {
		return err
	}
	thinned, err := b.thin(name, prev, c)
	if err != nil {
		return err
	}
	if !thinned && len(prev.Range) > 0 {
		if err := b.tx.DropCheckpointRange(name, prev.Size); err != nil {
			return err
		}
	}
	return storeTiles(b.tx, name, prev.Size, hashes, roots)
}

// thin deletes a domain log's previous checkpoint when the new one, of the
// same second, supersedes it, unless the installation log recorded it: a
// domain log then keeps one checkpoint a second at most, besides those the
// installation log records, rather than one a commit (a few hundred bytes
// each, most of what a logged read cost). Nothing is lost that anyone can
// rely on: the latest checkpoint still covers every leaf, proofs lead to
// the recorded ones, and a checkpoint between others commits to nothing
// the ones around it do not (C2SP checkpoints do not link to the one
// before; deleting one was always unseen). Seal locks the log before it
// records a checkpoint, so one it is recording is never thinned.
// It reports whether it deleted it.
func (b *Batch) thin(name string, prev, c *probity.Checkpoint) (bool, error) {
	if name == probity.InstallationLog || prev.Size == 0 || prev.At.Unix() != c.At.Unix() {
		return false, nil // the installation log's checkpoints are witnessed
	}
	sealed, err := b.tx.LastSeal(name)
	if err != nil || sealed == prev.Size {
		return false, err
	}
	return true, b.tx.DeleteCheckpoint(name, prev.Size)
}

// Tree returns a log's tree as of its latest checkpoint in tx. Leaves
// beyond it are left out: in a write transaction they may not be committed
// yet, and no proof leads to them. The tree reads the log's stored tiles
// from tx as proofs need them (a few rows a proof, however large the log,
// the first proof after a restart too): use it only while tx is open.
func (l *Log) Tree(tx probity.ReadTx, log string) (*Tree, error) {
	cp, err := tx.LatestCheckpoint(log)
	if err != nil {
		return nil, err
	}
	size := uint64(0)
	if cp != nil {
		size = cp.Size
	}
	return &Tree{tiles: newTileReader(tx, log, size)}, nil
}

// Record appends one leaf and seals its log with a checkpoint: the whole
// log work of a transaction that changes one thing.
func (l *Log) Record(tx probity.Tx, leaf probity.AuditLeaf) error {
	b := l.Begin(tx)
	if err := b.Add(leaf); err != nil {
		return err
	}
	return b.Commit()
}

// SealActor is the actor of the installation log's leaves that record the
// domain logs' checkpoints.
const SealActor = "probity"

// Seal records in the installation log the latest checkpoint of every
// domain log that grew since it was last recorded, and returns how many it
// recorded. Following the installation log (and its witnesses) then
// commits to every domain log. The leaves' records are public: their salt
// is zero, so anyone holding a domain checkpoint can recompute the
// commitment (see SealRecord).
func (l *Log) Seal(tx probity.Tx) (int, error) {
	logs, err := tx.Logs()
	if err != nil {
		return 0, err
	}
	var leaves []probity.AuditLeaf
	for _, info := range logs {
		if info.Name == probity.InstallationLog {
			continue
		}
		cp, err := tx.LatestCheckpoint(info.Name)
		if err != nil {
			return 0, err
		}
		if cp == nil {
			continue
		}
		sealed, err := tx.LastSeal(info.Name)
		if err != nil {
			return 0, err
		}
		if sealed >= cp.Size {
			continue
		}
		// the log grew: its writers wait until the seal commits, so that
		// none thins the checkpoint recorded (Batch.thin), read again
		// under the lock. The installation log is locked first, as every
		// other transaction that locks it and a domain log does (a
		// report's), so that two never wait for each other.
		if len(leaves) == 0 {
			if err := tx.LockLog(probity.InstallationLog, l.Origin(probity.InstallationLog)); err != nil {
				return 0, err
			}
		}
		if err := tx.LockLog(info.Name, info.Origin); err != nil {
			return 0, err
		}
		if cp, err = tx.LatestCheckpoint(info.Name); err != nil {
			return 0, err
		}
		leaves = append(leaves, SealLeaf(info.Name, cp.Size, cp.Root))
	}
	if len(leaves) == 0 {
		return 0, nil
	}
	sort.Slice(leaves, func(i, j int) bool { return leaves[i].Domain < leaves[j].Domain })
	b := l.Begin(tx)
	if err := b.Add(leaves...); err != nil {
		return 0, err
	}
	return len(leaves), b.Commit()
}

// SealLeaf is the installation log's leaf recording a domain log's
// checkpoint of size with root.
func SealLeaf(log string, size uint64, root []byte) probity.AuditLeaf {
	return probity.AuditLeaf{Actor: SealActor, Action: probity.ActionLogCheckpoint, Domain: log,
		Ref: strconv.FormatUint(size, 10), Digest: hex.EncodeToString(root)}
}

// SealRecord returns the record of the seal leaf at index of the
// installation log for a domain log's checkpoint: with a zero salt, its
// commitment is what that leaf's public line holds.
func SealRecord(index uint64, log string, size uint64, root []byte) []byte {
	l := SealLeaf(log, size, root)
	l.Log, l.Index = probity.InstallationLog, index
	return l.Record()
}
