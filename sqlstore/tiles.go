package sqlstore

import (
	"github.com/probity-dev/probity"
)

// The tile queries, prepared once per pool: every proof and tile reads a
// few of them.
const (
	queryPublicLeaves = `SELECT idx, action, data, hash FROM log_leaves WHERE log = ? AND idx >= ? AND idx < ? ORDER BY idx`
	queryTiles        = `SELECT idx, hashes FROM log_tiles WHERE log = ? AND level = ? AND idx >= ? AND idx < ? ORDER BY idx`
	queryTileRoots    = `SELECT idx, root FROM log_tiles WHERE log = ? AND level = ? AND idx >= ? AND idx < ? ORDER BY idx`
	queryInsertTile   = `INSERT INTO log_tiles (log, level, idx, root, hashes) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
)

// tileBytes is the size of a full tile: 256 hashes of 32 bytes.
const tileBytes = 256 * 32

// PublicLeaves calls fn with the public data (in canonical form) and
// stored hash of each leaf of a log in [start, end), in index order.
func (tx *Tx) PublicLeaves(log string, start, end uint64, fn func(index uint64, data, hash []byte) error) error {
	s, err := tx.stmt(queryPublicLeaves)
	if err != nil {
		return err
	}
	rows, err := s.QueryContext(tx.ctx, log, int64(start), int64(end))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		var action string
		var data, hash []byte
		if err := rows.Scan(&idx, &action, &data, &hash); err != nil {
			return err
		}
		if d, err := PublicData(log, idx, action, data); err == nil {
			data = d // else the bytes as stored, which no hash will match
		}
		if err := fn(uint64(idx), data, hash); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Tiles calls fn with each stored full tile of a log at level with index
// in [start, end).
func (tx *Tx) Tiles(log string, level, start, end uint64, fn func(index uint64, hashes []byte) error) error {
	return tx.scanPairs(func(idx uint64, hashes, _ []byte) error { return fn(idx, hashes) }, queryTiles, log, int64(level), int64(start), int64(end))
}

// TileRoots calls fn with the root of each stored full tile of a log at
// level with index in [start, end).
func (tx *Tx) TileRoots(log string, level, start, end uint64, fn func(index uint64, root []byte) error) error {
	return tx.scanPairs(func(idx uint64, root, _ []byte) error { return fn(idx, root) }, queryTileRoots, log, int64(level), int64(start), int64(end))
}

// scanPairs runs a prepared query whose rows are an index and one or two
// byte strings, calling fn for each.
func (tx *Tx) scanPairs(fn func(index uint64, a, b []byte) error, query string, args ...any) error {
	s, err := tx.stmt(query)
	if err != nil {
		return err
	}
	rows, err := s.QueryContext(tx.ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	for rows.Next() {
		var idx int64
		var a, b []byte
		dest := []any{&idx, &a, &b}[:len(cols)]
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if err := fn(uint64(idx), a, b); err != nil {
			return err
		}
	}
	return rows.Err()
}

// InsertTile stores a full tile and its root; a tile stored already stays.
func (tx *Tx) InsertTile(log string, level, index uint64, hashes, root []byte) error {
	if len(hashes) != tileBytes || len(root) != 32 {
		return probity.Errorf(probity.EINVALID, "tile %d/%d of log %s: %d bytes of hashes and a root of %d; want %d and 32", level, index, log, len(hashes), len(root), tileBytes)
	}
	s, err := tx.stmt(queryInsertTile)
	if err != nil {
		return err
	}
	_, err = s.ExecContext(tx.ctx, log, int64(level), int64(index), root, hashes)
	return err
}
