package sqlstore

import (
	"bytes"
	"database/sql"
	"errors"
	"math"

	"github.com/probity-dev/probity"
)

// A log's checkpoints: the signed notes, each with its size, root and,
// for the latest only, the compact range the next write extends.

// DropCheckpointRange empties the compact range of a checkpoint that is no
// longer the latest.
func (tx *Tx) DropCheckpointRange(log string, size uint64) error {
	s, err := tx.stmt(queryDropRange)
	if err != nil {
		return err
	}
	_, err = s.ExecContext(tx.ctx, []byte{}, log, int64(size))
	return err
}

// DeleteCheckpoint deletes a checkpoint that a later one supersedes.
func (tx *Tx) DeleteCheckpoint(log string, size uint64) error {
	s, err := tx.stmt(queryDeleteCheckpoint)
	if err != nil {
		return err
	}
	_, err = s.ExecContext(tx.ctx, log, int64(size))
	return err
}

// InsertCheckpoint stores a checkpoint.
func (tx *Tx) InsertCheckpoint(c *probity.Checkpoint) error {
	s, err := tx.stmt(queryInsertCheckpoint)
	if err != nil {
		return err
	}
	res, err := s.ExecContext(tx.ctx, c.Log, int64(c.Size), c.At.UnixNano(), c.Root, c.Note, bytes.Join(c.Range, nil))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return probity.Errorf(probity.ECONFLICT, "log %s has a checkpoint of size %d", c.Log, c.Size)
	}
	return nil
}

func scanCheckpoint(row scanner) (*probity.Checkpoint, error) {
	c := &probity.Checkpoint{}
	var size, at int64
	var rng []byte
	if err := row.Scan(&c.Log, &size, &at, &c.Root, &c.Note, &rng); err != nil {
		return nil, err
	}
	if len(rng)%32 != 0 {
		return nil, probity.Errorf(probity.EINVALID, "checkpoint %d of log %s: compact range of %d bytes", size, c.Log, len(rng))
	}
	for i := 0; i < len(rng); i += 32 {
		c.Range = append(c.Range, rng[i:i+32])
	}
	c.Size, c.At = uint64(size), fromNanos(at)
	return c, nil
}

// LatestCheckpoint returns a log's checkpoint of the largest size, or nil.
func (tx *Tx) LatestCheckpoint(log string) (*probity.Checkpoint, error) {
	s, err := tx.stmt(queryLatestCheckpoint)
	if err != nil {
		return nil, err
	}
	c, err := scanCheckpoint(s.QueryRowContext(tx.ctx, log))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return c, err
}

// CheckpointAt returns a log's checkpoint of one size.
func (tx *Tx) CheckpointAt(log string, size uint64) (*probity.Checkpoint, error) {
	c, err := scanCheckpoint(tx.queryRow(`SELECT `+checkpointColumns+` FROM log_checkpoints WHERE log = ? AND size = ?`, log, int64(size)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, probity.Errorf(probity.ENOTFOUND, "log %s has no checkpoint of size %d", log, size)
	}
	return c, err
}

// Checkpoints calls fn for every checkpoint of a log in size order.
func (tx *Tx) Checkpoints(log string, fn func(*probity.Checkpoint) error) error {
	return tx.LogCheckpoints(log, 0, math.MaxInt64, fn)
}
