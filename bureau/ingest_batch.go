package bureau

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// memberGroup is one batch leaf to append: its id, and the spool
// positions of its events (stored or not), position 1 onwards.
type memberGroup struct {
	batch     int64
	positions []int32
}

// slots places the events of a batch about to be stored in batch leaves of
// up to MaxBatchMembers each (DESIGN.md, "Batches"): each event's row keeps
// its leaf's batch id, its position and the salt of its member record.
func (in *intake) slots(events []*probity.Event) error {
	if in.saltKey == nil {
		in.saltKey = make([]byte, 32)
		if _, err := rand.Read(in.saltKey); err != nil {
			return err
		}
	}
	for i, e := range events {
		k := i % probity.MaxBatchMembers
		if k == 0 {
			var id [8]byte
			if _, err := rand.Read(id[:]); err != nil {
				return err
			}
			in.groups = append(in.groups, memberGroup{batch: int64(binary.BigEndian.Uint64(id[:]) >> 1)})
		}
		g := &in.groups[len(in.groups)-1]
		g.positions = append(g.positions, int32(in.batch[i].pos))
		e.Slot = &probity.BatchSlot{Batch: g.batch, Position: k + 1, Salt: in.salt(g.batch, k+1)}
	}
	return nil
}

// salt derives the salt of the member record at a position of a batch from
// the ingest's own key: random to anyone without it, and found again for
// the leaf without holding every event's salt in memory.
func (in *intake) salt(batch int64, position int) []byte {
	m := hmac.New(sha256.New, in.saltKey)
	var b [12]byte
	binary.BigEndian.PutUint64(b[:], uint64(batch))
	binary.BigEndian.PutUint32(b[8:], uint32(position))
	m.Write(b[:])
	return m.Sum(nil)
}

// appendLeaves appends the batch leaves of the stored events, read again
// from the spool, at the end of the transaction: the domain's log is
// locked (and its readers wait) only for the append and the commit, not for
// the whole store. A position whose event was not stored (its key was
// taken) commits to nothing: a zero commitment; a batch none of whose
// events was stored has no leaf.
func (in *intake) appendLeaves(sp *spool) error {
	g, k, pos := 0, 0, 0
	var members []probity.BatchMember
	stored := false
	err := sp.each(func(p *spooled) error {
		defer func() { pos++ }()
		if g == len(in.groups) || in.groups[g].positions[k] != int32(pos) {
			return nil
		}
		grp := &in.groups[g]
		var m probity.BatchMember
		if in.inserted[pos] {
			m.Commitment = audit.MemberCommitment(p.Event, p.Digest, &probity.BatchSlot{Batch: grp.batch, Position: k + 1, Salt: in.salt(grp.batch, k+1)})
			m.Subject = probity.HintOf(p.Event.Subject)
			stored = true
		}
		members = append(members, m)
		if k++; k < len(grp.positions) {
			return nil
		}
		if stored {
			if err := in.batchLog.AddBatch(probity.AuditLeaf{Actor: in.actor, Domain: in.domain}, grp.batch, members); err != nil {
				return err
			}
		}
		g, k, members, stored = g+1, 0, members[:0], false
		return nil
	})
	if err == nil && g != len(in.groups) {
		err = fmt.Errorf("ingest: %d of %d batch leaves appended: the spool ended early", g, len(in.groups))
	}
	return err
}
