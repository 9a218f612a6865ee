package audit_test

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/sqlstore"
	_ "modernc.org/sqlite"
)

// leafRow is a stored audit leaf.
type leafRow struct {
	idx          int64
	domain       string
	pseudonym    []byte
	action       string
	data, hash   []byte
	salt, record []byte
}

func logSize(db *rawDB) (int64, error) {
	var n int64
	err := db.QueryRow(`SELECT MAX(idx) + 1 FROM log_leaves WHERE log = 'acme.lending'`).Scan(&n)
	return n, err
}

func leafAt(db *rawDB, idx int64) (*leafRow, error) {
	l := &leafRow{}
	var batch sql.NullInt64
	err := db.QueryRow(`SELECT idx, domain, pseudonym, action, data, hash, salt, record, batch FROM log_leaves WHERE log = 'acme.lending' AND idx = ?`, idx).
		Scan(&l.idx, &l.domain, &l.pseudonym, &l.action, &l.data, &l.hash, &l.salt, &l.record, &batch)
	if err != nil {
		return nil, err
	}
	// the row keeps them compact; a tamper writes them back in full, which
	// the store reads as well (but for a batch leaf's record: a tamper
	// that writes its header back in full makes the row unreadable)
	if l.data, err = sqlstore.PublicData("acme.lending", l.idx, l.action, l.data); err != nil {
		return nil, err
	}
	if batch.Valid {
		l.record, _, err = sqlstore.BatchHeader("acme.lending", l.idx, l.domain, batch.Int64, l.record)
		return l, err
	}
	l.record, err = sqlstore.PrivateRecord("acme.lending", l.idx, l.action, l.domain, l.pseudonym, l.record)
	return l, err
}

func randomLeaf(r *rand.Rand, db *rawDB) (*leafRow, error) {
	n, err := logSize(db)
	if err != nil {
		return nil, err
	}
	return leafAt(db, r.Int64N(n))
}

func leafName(idx int64) string { return fmt.Sprintf("leaf acme.lending/%d:", idx) }

// editLeaf sets one column of a random leaf to what edit returns.
func editLeaf(column string, edit func(r *rand.Rand, l *leafRow) (old, new any, err error)) func(*rand.Rand, *rawDB) (change, error) {
	return func(r *rand.Rand, db *rawDB) (change, error) {
		l, err := randomLeaf(r, db)
		if err != nil {
			return change{}, err
		}
		old, nv, err := edit(r, l)
		if err != nil {
			return change{}, err
		}
		if err := exec1(db, `UPDATE log_leaves SET `+column+` = ? WHERE log = 'acme.lending' AND idx = ?`, nv, l.idx); err != nil {
			return change{}, err
		}
		return change{fmt.Sprintf("leaf %d: %s %s → %s", l.idx, column, show(old), show(nv)), leafName(l.idx)}, nil
	}
}

// editRecordField changes one field of a leaf's private record (actor,
// purpose, ref, digest) and returns its canonical form.
func editRecordField(r *rand.Rand, record []byte) ([]byte, error) {
	l, err := probity.ParseRecord(record)
	if err != nil {
		return nil, err
	}
	switch r.IntN(4) {
	case 0:
		l.Actor = pick(r, "admin", "operator", l.Actor+"x")
	case 1:
		l.Purpose = pick(r, "marketing", "collection", "")
	case 2:
		l.Ref = pick(r, "L-0000001-001", "2", "")
	case 3:
		if l.Digest == "" {
			return nil, errNoop
		}
		d, err := replaceChar(r, l.Digest, 0, len(l.Digest), "0123456789abcdef")
		if err != nil {
			return nil, err
		}
		l.Digest = d
	}
	out := l.Record()
	if string(out) == string(record) {
		return nil, errNoop
	}
	return out, nil
}

