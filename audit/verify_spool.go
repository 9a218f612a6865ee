package audit

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"unsafe"
)

// entry is one item the verifier sorts to match it with others: what a
// leaf says about a row, or what a row says about itself. Which fields mean
// what depends on the spool (see the cmp functions of verify_rows.go and
// verify_log.go); unused ones are empty.
type entry struct {
	group   uint8
	flag    uint8
	domain  string
	subject string // a pseudonym's 32 bytes, or ""
	ref     string
	n       uint64 // a number sorted before index: a seal's size, an erasure's index
	index   uint64
	log     string
	digest  string
	extra   string
}

// leaf names the leaf an entry came from.
func (e *entry) leaf() string { return leafName(e.log, e.index) }

// size is about what an entry costs in memory.
func (e *entry) size() int {
	return 160 + len(e.domain) + len(e.subject) + len(e.ref) + len(e.log) + len(e.digest) + len(e.extra)
}

// spool sorts entries that need not fit in memory: it keeps entries up to
// its budget, then writes them sorted to a temporary file (a run), and
// merges the runs when it is read. Whenever fanIn runs of one level pile
// up, it merges them into one run of the next level, so that it never
// reads more than fanIn runs of a level at once: memory stays within the
// budget and a buffer per run, and open files few, however many entries
// pass through it (each is written once per level: twice for 10,000,000
// leaves).
type spool struct {
	cmp    func(a, b *entry) int
	budget int
	buf    []entry
	used   int
	arena  arena
	dir    string
	runs   []runFile
}

// runFile is a run on disk and its level: 0 for one written from memory,
// L+1 for one merged from runs of level L.
type runFile struct {
	f     *os.File
	level int
}

// fanIn is how many runs of a level are merged into one; runBuffer is the
// read buffer of each run being merged.
const (
	fanIn     = 64
	runBuffer = 16 << 10
)

// Budgets of the verifier's spools, in bytes: the one of every leaf that
// binds a row is the largest; the others hold what is rare in a sound
// store. The tests lower them, so that their small stores sort on disk.
var bindingBudget, smallBudget = releaseBindingBudget, releaseSmallBudget

const (
	releaseBindingBudget = 16 << 20
	releaseSmallBudget   = 2 << 20
)

func newSpool(cmp func(a, b *entry) int, budget int) *spool {
	return &spool{cmp: cmp, budget: budget}
}

// add keeps an entry, copying its strings (they may be parts of a larger
// string that must not stay in memory). Domains and logs are copied by the
// caller, once (see verifier.intern).
func (s *spool) add(e entry) error {
	e.subject, e.ref = s.arena.clone(e.subject), s.arena.clone(e.ref)
	e.digest, e.extra = s.arena.clone(e.digest), s.arena.clone(e.extra)
	s.buf = append(s.buf, e)
	if s.used += e.size(); s.used >= s.budget {
		return s.flush()
	}
	return nil
}

func cloneString(s string) string {
	if s == "" {
		return ""
	}
	return string(append([]byte(nil), s...))
}

// arena copies strings into large blocks: one allocation for thousands of
// small strings, none of which the garbage collector has to scan. A block
// is never written where a string already points; a full one is left to
// the collector, which frees it once no string points into it.
type arena struct{ block []byte }

const arenaBlock = 256 << 10

func (a *arena) clone(s string) string {
	if s == "" {
		return ""
	}
	if len(s) > arenaBlock/8 {
		return cloneString(s)
	}
	if len(a.block)+len(s) > cap(a.block) {
		a.block = make([]byte, 0, arenaBlock)
	}
	start := len(a.block)
	a.block = append(a.block, s...)
	return unsafe.String(&a.block[start], len(s))
}

// flush writes the entries in memory, sorted, to a new run, and merges
// runs that piled up.
func (s *spool) flush() error {
	if len(s.buf) == 0 {
		return nil
	}
	sort.Sort(sortable{s.buf, s.cmp})
	i := 0
	err := s.write(0, func() (*entry, error) {
		if i == len(s.buf) {
			return nil, nil
		}
		i++
		return &s.buf[i-1], nil
	})
	if err != nil {
		return err
	}
	clear(s.buf)
	s.buf, s.used, s.arena = s.buf[:0], 0, arena{}
	for n := len(s.runs); n >= fanIn && s.runs[n-fanIn].level == s.runs[n-1].level; n = len(s.runs) {
		if err := s.compact(n - fanIn); err != nil {
			return err
		}
	}
	return nil
}

