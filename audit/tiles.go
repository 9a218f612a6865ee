package audit

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/probity-dev/probity"
	"github.com/transparency-dev/merkle/compact"
)

// The shape of C2SP tlog-tiles: a tile is 256 consecutive hashes of one
// level of the tree, the root of a subtree of height 8.
const (
	TileHeight = 8
	TileWidth  = 1 << TileHeight
	// tileBytes is the size of a full tile.
	tileBytes = TileWidth * 32
	// MaxEntrySize is the largest entry an entry bundle can hold (its
	// length is a big-endian uint16).
	MaxEntrySize = 1<<16 - 1
)

// TileWidthAt returns how many hashes the tile at level and index has in
// a tree of size: TileWidth for a full tile, 1 to 255 for the partial one
// at the right edge, 0 for a tile beyond the tree (which must not be
// served). Entry bundles have the width of the level-0 tile.
func TileWidthAt(level, index, size uint64) int {
	if level*TileHeight >= 64 {
		return 0
	}
	count := size >> (level * TileHeight) // hashes of the tile's level
	switch full := count / TileWidth; {
	case index < full:
		return TileWidth
	case index == full:
		return int(count % TileWidth)
	}
	return 0
}

// TilePath returns the path of a hash tile under a log's prefix,
// tile/L/N[.p/W]; width TileWidth (or 0) is a full tile.
func TilePath(level, index uint64, width int) string {
	return "tile/" + strconv.FormatUint(level, 10) + "/" + tileIndexPath(index, width)
}

// EntriesPath returns the path of an entry bundle under a log's prefix,
// tile/entries/N[.p/W]; width TileWidth (or 0) is a full bundle.
func EntriesPath(index uint64, width int) string {
	return "tile/entries/" + tileIndexPath(index, width)
}

// tileIndexPath encodes N in 3-digit path elements, all but the last
// beginning with x (1234067 is x001/x234/067), and a partial width.
func tileIndexPath(n uint64, width int) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n /= 1000; n > 0; n /= 1000 {
		s = fmt.Sprintf("x%03d/%s", n%1000, s)
	}
	if width > 0 && width < TileWidth {
		s += ".p/" + strconv.Itoa(width)
	}
	return s
}

// ParseTileLevel reads the L of a tile path: a decimal from 0 to 63
// without leading zeros.
func ParseTileLevel(s string) (uint64, error) {
	l, err := strconv.ParseUint(s, 10, 64)
	if err != nil || l > 63 || strconv.FormatUint(l, 10) != s {
		return 0, fmt.Errorf("tile level %q: want a decimal from 0 to 63 without leading zeros", s)
	}
	return l, nil
}

// ParseTileIndex reads the N[.p/W] of a tile path in the one form
// TilePath writes (x001/x234/067, x001/x234/067.p/8), so that each tile
// has one URL; width is TileWidth for a full tile.
func ParseTileIndex(s string) (index uint64, width int, err error) {
	bad := func(why string) (uint64, int, error) {
		return 0, 0, fmt.Errorf("tile index %q: %s; want 3-digit elements, all but the last starting with x, and .p/W (1 to 255) for a partial tile, e.g. x001/x234/067.p/8", s, why)
	}
	width = TileWidth
	if n, w, ok := strings.Cut(s, ".p/"); ok {
		v, err := strconv.Atoi(w)
		if err != nil || v < 1 || v >= TileWidth || strconv.Itoa(v) != w {
			return bad("the width is not 1 to 255")
		}
		s, width = n, v
	}
	parts := strings.Split(s, "/")
	if len(parts) > 7 {
		return bad("too many elements")
	}
	for i, p := range parts {
		if i < len(parts)-1 {
			if !strings.HasPrefix(p, "x") {
				return bad("an element but the last lacks its x")
			}
			p = p[1:]
		}
		if len(p) != 3 || strings.Trim(p, "0123456789") != "" {
			return bad("an element is not 3 digits")
		}
		d, _ := strconv.ParseUint(p, 10, 64)
		if i == 0 && d == 0 && len(parts) > 1 {
			return bad("leading zero elements")
		}
		if index > (1<<64-1-d)/1000 {
			return bad("the index overflows")
		}
		index = index*1000 + d
	}
	return index, width, nil
}

// AppendBundleEntry appends one entry to an entry bundle: its length as a
// big-endian uint16, then its bytes.
func AppendBundleEntry(bundle, entry []byte) ([]byte, error) {
	if len(entry) > MaxEntrySize {
		return nil, fmt.Errorf("an entry of %d bytes does not fit an entry bundle (at most %d)", len(entry), MaxEntrySize)
	}
	bundle = binary.BigEndian.AppendUint16(bundle, uint16(len(entry)))
	return append(bundle, entry...), nil
}

