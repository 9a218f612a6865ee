package bureau

import (
	"context"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// HashTile returns the first width hashes (TileWidth for a full tile) of
// the tile at level and index of a log's tree as of its latest checkpoint
// (C2SP tlog-tiles), for anyone who follows the log. It returns ENOTFOUND
// for an unknown log and for a tile the latest checkpoint does not cover:
// no tile ever shows a leaf that is not sealed yet.
func (b *Bureau) HashTile(ctx context.Context, log string, level, index uint64, width int) ([]byte, error) {
	var tile []byte
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		if err := knownLog(tx, log); err != nil {
			return err
		}
		tree, err := b.log.Tree(tx, log)
		if err != nil {
			return err
		}
		tile, err = tree.Tile(level, index, width)
		return err
	})
	return tile, err
}

// EntryBundle returns the bundle of the first width leaves (TileWidth for
// a full bundle) from index*TileWidth of a log: their public data, each
// length-prefixed (C2SP tlog-tiles). It returns ENOTFOUND for an unknown log
// and for leaves the latest checkpoint does not cover.
func (b *Bureau) EntryBundle(ctx context.Context, log string, index uint64, width int) ([]byte, error) {
	var bundle []byte
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		if err := knownLog(tx, log); err != nil {
			return err
		}
		cp, err := tx.LatestCheckpoint(log)
		if err != nil {
			return err
		}
		size := uint64(0)
		if cp != nil {
			size = cp.Size
		}
		if width < 1 || width > audit.TileWidth || audit.TileWidthAt(0, index, size) < width {
			return probity.Errorf(probity.ENOTFOUND, "entry bundle %s is beyond the %d leaves of log %s's latest checkpoint", audit.EntriesPath(index, width), size, log)
		}
		bundle, err = audit.EntryBundle(tx, log, index, width)
		return err
	})
	return bundle, err
}