// editPublicField changes the time or the action of a public leaf and
// returns its canonical data.
func editPublicField(r *rand.Rand, data []byte) ([]byte, error) {
	p, err := probity.ParsePublicLeaf(data)
	if err != nil {
		return nil, err
	}
	if r.IntN(2) == 0 {
		p.At = p.At.Add(time.Duration(1+r.IntN(3600)) * time.Second)
	} else {
		p.Action = pick(r, probity.ActionScoreRead, probity.ActionEventAccepted, probity.ActionKeyCreated)
	}
	out := p.Data()
	if string(out) == string(data) {
		return nil, errNoop
	}
	return out, nil
}

// recommit returns a leaf's data committing to record with salt, and its hash.
func recommit(data, salt, record []byte) ([]byte, []byte, error) {
	p, err := probity.ParsePublicLeaf(data)
	if err != nil {
		return nil, nil, err
	}
	p.Commitment = probity.Commitment(salt, record)
	d := p.Data()
	return d, audit.HashLeaf(d), nil
}

// coveringCheckpoint names the first checkpoint whose tree holds leaf idx:
// when a leaf is rewritten with a valid hash, the most precise report is
// that this checkpoint's root no longer matches.
func coveringCheckpoint(db *rawDB, idx int64) (string, error) {
	var size int64
	err := db.QueryRow(`SELECT MIN(size) FROM log_checkpoints WHERE log = 'acme.lending' AND size > ?`, idx).Scan(&size)
	return checkpointName(size), err
}

// renumber returns a leaf's data and record with its index changed, a
// fresh commitment, and its hash: a row that opens correctly at its new place.
func renumber(l *leafRow, idx int64) (data, record, hash []byte, err error) {
	p, err := probity.ParsePublicLeaf(l.data)
	if err != nil {
		return nil, nil, nil, err
	}
	rec, err := probity.ParseRecord(l.record)
	if err != nil {
		return nil, nil, nil, err
	}
	p.Index, rec.Index = uint64(idx), uint64(idx)
	record = rec.Record()
	p.Commitment = probity.Commitment(l.salt, record)
	data = p.Data()
	return data, record, audit.HashLeaf(data), nil
}