// write writes the entries next returns, in order, to a new run of level.
func (s *spool) write(level int, next func() (*entry, error)) error {
	if s.dir == "" {
		dir, err := os.MkdirTemp("", "probity-verify-")
		if err != nil {
			return fmt.Errorf("verification needs a temporary directory to sort in: %w", err)
		}
		s.dir = dir
	}
	f, err := os.CreateTemp(s.dir, "run-")
	if err != nil {
		return err
	}
	s.runs = append(s.runs, runFile{f, level})
	w := bufio.NewWriterSize(f, 64<<10)
	var rec []byte
	var n [binary.MaxVarintLen64]byte
	for {
		e, err := next()
		if err != nil {
			return err
		} else if e == nil {
			break
		}
		rec = encodeEntry(rec[:0], e)
		if _, err := w.Write(n[:binary.PutUvarint(n[:], uint64(len(rec)))]); err != nil {
			return err
		}
		if _, err := w.Write(rec); err != nil {
			return err
		}
	}
	return w.Flush()
}

// compact merges the runs from from on into one run of the next level.
func (s *spool) compact(from int) error {
	merged := slices.Clone(s.runs[from:])
	c, err := s.merge(merged)
	if err != nil {
		return err
	}
	s.runs = s.runs[:from]
	err = s.write(merged[0].level+1, func() (*entry, error) {
		p := c.peek()
		if p != nil {
			e := *p
			c.next()
			return &e, nil
		}
		return nil, c.err
	})
	for _, r := range merged {
		r.f.Close()
		os.Remove(r.f.Name())
	}
	return err
}

// merge returns a cursor merging runs from their start.
func (s *spool) merge(runs []runFile) (*cursor, error) {
	m := &merge{cmp: s.cmp}
	for i, rf := range runs {
		if _, err := rf.f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		r := &run{r: bufio.NewReaderSize(rf.f, runBuffer), order: i, names: map[string]string{}}
		if ok, err := r.read(); err != nil {
			return nil, err
		} else if ok {
			m.runs = append(m.runs, r)
		}
	}
	heap.Init(m)
	return &cursor{merge: m}, nil
}

// sorted returns a cursor over every entry added, in order. The spool
// takes no more entries.
func (s *spool) sorted() (*cursor, error) {
	if len(s.runs) == 0 {
		sort.Sort(sortable{s.buf, s.cmp})
		return &cursor{mem: s.buf}, nil
	}
	if err := s.flush(); err != nil {
		return nil, err
	}
	s.buf = nil
	return s.merge(s.runs)
}