// ParseEntryBundle splits an entry bundle into its entries.
func ParseEntryBundle(bundle []byte) ([][]byte, error) {
	var entries [][]byte
	for i := 0; i < len(bundle); {
		if i+2 > len(bundle) {
			return nil, fmt.Errorf("entry %d: a length prefix cut short at byte %d of %d", len(entries), i, len(bundle))
		}
		n := int(binary.BigEndian.Uint16(bundle[i:]))
		if i+2+n > len(bundle) {
			return nil, fmt.Errorf("entry %d: %d bytes announced at byte %d, but the bundle has %d", len(entries), n, i, len(bundle))
		}
		entries = append(entries, bundle[i+2:i+2+n])
		i += 2 + n
	}
	return entries, nil
}

// TileRoot returns the Merkle tree hash of a full tile's 256 hashes: the
// tile's hash in the level above.
func TileRoot(tile []byte) ([]byte, error) {
	if len(tile) != tileBytes {
		return nil, fmt.Errorf("a full tile has %d bytes, not %d", tileBytes, len(tile))
	}
	return perfectRoot(tile), nil
}

// perfectRoot returns the root of the perfect subtree whose leaves (or
// lower nodes) are hashes, concatenated; their number is a power of two.
func perfectRoot(hashes []byte) []byte {
	level := append([]byte(nil), hashes...)
	for n := len(level) / 32; n > 1; n /= 2 {
		for i := 0; i < n/2; i++ {
			copy(level[i*32:], hasher.HashChildren(level[2*i*32:(2*i+1)*32], level[(2*i+1)*32:(2*i+2)*32]))
		}
	}
	return level[:32:32]
}

// tileReader reads a log's tree as of a size from a store transaction:
// stored full tiles where there are, and for the partial tiles at its right
// edge (or tiles a store holds no copy of) the leaf hashes and the roots of
// the stored tiles below. A proof reads a few rows however large the log.
type tileReader struct {
	tx   probity.ReadTx
	log  string
	size uint64
	read map[compact.NodeID][]byte // tiles read for this tree, by tile level and index
}

func newTileReader(tx probity.ReadTx, log string, size uint64) *tileReader {
	return &tileReader{tx: tx, log: log, size: size, read: map[compact.NodeID][]byte{}}
}

// node returns the hash of a perfect subtree of the tree.
func (r *tileReader) node(id compact.NodeID) ([]byte, error) {
	if id.Level >= 64 || id.Index >= r.size>>id.Level {
		return nil, fmt.Errorf("node %d/%d is not in a tree of %d leaves", id.Level, id.Index, r.size)
	}
	level, height := uint64(id.Level/TileHeight), id.Level%TileHeight
	first := id.Index << height // the node's first hash in its tile's level
	tile, err := r.tile(level, first/TileWidth)
	if err != nil {
		return nil, err
	}
	off, n := first%TileWidth, uint64(1)<<height
	if (off+n)*32 > uint64(len(tile)) {
		return nil, fmt.Errorf("tile %d/%d of log %s has %d hashes, too few for node %d/%d", level, first/TileWidth, r.log, len(tile)/32, id.Level, id.Index)
	}
	return perfectRoot(tile[off*32 : (off+n)*32]), nil
}

// tile returns the hashes of a tile (as wide as the tree makes it),
// keeping it for the tree's next proofs.
func (r *tileReader) tile(level, index uint64) ([]byte, error) {
	key := compact.NewNodeID(uint(level), index)
	if t, ok := r.read[key]; ok {
		return t, nil
	}
	t, err := r.load(level, index)
	if err != nil {
		return nil, err
	}
	r.read[key] = t
	return t, nil
}

// load reads a tile: stored if it is full and stored, built otherwise.
func (r *tileReader) load(level, index uint64) ([]byte, error) {
	w := TileWidthAt(level, index, r.size)
	if w == 0 {
		return nil, probity.Errorf(probity.ENOTFOUND, "tile %d/%d is beyond the %d leaves of log %s", level, index, r.size, r.log)
	}
	if w == TileWidth {
		var stored []byte
		err := r.tx.Tiles(r.log, level, index, index+1, func(_ uint64, h []byte) error {
			stored = h
			return nil
		})
		if err != nil {
			return nil, err
		}
		if stored != nil {
			if len(stored) != tileBytes {
				return nil, probity.Errorf(probity.EINTERNAL, "stored tile %d/%d of log %s has %d bytes, not %d: run probity audit verify", level, index, r.log, len(stored), tileBytes)
			}
			return stored, nil
		}
	}
	return r.build(level, index, w)
}

