package audit_test

import (
	"fmt"
	"github.com/probity-dev/probity"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// checkpointRow is a stored checkpoint.
type checkpointRow struct {
	size, at int64
	root     []byte
	note     string
	rng      []byte
}

func checkpointAt(db *rawDB, size int64) (*checkpointRow, error) {
	c := &checkpointRow{}
	err := db.QueryRow(`SELECT size, at, root, note, range FROM log_checkpoints WHERE log = 'acme.lending' AND size = ?`, size).Scan(&c.size, &c.at, &c.root, &c.note, &c.rng)
	return c, err
}

func readCheckpoint(tb testing.TB, db *rawDB, size int64) *checkpointRow {
	tb.Helper()
	c, err := checkpointAt(db, size)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func sizesOf(db *rawDB) ([]int64, error) {
	rows, err := db.Query(`SELECT size FROM log_checkpoints WHERE log = 'acme.lending' ORDER BY size`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var sizes []int64
	for rows.Next() {
		var s int64
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		sizes = append(sizes, s)
	}
	return sizes, rows.Err()
}

func checkpointSizes(tb testing.TB, db *rawDB) []int64 {
	tb.Helper()
	sizes, err := sizesOf(db)
	if err != nil {
		tb.Fatal(err)
	}
	return sizes
}

func checkpointName(size int64) string { return fmt.Sprintf("checkpoint acme.lending/%d:", size) }

func randomCheckpoint(r *rand.Rand, db *rawDB) (*checkpointRow, []int64, error) {
	sizes, err := sizesOf(db)
	if err != nil {
		return nil, nil, err
	}
	c, err := checkpointAt(db, pick(r, sizes...))
	return c, sizes, err
}

// unusedSize returns a size near size that no checkpoint has.
func unusedSize(r *rand.Rand, sizes []int64, size int64) (int64, error) {
	s := size + pick(r, 1+r.Int64N(5), -1-r.Int64N(5))
	if s <= 0 || slices.Contains(sizes, s) {
		return 0, errNoop
	}
	return s, nil
}

// editCheckpoint sets one column of a random checkpoint to what edit returns.
func editCheckpoint(column string, edit func(r *rand.Rand, c *checkpointRow) (old, new any, err error)) func(*rand.Rand, *rawDB) (change, error) {
	return func(r *rand.Rand, db *rawDB) (change, error) {
		c, _, err := randomCheckpoint(r, db)
		if err != nil {
			return change{}, err
		}
		old, nv, err := edit(r, c)
		if err != nil {
			return change{}, err
		}
		if err := exec1(db, `UPDATE log_checkpoints SET "`+column+`" = ? WHERE log = 'acme.lending' AND size = ?`, nv, c.size); err != nil {
			return change{}, err
		}
		return change{fmt.Sprintf("checkpoint %d: %s %s → %s", c.size, column, show(old), show(nv)), checkpointName(c.size)}, nil
	}
}

func checkpointTampers() []tamper {
	return []tamper{
		{"checkpoints.root", editCheckpoint("root", func(r *rand.Rand, c *checkpointRow) (any, any, error) {
			return c.root, flipByte(r, c.root), nil
		})},
		{"checkpoints.note.text", editCheckpoint("note", func(r *rand.Rand, c *checkpointRow) (any, any, error) {
			n, err := replaceChar(r, c.note, 0, strings.Index(c.note, "\n\n"), alnum)
			return c.note, n, err
		})},
		{"checkpoints.note.signature", editCheckpoint("note", func(r *rand.Rand, c *checkpointRow) (any, any, error) {
			sig := strings.LastIndexByte(c.note, ' ') + 1
			end := len(strings.TrimRight(strings.TrimSuffix(c.note, "\n"), "="))
			n, err := replaceChar(r, c.note, sig, end, alnum+"+/")
			return c.note, n, err
		})},
		{"checkpoints.size", func(r *rand.Rand, db *rawDB) (change, error) {
			c, sizes, err := randomCheckpoint(r, db)
			if err != nil {
				return change{}, err
			}
			s, err := unusedSize(r, sizes, c.size)
			if err != nil {
				return change{}, err
			}
			return change{fmt.Sprintf("checkpoint %d: size changed to %d", c.size, s), checkpointName(s)},
				exec1(db, `UPDATE log_checkpoints SET size = ? WHERE log = 'acme.lending' AND size = ?`, s, c.size)
		}},
		// checkpoints.at is not a tamper: when a checkpoint was made is kept
		// beside it, unsigned (C2SP tlog-checkpoint has no time line).
		{"checkpoints.log", func(r *rand.Rand, db *rawDB) (change, error) {
			c, _, err := randomCheckpoint(r, db)
			if err != nil {
				return change{}, err
			}
			var taken int
			if err := db.QueryRow(`SELECT COUNT(*) FROM log_checkpoints WHERE log = '_installation' AND size = ?`, c.size).Scan(&taken); err != nil || taken > 0 {
				return change{}, errNoop
			}
			return change{fmt.Sprintf("checkpoint %d: moved to the installation log", c.size), fmt.Sprintf("checkpoint _installation/%d:", c.size)},
				exec1(db, `UPDATE log_checkpoints SET log = '_installation' WHERE log = 'acme.lending' AND size = ?`, c.size)
		}},
		{"checkpoints.range", editCheckpoint("range", func(r *rand.Rand, c *checkpointRow) (any, any, error) {
			if len(c.rng) == 0 { // only the latest keeps one: give another one that is wrong
				return c.rng, flipByte(r, make([]byte, 32)), nil
			}
			return c.rng, flipByte(r, c.rng), nil
		})},
		{"checkpoints.range.latest.drop", func(r *rand.Rand, db *rawDB) (change, error) {
			sizes, err := sizesOf(db)
			if err != nil {
				return change{}, err
			}
			size := sizes[len(sizes)-1]
			return change{fmt.Sprintf("checkpoint %d, the latest: its range emptied", size), checkpointName(size) + " the latest checkpoint has no compact range"},
				exec1(db, `UPDATE log_checkpoints SET range = zeroblob(0) WHERE log = 'acme.lending' AND size = ?`, size)
		}},
		// A checkpoint between others can be deleted unseen by the store
		// alone (C2SP checkpoints carry no link to the previous one; the
		// tree and the latest checkpoint still verify): what the
		// installation log recorded of it, and witnesses, keep it.
		{"checkpoints.delete.sealed", func(r *rand.Rand, db *rawDB) (change, error) {
			size, err := sealedSize(db)
			if err != nil {
				return change{}, err
			}
			return change{fmt.Sprintf("checkpoint %d, recorded in the installation log: deleted", size), "records checkpoint " + strconv.FormatInt(size, 10) + " of log acme.lending"},
				exec1(db, `DELETE FROM log_checkpoints WHERE log = 'acme.lending' AND size = ?`, size)
		}},
		{"checkpoints.delete.latest", func(r *rand.Rand, db *rawDB) (change, error) {
			sizes, err := sizesOf(db)
			if err != nil {
				return change{}, err
			}
			last := sizes[len(sizes)-1]
			return change{fmt.Sprintf("checkpoint %d, the latest: deleted", last), fmt.Sprintf("log has %d leaves", last)},
				exec1(db, `DELETE FROM log_checkpoints WHERE log = 'acme.lending' AND size = ?`, last)
		}},
		{"checkpoints.insert.copy", func(r *rand.Rand, db *rawDB) (change, error) {
			c, sizes, err := randomCheckpoint(r, db)
			if err != nil {
				return change{}, err
			}
			s, err := unusedSize(r, sizes, c.size)
			if err != nil {
				return change{}, err
			}
			return change{fmt.Sprintf("checkpoint %d: inserted, a copy of checkpoint %d", s, c.size), checkpointName(s)},
				exec1(db, `INSERT INTO log_checkpoints (log, size, at, root, note, range) VALUES ('acme.lending', ?, ?, ?, ?, ?)`, s, c.at, c.root, c.note, append([]byte{}, c.rng...)) // an empty range stays a blob
		}},
	}
}

// sealedSize returns the size of the domain log's checkpoint that the
// installation log records.
func sealedSize(db *rawDB) (int64, error) {
	var record []byte
	if err := db.QueryRow(`SELECT record FROM log_leaves WHERE log = '_installation' AND action = 'log.checkpoint' ORDER BY idx DESC LIMIT 1`).Scan(&record); err != nil {
		return 0, err
	}
	l, err := probity.ParseRecord(record)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(l.Ref, 10, 64)
}