func leafTampers() []tamper {
	actions := []string{probity.ActionKeyCreated, probity.ActionSpecApplied, probity.ActionEventAccepted, probity.ActionScoreRead, probity.ActionDecisionRead}
	return []tamper{
		{"leaves.data.byte", editLeaf("data", func(r *rand.Rand, l *leafRow) (any, any, error) {
			d, err := replaceChar(r, string(l.data), 0, len(l.data), alnum+" :.-")
			return l.data, []byte(d), err
		})},
		{"leaves.data.field", editLeaf("data", func(r *rand.Rand, l *leafRow) (any, any, error) {
			d, err := editPublicField(r, l.data)
			return l.data, d, err
		})},
		{"leaves.record.field", editLeaf("record", func(r *rand.Rand, l *leafRow) (any, any, error) {
			d, err := editRecordField(r, l.record)
			return l.record, d, err
		})},
		{"leaves.salt", editLeaf("salt", func(r *rand.Rand, l *leafRow) (any, any, error) {
			return l.salt, flipByte(r, l.salt), nil
		})},
		{"leaves.record.recommit", func(r *rand.Rand, db *rawDB) (change, error) {
			l, err := randomLeaf(r, db)
			if err != nil {
				return change{}, err
			}
			rec, err := editRecordField(r, l.record)
			if err != nil {
				return change{}, err
			}
			d, h, err := recommit(l.data, l.salt, rec)
			if err != nil {
				return change{}, err
			}
			names, err := coveringCheckpoint(db, l.idx)
			if err != nil {
				return change{}, err
			}
			return change{fmt.Sprintf("leaf %d: record %q → %q, committed and hashed anew", l.idx, l.record, rec), names},
				exec1(db, `UPDATE log_leaves SET data = ?, hash = ?, record = ? WHERE log = 'acme.lending' AND idx = ?`, d, h, rec, l.idx)
		}},
		{"leaves.opening.delete", func(r *rand.Rand, db *rawDB) (change, error) {
			l, err := randomLeaf(r, db)
			if err != nil {
				return change{}, err
			}
			return change{fmt.Sprintf("leaf %d: opening deleted", l.idx), leafName(l.idx)},
				exec1(db, `UPDATE log_leaves SET salt = NULL, record = NULL WHERE log = 'acme.lending' AND idx = ?`, l.idx)
		}},
		{"leaves.opening.shred", func(r *rand.Rand, db *rawDB) (change, error) {
			l, err := randomLeaf(r, db)
			if err != nil {
				return change{}, err
			}
			size, err := logSize(db)
			if err != nil {
				return change{}, err
			}
			by := l.idx + 1 + r.Int64N(size-l.idx)
			return change{fmt.Sprintf("leaf %d: opening shredded as if by leaf %d", l.idx, by), leafName(l.idx)},
				exec1(db, `UPDATE log_leaves SET salt = NULL, record = NULL, pseudonym = NULL, erased_by = ? WHERE log = 'acme.lending' AND idx = ?`, by, l.idx)
		}},
		{"leaves.data.rehash", func(r *rand.Rand, db *rawDB) (change, error) {
			l, err := randomLeaf(r, db)
			if err != nil {
				return change{}, err
			}
			d, err := editPublicField(r, l.data)
			if err != nil {
				return change{}, err
			}
			names, err := coveringCheckpoint(db, l.idx)
			if err != nil {
				return change{}, err
			}
			return change{fmt.Sprintf("leaf %d: data %q → %q, hash recomputed", l.idx, l.data, d), names},
				exec1(db, `UPDATE log_leaves SET data = ?, hash = ? WHERE log = 'acme.lending' AND idx = ?`, d, audit.HashLeaf(d), l.idx)
		}},
		{"leaves.hash", editLeaf("hash", func(r *rand.Rand, l *leafRow) (any, any, error) {
			return l.hash, flipByte(r, l.hash), nil
		})},
		{"leaves.domain", editLeaf("domain", func(r *rand.Rand, l *leafRow) (any, any, error) {
			d := pick(r, "", "acme.lending", "acme.lending.eu")
			if d == l.domain {
				return nil, nil, errNoop
			}
			return l.domain, d, nil
		})},
		{"leaves.action", editLeaf("action", func(r *rand.Rand, l *leafRow) (any, any, error) {
			a := pick(r, actions...)
			if a == l.action {
				return nil, nil, errNoop
			}
			return l.action, a, nil
		})},
		{"leaves.pseudonym", editLeaf("pseudonym", func(r *rand.Rand, l *leafRow) (any, any, error) {
			if l.pseudonym == nil {
				p := make([]byte, 32)
				for i := range p {
					p[i] = byte(r.IntN(256))
				}
				return l.pseudonym, p, nil
			}
			return l.pseudonym, flipByte(r, l.pseudonym), nil
		})},
		{"leaves.idx", func(r *rand.Rand, db *rawDB) (change, error) {
			l, err := randomLeaf(r, db)
			if err != nil {
				return change{}, err
			}
			size, err := logSize(db)
			if err != nil {
				return change{}, err
			}
			to := size + r.Int64N(3)
			return change{fmt.Sprintf("leaf %d: moved to index %d", l.idx, to), leafName(l.idx)},
				exec1(db, `UPDATE log_leaves SET idx = ? WHERE log = 'acme.lending' AND idx = ?`, to, l.idx)
		}},
		{"leaves.delete", func(r *rand.Rand, db *rawDB) (change, error) {
			l, err := randomLeaf(r, db)
			if err != nil {
				return change{}, err
			}
			return change{fmt.Sprintf("leaf %d: deleted", l.idx), leafName(l.idx)}, exec1(db, `DELETE FROM log_leaves WHERE log = 'acme.lending' AND idx = ?`, l.idx)
		}},
		{"leaves.delete.last", func(r *rand.Rand, db *rawDB) (change, error) {
			size, err := logSize(db)
			if err != nil {
				return change{}, err
			}
			return change{fmt.Sprintf("leaf %d, the last: deleted", size-1), fmt.Sprintf("log has %d leaves", size-1)},
				exec1(db, `DELETE FROM log_leaves WHERE log = 'acme.lending' AND idx = ?`, size-1)
		}},
		{"leaves.insert.end", func(r *rand.Rand, db *rawDB) (change, error) {
			l, err := randomLeaf(r, db)
			if err != nil {
				return change{}, err
			}
			size, err := logSize(db)
			if err != nil {
				return change{}, err
			}
			d, rec, h, err := renumber(l, size)
			if err != nil {
				return change{}, err
			}
			return change{fmt.Sprintf("leaf %d: inserted, a copy of leaf %d, correctly numbered, committed and hashed", size, l.idx), fmt.Sprintf("log has %d leaves", size+1)},
				exec1(db, `INSERT INTO log_leaves (log, idx, domain, pseudonym, action, data, hash, salt, record) VALUES ('acme.lending', ?, ?, ?, ?, ?, ?, ?, ?)`, size, l.domain, l.pseudonym, l.action, d, h, l.salt, rec)
		}},
		{"leaves.insert.before", func(r *rand.Rand, db *rawDB) (change, error) {
			l, err := randomLeaf(r, db)
			if err != nil {
				return change{}, err
			}
			at := -1 - r.Int64N(3)
			return change{fmt.Sprintf("leaf %d: inserted before the first, a copy of leaf %d", at, l.idx), fmt.Sprintf("leaf rows with indexes %d to", at)},
				exec1(db, `INSERT INTO log_leaves (log, idx, domain, pseudonym, action, data, hash, salt, record) VALUES ('acme.lending', ?, ?, ?, ?, ?, ?, ?, ?)`, at, l.domain, l.pseudonym, l.action, l.data, l.hash, l.salt, l.record)
		}},
		{"leaves.swap", swapLeaves(false)},
		{"leaves.swap.rehash", swapLeaves(true)},
	}
}