// build makes a tile of width w from what is below it: leaf hashes at
// level 0, the roots of the full tiles of the level below otherwise.
func (r *tileReader) build(level, index uint64, w int) ([]byte, error) {
	first, end := index*TileWidth, index*TileWidth+uint64(w)
	if level == 0 {
		return leafHashes(r.tx, r.log, first, end)
	}
	roots := make([][]byte, w)
	err := r.tx.TileRoots(r.log, level-1, first, end, func(i uint64, root []byte) error {
		roots[i-first] = root
		return nil
	})
	if err != nil {
		return nil, err
	}
	t := make([]byte, 0, w*32)
	for k, root := range roots {
		if len(root) != 32 { // not stored: build it from below
			below, err := r.load(level-1, first+uint64(k))
			if err != nil {
				return nil, err
			}
			root = perfectRoot(below)
		}
		t = append(t, root...)
	}
	return t, nil
}

// leafHashes returns the stored hashes of a log's leaves in [start, end),
// concatenated, or an error naming the first one missing.
func leafHashes(tx probity.ReadTx, log string, start, end uint64) ([]byte, error) {
	t := make([]byte, 0, (end-start)*32)
	next := start
	err := tx.PublicLeaves(log, start, end, func(i uint64, _, hash []byte) error {
		if i != next || len(hash) != 32 {
			return probity.Errorf(probity.EINTERNAL, "log %s: leaf %d is missing or its hash is not 32 bytes: run probity audit verify", log, next)
		}
		t = append(t, hash...)
		next++
		return nil
	})
	if err == nil && next != end {
		err = probity.Errorf(probity.EINTERNAL, "log %s: leaf %d is missing: run probity audit verify", log, next)
	}
	return t, err
}

// EntryBundle returns the entry bundle of index, width entries wide, of a
// log: the public leaves' data, each length-prefixed. The caller checks
// that the log's latest checkpoint covers them.
func EntryBundle(tx probity.ReadTx, log string, index uint64, width int) ([]byte, error) {
	first := index * TileWidth
	var bundle []byte
	next := first
	err := tx.PublicLeaves(log, first, first+uint64(width), func(i uint64, data, _ []byte) error {
		if i != next {
			return probity.Errorf(probity.EINTERNAL, "log %s: leaf %d is missing: run probity audit verify", log, next)
		}
		next++
		var err error
		bundle, err = AppendBundleEntry(bundle, data)
		return err
	})
	if err == nil && next != first+uint64(width) {
		err = probity.Errorf(probity.EINTERNAL, "log %s: leaf %d is missing: run probity audit verify", log, next)
	}
	return bundle, err
}

// tileRoots holds the roots of the tiles an append completes, as the
// compact range that extends the checkpoint makes them: the nodes at
// levels 8, 16, ... (the root of tile L/N is node 8(L+1)/N). Storing tiles
// then hashes nothing more.
type tileRoots map[compact.NodeID][]byte

func (r tileRoots) visit(id compact.NodeID, h []byte) {
	if id.Level > 0 && id.Level%TileHeight == 0 {
		r[id] = h
	}
}

// root returns the root of a full tile: made by the append, or hashed.
func (r tileRoots) root(level, index uint64, tile []byte) []byte {
	if h, ok := r[compact.NewNodeID(uint(level+1)*TileHeight, index)]; ok && len(h) == 32 {
		return h
	}
	return perfectRoot(tile)
}