// close removes the spool's files.
func (s *spool) close() {
	for _, r := range s.runs {
		r.f.Close()
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
	s.runs, s.dir, s.buf = nil, "", nil
}

// sortable sorts entries in place by a comparison of pointers (entries
// are too large to copy at each comparison).
type sortable struct {
	e   []entry
	cmp func(a, b *entry) int
}

func (s sortable) Len() int           { return len(s.e) }
func (s sortable) Less(i, j int) bool { return s.cmp(&s.e[i], &s.e[j]) < 0 }
func (s sortable) Swap(i, j int)      { s.e[i], s.e[j] = s.e[j], s.e[i] }

// cursor reads a spool's entries in order: peek shows the next, next moves
// past it.
type cursor struct {
	mem   []entry
	merge *merge
	err   error
}

// peek returns the next entry, or nil at the end (or after a read error,
// which err then holds). The entry is valid until next.
func (c *cursor) peek() *entry {
	if c.merge == nil {
		if len(c.mem) == 0 {
			return nil
		}
		return &c.mem[0]
	}
	if len(c.merge.runs) == 0 || c.err != nil {
		return nil
	}
	return &c.merge.runs[0].head
}

// next moves past the entry peek returned.
func (c *cursor) next() {
	if c.merge == nil {
		c.mem[0] = entry{}
		c.mem = c.mem[1:]
		return
	}
	r := c.merge.runs[0]
	ok, err := r.read()
	switch {
	case err != nil:
		c.err = err
	case ok:
		heap.Fix(c.merge, 0)
	default:
		heap.Pop(c.merge)
	}
}

// merge is a heap of runs by their next entry; of equal ones, the earlier
// run's first, so that the merge is stable.
type merge struct {
	cmp  func(a, b *entry) int
	runs []*run
}

func (m *merge) Len() int { return len(m.runs) }
func (m *merge) Less(i, j int) bool {
	if c := m.cmp(&m.runs[i].head, &m.runs[j].head); c != 0 {
		return c < 0
	}
	return m.runs[i].order < m.runs[j].order
}
func (m *merge) Swap(i, j int) { m.runs[i], m.runs[j] = m.runs[j], m.runs[i] }
func (m *merge) Push(x any)    { m.runs = append(m.runs, x.(*run)) }
func (m *merge) Pop() any {
	r := m.runs[len(m.runs)-1]
	m.runs = m.runs[:len(m.runs)-1]
	return r
}

// run reads one sorted file of entries.
type run struct {
	r     *bufio.Reader
	order int
	head  entry
	rec   []byte
	names map[string]string // domains and logs, read once each
}

// read decodes the next entry into head, or reports the end.
func (r *run) read() (bool, error) {
	n, err := binary.ReadUvarint(r.r)
	if errors.Is(err, io.EOF) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if cap(r.rec) < int(n) {
		r.rec = make([]byte, n)
	}
	r.rec = r.rec[:n]
	if _, err := io.ReadFull(r.r, r.rec); err != nil {
		return false, err
	}
	if err := decodeEntry(r.rec, &r.head, r.names); err != nil {
		return false, fmt.Errorf("verification's sort file: %w", err)
	}
	return true, nil
}

// encodeEntry appends an entry's record: group, flag, n, index, and the
// strings with their lengths (digests in binary when they are lowercase
// hex). The file holds each record after its length.
func encodeEntry(dst []byte, e *entry) []byte {
	dst = append(dst, e.group, e.flag)
	dst = binary.AppendUvarint(dst, e.n)
	dst = binary.AppendUvarint(dst, e.index)
	for _, s := range []string{e.domain, e.subject, e.ref, e.log} {
		dst = binary.AppendUvarint(dst, uint64(len(s))<<1)
		dst = append(dst, s...)
	}
	for _, s := range []string{e.digest, e.extra} {
		if isLowerHex(s) {
			dst = binary.AppendUvarint(dst, uint64(len(s)/2)<<1|1)
			dst, _ = hex.AppendDecode(dst, []byte(s))
			continue
		}
		dst = binary.AppendUvarint(dst, uint64(len(s))<<1)
		dst = append(dst, s...)
	}
	return dst
}

func isLowerHex(s string) bool {
	if len(s) == 0 || len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func decodeEntry(rec []byte, e *entry, names map[string]string) error {
	if len(rec) < 2 {
		return errors.New("short record")
	}
	*e = entry{group: rec[0], flag: rec[1]}
	rec = rec[2:]
	var k int
	if e.n, k = binary.Uvarint(rec); k <= 0 {
		return errors.New("bad number")
	}
	rec = rec[k:]
	if e.index, k = binary.Uvarint(rec); k <= 0 {
		return errors.New("bad index")
	}
	rec = rec[k:]
	fields := []*string{&e.domain, &e.subject, &e.ref, &e.log, &e.digest, &e.extra}
	for i, f := range fields {
		l, k := binary.Uvarint(rec)
		if k <= 0 || uint64(len(rec)-k) < l>>1 {
			return errors.New("bad string")
		}
		b := rec[k : k+int(l>>1)]
		rec = rec[k+int(l>>1):]
		switch {
		case l&1 == 1:
			*f = hex.EncodeToString(b)
		case i == 0 || i == 3: // domains and logs repeat: keep one copy
			s, ok := names[string(b)]
			if !ok {
				s = string(b)
				names[s] = s
			}
			*f = s
		default:
			*f = string(b)
		}
	}
	return nil
}
