package audit_test

import (
	"database/sql"
	"fmt"
	"math/rand/v2"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/sqlstore"
	_ "modernc.org/sqlite"
)

// batchRow is a batch leaf's row, its record parsed.
type batchRow struct {
	idx, batch int64
	actor      string
	members    []probity.BatchMember
	erased     map[int]uint64
}

// randomBatch returns a random batch leaf of acme.lending.
func randomBatch(r *rand.Rand, db *rawDB) (*batchRow, error) {
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM log_leaves WHERE log = 'acme.lending' AND batch IS NOT NULL`).Scan(&n); err != nil || n == 0 {
		return nil, fmt.Errorf("the pristine store has no batch leaf (%v)", err)
	}
	b := &batchRow{}
	var record []byte
	err := db.QueryRow(`SELECT idx, batch, record FROM log_leaves WHERE log = 'acme.lending' AND batch IS NOT NULL ORDER BY idx LIMIT 1 OFFSET ?`, r.IntN(n)).
		Scan(&b.idx, &b.batch, &record)
	if err != nil {
		return nil, err
	}
	b.actor, b.members, b.erased, err = sqlstore.ParseBatchRecord(record)
	return b, err
}

// rewrite stores the batch leaf's record as b now holds it.
func (b *batchRow) rewrite(db *rawDB) error {
	return exec1(db, `UPDATE log_leaves SET record = ? WHERE log = 'acme.lending' AND idx = ?`, sqlstore.BatchRecord(b.actor, b.members, b.erased), b.idx)
}

// randomMember returns a random batch leaf, one of its members (from 0)
// and the key of the event stored there (errNoop if none is).
func randomMember(r *rand.Rand, db *rawDB) (*batchRow, int, string, error) {
	b, err := randomBatch(r, db)
	if err != nil {
		return nil, 0, "", err
	}
	i := r.IntN(len(b.members))
	key, err := memberKey(db, b.batch, i+1)
	return b, i, key, err
}

// memberKey returns the key of the event at a position of a batch.
func memberKey(db *rawDB, batch int64, pos int) (string, error) {
	var key string
	err := db.QueryRow(`SELECT key FROM events WHERE domain = 'acme.lending' AND batch = ? AND slot = ?`, batch, pos).Scan(&key)
	if err == sql.ErrNoRows {
		return "", errNoop // no event stored there
	}
	return key, err
}

// eventLeafName is what a report that names a deleted event says: its
// own leaf's missing row, or its batch leaf's position without a row.
func eventLeafName(db *rawDB, e *eventRow) (string, error) {
	var batch, slot sql.NullInt64
	if err := db.QueryRow(`SELECT batch, slot FROM events WHERE domain = ? AND key = ?`, e.domain, e.key).Scan(&batch, &slot); err != nil {
		return "", err
	}
	if !batch.Valid {
		return " " + e.key + ")", nil // "its row (event.accepted acme.lending KEY) is missing"
	}
	var idx int64
	if err := db.QueryRow(`SELECT idx FROM log_leaves WHERE log = ? AND batch = ?`, e.domain, batch.Int64).Scan(&idx); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s its event at position %d has no row", leafName(idx), slot.Int64), nil
}

// batchTampers change batch leaves (DESIGN.md, "Batches") and the places
// their events' rows claim in them.
func batchTampers() []tamper {
	return []tamper{
		{"batch.member.commitment", func(r *rand.Rand, db *rawDB) (change, error) {
			b, err := randomBatch(r, db)
			if err != nil {
				return change{}, err
			}
			i := r.IntN(len(b.members))
			b.members[i].Commitment[r.IntN(32)] ^= 1 << r.IntN(8)
			return change{fmt.Sprintf("leaf %d: member %d's commitment changed", b.idx, i+1), leafName(b.idx)}, b.rewrite(db)
		}},
		{"batch.member.subject", func(r *rand.Rand, db *rawDB) (change, error) {
			b, i, key, err := randomMember(r, db)
			if err != nil {
				return change{}, err
			}
			b.members[i].Subject[r.IntN(len(b.members[i].Subject))] ^= 1 << r.IntN(8)
			return change{fmt.Sprintf("leaf %d: member %d's subject changed", b.idx, i+1), "event acme.lending/" + key + ":"}, b.rewrite(db)
		}},
		{"batch.member.erase", func(r *rand.Rand, db *rawDB) (change, error) {
			// an event deleted, and its place marked erased by a leaf
			// that is no erasure
			b, i, key, err := randomMember(r, db)
			if err != nil {
				return change{}, err
			}
			n, err := logSize(db)
			if err != nil {
				return change{}, err
			}
			b.erased[i+1] = uint64(b.idx + 1 + r.Int64N(n-b.idx))
			b.members[i].Subject = probity.SubjectHint{}
			if err := exec1(db, `DELETE FROM events WHERE domain = 'acme.lending' AND key = ?`, key); err != nil {
				return change{}, err
			}
			return change{fmt.Sprintf("event %s deleted, marked erased by leaf %d in leaf %d", key, b.erased[i+1], b.idx), leafName(b.idx)}, b.rewrite(db)
		}},
		{"leaves.batch", func(r *rand.Rand, db *rawDB) (change, error) {
			b, err := randomBatch(r, db)
			if err != nil {
				return change{}, err
			}
			return change{fmt.Sprintf("leaf %d: batch id %d changed", b.idx, b.batch), leafName(b.idx)},
				exec1(db, `UPDATE log_leaves SET batch = ? WHERE log = 'acme.lending' AND idx = ?`, b.batch^int64(1+r.IntN(1<<20)), b.idx)
		}},
		{"events.salt", editEvent("salt", func(r *rand.Rand, db *rawDB, e *eventRow) (any, any, error) {
			salt := make([]byte, probity.SaltSize)
			for i := range salt {
				salt[i] = byte(r.Uint32())
			}
			return "(its salt)", salt, nil
		})},
		{"events.slot", editEvent("slot", func(r *rand.Rand, db *rawDB, e *eventRow) (any, any, error) {
			var slot int
			if err := db.QueryRow(`SELECT slot FROM events WHERE domain = ? AND key = ?`, e.domain, e.key).Scan(&slot); err != nil {
				return nil, nil, err
			}
			return slot, 1 + (slot+r.IntN(10))%probity.MaxBatchMembers, nil
		})},
		{"events.batch", editEvent("batch", func(r *rand.Rand, db *rawDB, e *eventRow) (any, any, error) {
			var batch int64
			if err := db.QueryRow(`SELECT batch FROM events WHERE domain = ? AND key = ?`, e.domain, e.key).Scan(&batch); err != nil {
				return nil, nil, err
			}
			return batch, batch ^ int64(1+r.IntN(1<<20)), nil
		})},
	}
}