// storeTiles stores, in the transaction that appends them, the full tiles
// that leaf hashes appended to a log of oldSize leaves complete, at every
// level, with their roots from the append's compact range. Most appends
// complete none and read nothing; one that completes a level-0 tile reads
// the at most 255 hashes before it. A level whose earlier tiles are not
// stored (a store older than its tiles) is left to the readers, which
// build what is missing.
func storeTiles(tx probity.Tx, log string, oldSize uint64, added [][]byte, made tileRoots) error {
	newSize := oldSize + uint64(len(added))
	a, b := oldSize/TileWidth, newSize/TileWidth // level-0 tiles [a, b) are completed
	if a == b {
		return nil
	}
	buf, err := leafHashes(tx, log, a*TileWidth, oldSize)
	if _, missing := errors.AsType[*probity.Error](err); missing {
		return nil // a leaf missing: audit verify reports it, readers refuse
	} else if err != nil {
		return err
	}
	roots := make([][]byte, 0, b-a)
	for t := a; t < b; t++ {
		for len(buf) < tileBytes {
			buf = append(buf, added[0]...)
			added = added[1:]
		}
		root := made.root(0, t, buf)
		if err := tx.InsertTile(log, 0, t, buf, root); err != nil {
			return err
		}
		roots, buf = append(roots, root), make([]byte, 0, tileBytes)
	}
	for level := uint64(1); a/TileWidth < b/TileWidth; level++ {
		na, nb := a/TileWidth, b/TileWidth // tiles [na, nb) of level are completed
		all := make([][]byte, 0, b-na*TileWidth)
		err := tx.TileRoots(log, level-1, na*TileWidth, a, func(i uint64, root []byte) error {
			if i == na*TileWidth+uint64(len(all)) {
				all = append(all, root)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if uint64(len(all)) != a-na*TileWidth {
			return nil // earlier tiles not stored
		}
		all = append(all, roots...)
		roots = roots[:0:0]
		for t := na; t < nb; t++ {
			tile := make([]byte, 0, tileBytes)
			for _, h := range all[(t-na)*TileWidth : (t-na+1)*TileWidth] {
				tile = append(tile, h...)
			}
			root := made.root(level, t, tile)
			if err := tx.InsertTile(log, level, t, tile, root); err != nil {
				return err
			}
			roots = append(roots, root)
		}
		a, b = na, nb
	}
	return nil
}

// Tile returns the first width hashes of the tile at level and index of
// the tree, concatenated (C2SP tlog-tiles); ENOTFOUND if the tree's size
// does not give that tile that many.
func (t *Tree) Tile(level, index uint64, width int) ([]byte, error) {
	if width < 1 || width > TileWidth || TileWidthAt(level, index, t.Size()) < width {
		return nil, probity.Errorf(probity.ENOTFOUND, "%s is beyond the %d leaves of the tree", TilePath(level, index, width), t.Size())
	}
	if t.tiles != nil {
		h, err := t.tiles.tile(level, index)
		if err != nil {
			return nil, err
		}
		return append([]byte(nil), h[:width*32]...), nil
	}
	out := make([]byte, 0, width*32)
	for _, h := range t.levels[level*TileHeight][index*TileWidth : index*TileWidth+uint64(width)] {
		out = append(out, h[:]...)
	}
	return out, nil
}

// CheckTiles recomputes a log's tiles from its leaf hashes up to size and
// calls problem for each stored tile (or root) that differs from what the
// leaves give: the tiles are a copy of what the leaves make, and a changed
// copy serves tiles and proofs that no checkpoint verifies. A full tile
// not stored is no problem (readers build it). It reads the leaves in
// chunks, never with a query open, and keeps one chunk in memory.
func CheckTiles(tx probity.ReadTx, log string, size uint64, problem func(string)) error {
	const chunk = 64 * TileWidth // leaves read at once
	made := map[compact.NodeID][]byte{}
	rng := rangeFactory.NewEmptyRange(0)
	visit := func(id compact.NodeID, h []byte) {
		if id.Level%TileHeight == 0 {
			key := compact.NewNodeID(id.Level/TileHeight, id.Index/TileWidth)
			made[key] = append(made[key], h...)
		}
	}
	for start := uint64(0); start < size; start += chunk {
		hashes, err := leafHashes(tx, log, start, min(start+chunk, size))
		if err != nil {
			return err
		}
		for i := 0; i < len(hashes); i += 32 {
			if err := rng.Append(hashes[i:i+32], visit); err != nil {
				return err
			}
		}
		if err := compareTiles(tx, log, made, problem); err != nil {
			return err
		}
	}
	return nil
}

// compareTiles compares the full tiles made so far with the stored ones,
// then forgets them.
func compareTiles(tx probity.ReadTx, log string, made map[compact.NodeID][]byte, problem func(string)) error {
	for key, want := range made {
		if len(want) < tileBytes {
			continue // partial: stored tiles are full
		}
		level, index := uint64(key.Level), key.Index
		root := perfectRoot(want)
		var stored []byte
		err := tx.Tiles(log, level, index, index+1, func(_ uint64, h []byte) error {
			stored = h
			return nil
		})
		if err == nil && stored != nil {
			err = tx.TileRoots(log, level, index, index+1, func(_ uint64, r []byte) error {
				if !bytes.Equal(r, root) {
					problem(fmt.Sprintf("log %s: the stored root of tile %s is %x; its hashes give %x", log, TilePath(level, index, TileWidth), r, root))
				}
				return nil
			})
		}
		if err != nil {
			return err
		}
		if stored != nil && !bytes.Equal(stored, want) {
			problem(fmt.Sprintf("log %s: stored tile %s differs from what its leaves give", log, TilePath(level, index, TileWidth)))
		}
		delete(made, key)
	}
	return nil
}
