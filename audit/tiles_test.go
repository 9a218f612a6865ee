package audit_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/sqlstore"
	"github.com/probity-dev/probity/storetest"
)

func TestTilePath(t *testing.T) {
	for _, tc := range []struct {
		level, index uint64
		width        int
		want         string
	}{
		{0, 0, 256, "tile/0/000"},
		{0, 0, 0, "tile/0/000"},
		{0, 7, 1, "tile/0/007.p/1"},
		{1, 1000, 256, "tile/1/x001/000"},
		{2, 1234067, 8, "tile/2/x001/x234/067.p/8"},
		{63, 1<<64 - 1, 255, "tile/63/x018/x446/x744/x073/x709/x551/615.p/255"},
	} {
		if got := audit.TilePath(tc.level, tc.index, tc.width); got != tc.want {
			t.Errorf("TilePath(%d, %d, %d) = %q, want %q", tc.level, tc.index, tc.width, got, tc.want)
		}
		if got, want := audit.EntriesPath(tc.index, tc.width), "tile/entries/"+strings.SplitN(tc.want, "/", 3)[2]; got != want {
			t.Errorf("EntriesPath(%d, %d) = %q, want %q", tc.index, tc.width, got, want)
		}
		index, width, err := audit.ParseTileIndex(strings.SplitN(tc.want, "/", 3)[2])
		wantWidth := tc.width
		if wantWidth == 0 {
			wantWidth = 256
		}
		if err != nil || index != tc.index || width != wantWidth {
			t.Errorf("ParseTileIndex(%q) = %d, %d, %v; want %d, %d", tc.want, index, width, err, tc.index, wantWidth)
		}
	}
}

func TestParseTileIndex(t *testing.T) {
	for _, bad := range []string{
		"", "0", "00", "0000", "67", "x067", "067/", "/067", "001/067", "x001/67", "x000/067",
		"067.p/0", "067.p/256", "067.p/08", "067.p/", "067.p/-1", "067.p/1/2", "x01a/000", "+67",
		"x018/x446/x744/x073/x709/x551/616", "x001/x001/x001/x001/x001/x001/x001/001",
	} {
		if i, w, err := audit.ParseTileIndex(bad); err == nil {
			t.Errorf("ParseTileIndex(%q) = %d, %d; want an error", bad, i, w)
		}
	}
	for _, bad := range []string{"", "64", "01", "-1", "x", "1.0"} {
		if l, err := audit.ParseTileLevel(bad); err == nil {
			t.Errorf("ParseTileLevel(%q) = %d; want an error", bad, l)
		}
	}
}

// TestTileWidthAt follows the spec's examples: a tree of 70,000 leaves has
// 273 full level-0 tiles and one of 112, a full level-1 tile and one of 17,
// and a level-2 tile of 1; a tree of 256, a full level-0 tile and a level-1
// tile of 1.
func TestTileWidthAt(t *testing.T) {
	for _, tc := range []struct {
		level, index, size uint64
		want               int
	}{
		{0, 272, 70000, 256}, {0, 273, 70000, 112}, {0, 274, 70000, 0},
		{1, 0, 70000, 256}, {1, 1, 70000, 17}, {1, 2, 70000, 0},
		{2, 0, 70000, 1}, {3, 0, 70000, 0},
		{0, 0, 256, 256}, {0, 1, 256, 0}, {1, 0, 256, 1},
		{0, 0, 0, 0}, {0, 0, 1, 1}, {63, 0, 1<<64 - 1, 0}, {7, 0, 1<<64 - 1, 255}, {0, 1<<64 - 1, 1<<64 - 1, 0},
	} {
		if got := audit.TileWidthAt(tc.level, tc.index, tc.size); got != tc.want {
			t.Errorf("TileWidthAt(%d, %d, %d) = %d, want %d", tc.level, tc.index, tc.size, got, tc.want)
		}
	}
}

func TestEntryBundle(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		entries := [][]byte{[]byte("probity-leaf/2\t..."), {}, bytes.Repeat([]byte{7}, audit.MaxEntrySize)}
		var bundle []byte
		for _, e := range entries {
			var err error
			if bundle, err = audit.AppendBundleEntry(bundle, e); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := bundle[:2], []byte{0, byte(len(entries[0]))}; !bytes.Equal(got, want) {
			t.Fatalf("length prefix %x, want %x (big-endian uint16)", got, want)
		}
		got, err := audit.ParseEntryBundle(bundle)
		if err != nil || len(got) != len(entries) {
			t.Fatalf("ParseEntryBundle = %d entries, %v; want %d", len(got), err, len(entries))
		}
		for i := range entries {
			if !bytes.Equal(got[i], entries[i]) {
				t.Errorf("entry %d differs", i)
			}
		}
	})
	t.Run("ErrTooLarge", func(t *testing.T) {
		if _, err := audit.AppendBundleEntry(nil, make([]byte, audit.MaxEntrySize+1)); err == nil {
			t.Fatal("an entry of 65,536 bytes went into a bundle")
		}
	})
	t.Run("ErrTruncated", func(t *testing.T) {
		for _, bad := range [][]byte{{0}, {0, 3, 'a', 'b'}, {0, 1, 'a', 0}} {
			if _, err := audit.ParseEntryBundle(bad); err == nil {
				t.Errorf("ParseEntryBundle(%x) took a bundle cut short", bad)
			}
		}
	})
}

