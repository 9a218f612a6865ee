package audit

import (
	"sync"

	"github.com/transparency-dev/merkle/compact"
)

// tileChunk is how many leaves the verifier reads with one query: between
// two, with no query open, it compares the tiles the leaves made so far
// with the stored ones and forgets them, so that it holds a chunk's tiles
// at most (512 KiB of hashes, and the few the checker lags behind). The
// tests lower it, so that their small logs are read in several chunks.
var tileChunk uint64 = releaseTileChunk

const releaseTileChunk = 64 * TileWidth

// tileCheck is CheckTiles done in the verifier's one pass over the leaves,
// rather than in a second read of every leaf: the tree's checker makes the
// tiles as the tree grows (visit), the reader compares the full ones with
// the stored tiles between its queries (compare). Its problems are kept
// aside: they are reported only if the log's leaves showed none, since of a
// log whose leaves are wrong already the tiles say nothing more.
type tileCheck struct {
	building map[compact.NodeID][]byte // the checker's; partial tiles

	mu   sync.Mutex
	full map[compact.NodeID][]byte // full tiles, awaiting the reader

	// The reader's.
	problems []string // at most MaxProblems
	count    int
}

func newTileCheck() *tileCheck {
	return &tileCheck{building: map[compact.NodeID][]byte{}, full: map[compact.NodeID][]byte{}}
}

// visit keeps each node of a tile's bottom level (the hashes a stored tile
// holds) and hands a tile over once full. The checker calls it for each
// node the tree makes.
func (t *tileCheck) visit(id compact.NodeID, h []byte) {
	if id.Level%TileHeight != 0 {
		return
	}
	key := compact.NewNodeID(id.Level/TileHeight, id.Index/TileWidth)
	b, ok := t.building[key]
	if !ok {
		b = make([]byte, 0, tileBytes)
	}
	if b = append(b, h...); len(b) < tileBytes {
		t.building[key] = b
		return
	}
	delete(t.building, key)
	t.mu.Lock()
	t.full[key] = b
	t.mu.Unlock()
}

// compare compares the full tiles handed over so far with the stored ones.
// The reader calls it with no query open.
func (v *verifier) compareTiles() error {
	t := v.pass.tiles
	t.mu.Lock()
	full := t.full
	t.full = map[compact.NodeID][]byte{}
	t.mu.Unlock()
	if len(full) == 0 {
		return nil
	}
	return compareTiles(v.tx, v.log, full, func(p string) {
		if t.count++; len(t.problems) < MaxProblems {
			t.problems = append(t.problems, p)
		}
	})
}

// reportTiles reports the tiles' problems, once the log's leaves are known
// to be sound.
func (v *verifier) reportTiles() {
	t := v.pass.tiles
	for _, p := range t.problems {
		v.report.problem("%s", p)
	}
	v.report.Count += t.count - len(t.problems)
}
