package sqlstore

import (
	"database/sql"
	"errors"
	"strings"

	"github.com/probity-dev/probity"
)

// Witnesses' cosignatures of checkpoints, in log_cosignatures (primary key
// log, size, witness: the queries below walk it from the largest size down).
const (
	queryCosignatures      = `SELECT witness, signature, at FROM log_cosignatures WHERE log = ? AND size = ? ORDER BY witness`
	queryCosignedSize      = `SELECT size FROM log_cosignatures WHERE log = ? AND witness = ? ORDER BY size DESC LIMIT 1`
	queryInsertCosignature = `INSERT INTO log_cosignatures (log, size, witness, signature, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
)

// Cosignatures returns the cosignatures of a log's checkpoint of size, in
// witness name order.
func (tx *Tx) Cosignatures(log string, size uint64) ([]probity.Cosignature, error) {
	s, err := tx.stmt(queryCosignatures)
	if err != nil {
		return nil, err
	}
	rows, err := s.QueryContext(tx.ctx, log, int64(size))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []probity.Cosignature
	for rows.Next() {
		c := probity.Cosignature{Log: log, Size: size}
		var at int64
		if err := rows.Scan(&c.Witness, &c.Signature, &at); err != nil {
			return nil, err
		}
		c.At = fromNanos(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// CosignedSize returns the largest size of a log the witness cosigned, or 0.
func (tx *Tx) CosignedSize(log, witness string) (uint64, error) {
	s, err := tx.stmt(queryCosignedSize)
	if err != nil {
		return 0, err
	}
	var size int64
	err = s.QueryRowContext(tx.ctx, log, witness).Scan(&size)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return uint64(size), err
}

// QuorumSizes returns the largest sizes of a log that at least k of the
// named witnesses cosigned, largest first, at most limit.
func (tx *Tx) QuorumSizes(log string, witnesses []string, k, limit int) ([]uint64, error) {
	if len(witnesses) == 0 || k > len(witnesses) || limit < 1 {
		return nil, nil
	}
	args := []any{log}
	for _, w := range witnesses {
		args = append(args, w)
	}
	args = append(args, max(k, 1), limit)
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(witnesses)), ", ")
	rows, err := tx.query(`SELECT size FROM log_cosignatures WHERE log = ? AND witness IN (`+marks+`)
		GROUP BY size HAVING COUNT(*) >= ? ORDER BY size DESC LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var sizes []uint64
	for rows.Next() {
		var size int64
		if err := rows.Scan(&size); err != nil {
			return nil, err
		}
		sizes = append(sizes, uint64(size))
	}
	return sizes, rows.Err()
}

// InsertCosignature stores a cosignature; a second one of the same witness
// and checkpoint is dropped.
func (tx *Tx) InsertCosignature(c *probity.Cosignature) error {
	s, err := tx.stmt(queryInsertCosignature)
	if err != nil {
		return err
	}
	_, err = s.ExecContext(tx.ctx, c.Log, int64(c.Size), c.Witness, c.Signature, tx.now.UnixNano())
	return err
}
