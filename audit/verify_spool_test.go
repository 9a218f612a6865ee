package audit

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// The tests verify with spools small enough that the stores of the tamper
// suite (a few thousand leaves) are sorted on disk in many runs: what the
// suite then checks is the merge a release does at millions of leaves. They
// read the leaves in chunks of 1,000, so that leaves and tiles are checked
// across chunks. BenchmarkVerifyStore restores a release's budgets (ReleaseBudgets).
func init() { bindingBudget, smallBudget, tileChunk = 64<<10, 2<<10, 1000 }

// TestSpool checks that a spool returns every entry it was given, in
// order, whether it kept them in memory or sorted them on disk in runs
// (merged into runs of higher levels as they pile up), and that each comes
// back as it went in.
func TestSpool(t *testing.T) {
	for _, tt := range []struct {
		name    string
		entries int
		budget  int
	}{{"Empty", 0, 1 << 20}, {"InMemory", 1000, 1 << 20}, {"Runs", 5000, 16 << 10}, {"RunOfOne", 50, 1}, {"Levels", 3*fanIn*fanIn + 5, 1}} {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(tt.entries)))
			want := make([]entry, tt.entries)
			for i := range want {
				want[i] = randomEntry(r, i)
			}
			s := newSpool(cmpBinding, tt.budget)
			defer s.close()
			for _, e := range want {
				if err := s.add(e); err != nil {
					t.Fatal(err)
				}
			}
			levels := map[int]int{}
			for _, r := range s.runs {
				levels[r.level]++
			}
			if tt.budget < 1<<20 && len(s.runs) < 2 {
				t.Fatalf("%d runs on disk, want several", len(s.runs))
			}
			for level, n := range levels {
				if n >= fanIn {
					t.Fatalf("%d runs of level %d, want them merged at %d", n, level, fanIn)
				}
			}
			if tt.budget == 1 && tt.entries > fanIn*fanIn && levels[2] == 0 {
				t.Fatalf("runs by level %v, want runs merged twice", levels)
			}
			slices.SortStableFunc(want, func(a, b entry) int { return cmpBinding(&a, &b) })
			c, err := s.sorted()
			if err != nil {
				t.Fatal(err)
			}
			var got []entry
			for p := c.peek(); p != nil; p = c.peek() {
				got = append(got, *p)
				c.next()
			}
			if c.err != nil {
				t.Fatal(c.err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d entries back, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("entry %d = %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
}

// randomEntry returns an entry with fields that collide often (so that
// ties are broken by later fields) and digests in hex and not.
func randomEntry(r *rand.Rand, i int) entry {
	digest := fmt.Sprintf("%064x", r.Uint64())
	switch r.IntN(4) {
	case 0:
		digest = strings.ToUpper(digest)
	case 1:
		digest = ""
	case 2:
		digest = "abc" // odd length
	}
	return entry{
		group:   uint8(r.IntN(3)),
		flag:    uint8(r.IntN(2)),
		domain:  fmt.Sprintf("d%d.test", r.IntN(3)),
		subject: string([]byte{byte(r.IntN(3)), 0, 0xff}),
		ref:     fmt.Sprint(r.IntN(50)),
		n:       r.Uint64N(1 << 40),
		index:   uint64(i),
		log:     cmp.Or(fmt.Sprintf("d%d.test", r.IntN(2)), ""),
		digest:  digest,
		extra:   fmt.Sprintf("%x", r.Uint32()),
	}
}