// swapLeaves exchanges the content of two leaves (columns, data, hash);
// with rehash, each is renumbered and rehashed, so that each row is a valid
// leaf at its place and only the tree is wrong.
func swapLeaves(rehash bool) func(*rand.Rand, *rawDB) (change, error) {
	return func(r *rand.Rand, db *rawDB) (change, error) {
		a, err := randomLeaf(r, db)
		if err != nil {
			return change{}, err
		}
		b, err := randomLeaf(r, db)
		if err != nil {
			return change{}, err
		}
		if a.idx == b.idx {
			return change{}, errNoop
		}
		moved := []leafRow{{a.idx, b.domain, b.pseudonym, b.action, b.data, b.hash, b.salt, b.record}, {b.idx, a.domain, a.pseudonym, a.action, a.data, a.hash, a.salt, a.record}}
		for i := range moved {
			if rehash {
				if moved[i].data, moved[i].record, moved[i].hash, err = renumber(&moved[i], moved[i].idx); err != nil {
					return change{}, err
				}
			}
		}
		if string(moved[0].data) == string(a.data) || string(moved[1].data) == string(b.data) {
			return change{}, errNoop
		}
		for _, m := range moved {
			if err := exec1(db, `UPDATE log_leaves SET domain = ?, pseudonym = ?, action = ?, data = ?, hash = ?, salt = ?, record = ? WHERE log = 'acme.lending' AND idx = ?`, m.domain, m.pseudonym, m.action, m.data, m.hash, m.salt, m.record, m.idx); err != nil {
				return change{}, err
			}
		}
		names := leafName(min(a.idx, b.idx))
		if rehash {
			if names, err = coveringCheckpoint(db, min(a.idx, b.idx)); err != nil {
				return change{}, err
			}
		}
		return change{fmt.Sprintf("leaves %d and %d: swapped (rehashed: %t)", a.idx, b.idx, rehash), names}, nil
	}
}