// TestTiledTree grows a log in appends of many sizes and checks, after
// each, that the tree read from the store's tiles gives the roots, proofs
// and tiles of the tree of the same leaves held in memory; that the store
// holds exactly the full tiles; and, with the tiles deleted, that the
// tree builds them from the leaves and still agrees.
func TestTiledTree(t *testing.T) {
	appends := []int{1, 254, 1, 1, 300, 511, 1, 1000}
	if !testing.Short() {
		appends = append(appends, 65536-2069+3, 200, 700) // past one level-1 tile: a level-2 tile
	}
	dir := t.TempDir()
	db, err := storetest.OpenDir(t, context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	signer, _, err := audit.LoadOrCreateSigner(dir)
	if err != nil {
		t.Fatal(err)
	}
	log := audit.NewLog(signer)
	var mem audit.Tree
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range appends {
		hashes := appendLeaves(t, db, log, "tiles", n)
		for _, h := range hashes {
			mem.Append(h)
		}
		checkTiledTree(t, db, log, "tiles", &mem, rng)
	}
	size := mem.Size()
	counts := tileCounts(t, dir, "tiles")
	for level, want := range []uint64{size / 256, size / 65536, size / 16777216} {
		if counts[level] != want {
			t.Errorf("%d leaves: %d full tiles stored at level %d, want %d", size, counts[level], level, want)
		}
	}

	raw := mustOpenRaw(t, dir)
	defer raw.Close()
	if _, err := raw.Exec(`DELETE FROM log_tiles WHERE (level = 0 AND idx % 3 = 1) OR level = 1`); err != nil {
		t.Fatal(err)
	}
	checkTiledTree(t, db, log, "tiles", &mem, rng)
	// The next tile completed above the gap is stored; the level above it
	// is left to the readers.
	for _, h := range appendLeaves(t, db, log, "tiles", 256) {
		mem.Append(h)
	}
	checkTiledTree(t, db, log, "tiles", &mem, rng)
}

// appendLeaves appends n leaves to a domain's log in one transaction and
// returns their hashes.
func appendLeaves(tb testing.TB, db *sqlstore.DB, log *audit.Log, domain string, n int) [][]byte {
	tb.Helper()
	var hashes [][]byte
	err := db.Update(context.Background(), func(tx probity.Tx) error {
		b := log.Begin(tx)
		leaves := make([]probity.AuditLeaf, n)
		for i := range leaves {
			leaves[i] = probity.AuditLeaf{Actor: "test", Action: probity.ActionEventAccepted, Domain: domain, Ref: fmt.Sprint(i)}
		}
		if err := b.Add(leaves...); err != nil {
			return err
		}
		return b.Commit()
	})
	if err != nil {
		tb.Fatal(err)
	}
	err = db.View(context.Background(), func(tx probity.ReadTx) error {
		size, err := tx.LogSize(domain)
		if err != nil {
			return err
		}
		return tx.PublicLeaves(domain, size-uint64(n), size, func(_ uint64, data, hash []byte) error {
			if !bytes.Equal(hash, audit.HashLeaf(data)) {
				return fmt.Errorf("stored hash is not the data's")
			}
			hashes = append(hashes, hash)
			return nil
		})
	})
	if err != nil {
		tb.Fatal(err)
	}
	return hashes
}

// checkTiledTree compares the log's tree read from the store with mem.
func checkTiledTree(tb testing.TB, db *sqlstore.DB, log *audit.Log, name string, mem *audit.Tree, rng *rand.Rand) {
	tb.Helper()
	err := db.View(context.Background(), func(tx probity.ReadTx) error {
		tree, err := log.Tree(tx, name)
		if err != nil {
			return err
		}
		size := mem.Size()
		if tree.Size() != size {
			return fmt.Errorf("tree of %d leaves, want %d", tree.Size(), size)
		}
		cp, err := tx.LatestCheckpoint(name)
		if err != nil {
			return err
		}
		if root, err := tree.Root(size); err != nil || !bytes.Equal(root, cp.Root) {
			return fmt.Errorf("root at %d = %x, %v; the checkpoint says %x", size, root, err, cp.Root)
		}
		sizes := []uint64{1, size, size - 1, 256, 257, 65536, 65535}
		for range 40 {
			sizes = append(sizes, 1+rng.Uint64N(size))
		}
		for _, s := range sizes {
			if s == 0 || s > size {
				continue
			}
			if err := sameHashes(tree.Range, mem.Range, s); err != nil {
				return fmt.Errorf("compact range at %d: %v", s, err)
			}
			i := rng.Uint64N(s)
			if err := sameHashes(func(s uint64) ([][]byte, error) { return tree.InclusionProof(i, s) }, func(s uint64) ([][]byte, error) { return mem.InclusionProof(i, s) }, s); err != nil {
				return fmt.Errorf("inclusion of %d in %d: %v", i, s, err)
			}
			from := rng.Uint64N(s + 1)
			if err := sameHashes(func(s uint64) ([][]byte, error) { return tree.ConsistencyProof(from, s) }, func(s uint64) ([][]byte, error) { return mem.ConsistencyProof(from, s) }, s); err != nil {
				return fmt.Errorf("consistency %d to %d: %v", from, s, err)
			}
		}
		for level := uint64(0); level < 3; level++ {
			for index := uint64(0); ; index++ {
				w := audit.TileWidthAt(level, index, size)
				if w == 0 {
					if _, err := tree.Tile(level, index, 1); probity.ErrorCode(err) != probity.ENOTFOUND {
						return fmt.Errorf("tile %d/%d beyond the tree: %v, want ENOTFOUND", level, index, err)
					}
					break
				}
				got, err := tree.Tile(level, index, w)
				want, _ := mem.Tile(level, index, w)
				if err != nil || !bytes.Equal(got, want) {
					return fmt.Errorf("tile %s differs (%v)", audit.TilePath(level, index, w), err)
				}
				if _, err := tree.Tile(level, index, w+1); w < 256 && probity.ErrorCode(err) != probity.ENOTFOUND {
					return fmt.Errorf("tile %d/%d wider than the tree: %v, want ENOTFOUND", level, index, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("log of %d leaves: %v", mem.Size(), err)
	}
}

func sameHashes(got, want func(uint64) ([][]byte, error), size uint64) error {
	g, err := got(size)
	if err != nil {
		return err
	}
	w, err := want(size)
	if err != nil {
		return err
	}
	if !bytes.Equal(bytes.Join(g, nil), bytes.Join(w, nil)) {
		return fmt.Errorf("%d hashes, want %d, or a hash differs", len(g), len(w))
	}
	return nil
}

// tileCounts returns how many tiles the store holds at each level of a log.
func tileCounts(tb testing.TB, dir, log string) map[int]uint64 {
	tb.Helper()
	raw := mustOpenRaw(tb, dir)
	defer raw.Close()
	rows, err := raw.Query(`SELECT level, COUNT(*) FROM log_tiles WHERE log = ? GROUP BY level`, log)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	counts := map[int]uint64{}
	for rows.Next() {
		var level int
		var n uint64
		if err := rows.Scan(&level, &n); err != nil {
			tb.Fatal(err)
		}
		counts[level] = n
	}
	return counts
}

// TestCheckTiles: a stored tile or root changed behind Probity's back is
// reported, naming the tile; an intact log reports nothing.
func TestCheckTiles(t *testing.T) {
	dir := t.TempDir()
	db, err := storetest.OpenDir(t, context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	signer, _, err := audit.LoadOrCreateSigner(dir)
	if err != nil {
		t.Fatal(err)
	}
	log := audit.NewLog(signer)
	for range 3 {
		appendLeaves(t, db, log, "tiles", 300)
	}
	check := func() []string {
		t.Helper()
		var problems []string
		err := db.View(context.Background(), func(tx probity.ReadTx) error {
			return audit.CheckTiles(tx, "tiles", 900, func(p string) { problems = append(problems, p) })
		})
		if err != nil {
			t.Fatal(err)
		}
		return problems
	}
	if p := check(); len(p) != 0 {
		t.Fatalf("intact log: %q", p)
	}
	raw := mustOpenRaw(t, dir)
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE log_tiles SET hashes = zeroblob(8192) WHERE log = 'tiles' AND level = 0 AND idx = 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE log_tiles SET root = zeroblob(32) WHERE log = 'tiles' AND level = 0 AND idx = 2`); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(check(), "\n")
	for _, want := range []string{"log tiles: stored tile tile/0/001 differs from what its leaves give", "log tiles: the stored root of tile tile/0/002 is 0000"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "tile/0/000") {
		t.Errorf("an intact tile reported:\n%s", got)
	}
}
