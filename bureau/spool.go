package bureau

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/probity-dev/probity"
)

// spoolInMemory is how many prepared events an ingest keeps in memory
// before it spills them to a temporary file: enough for every ordinary
// upload, and a bound on memory for a million-event file.
const spoolInMemory = 20000

// spool holds an ingest's prepared events between reading its input and
// storing them, so that the store is locked only to store: in memory, then
// in a temporary file (mode 0600; it holds pseudonyms and screened fields,
// never an identifier). The file's name is removed as soon as it is made:
// the open file is all the spool needs, and a server stopped or killed in
// the middle of an upload leaves nothing behind.
type spool struct {
	mem  []spooled
	file *os.File
	w    *bufio.Writer
	n    int
	buf  []byte
	// named is set while the file still has a name to remove at close
	// (where removing an open file's name fails).
	named bool
	// inMemory is how many events stay in memory (spoolInMemory if 0).
	inMemory int
}

// spooled is one prepared event, the input line it came from, and its
// digest (audit.EventDigest), computed while the input is prepared, beside
// the store, rather than under its lock when the event's batch leaf is.
type spooled struct {
	Line   int
	Event  *probity.Event
	Points []probity.Points
	Digest string
}

// add keeps one prepared event.
func (s *spool) add(p spooled) error {
	s.n++
	if s.inMemory == 0 {
		s.inMemory = spoolInMemory
	}
	if s.file == nil && len(s.mem) < s.inMemory {
		s.mem = append(s.mem, p)
		return nil
	}
	if s.file == nil {
		f, err := os.CreateTemp("", "probity-ingest-*.spool")
		if err != nil {
			return fmt.Errorf("spool the upload: %w", err)
		}
		s.file, s.w, s.named = f, bufio.NewWriterSize(f, 1<<20), os.Remove(f.Name()) != nil
	}
	buf, err := appendSpooled(s.buf[:0], &p)
	if err != nil {
		return err
	}
	s.buf = buf
	var size [binary.MaxVarintLen64]byte
	s.w.Write(size[:binary.PutUvarint(size[:], uint64(len(buf)))])
	_, err = s.w.Write(buf)
	return err
}

// len returns how many events the spool holds.
func (s *spool) len() int { return s.n }

// each calls fn for every event in the order added.
func (s *spool) each(fn func(p *spooled) error) error {
	for i := range s.mem {
		if err := fn(&s.mem[i]); err != nil {
			return err
		}
	}
	if s.file == nil {
		return nil
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("spool the upload: %w", err)
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReaderSize(s.file, 1<<20)
	var record []byte
	for {
		n, err := binary.ReadUvarint(r)
		if err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("read the spooled upload: %w", err)
		}
		record = slices.Grow(record[:0], int(n))[:n]
		if _, err := io.ReadFull(r, record); err != nil {
			return fmt.Errorf("read the spooled upload: %w", err)
		}
		p, err := decodeSpooled(record)
		if err != nil {
			return fmt.Errorf("read the spooled upload: %w", err)
		}
		if err := fn(&p); err != nil {
			return err
		}
	}
}

// close removes the temporary file, if any.
func (s *spool) close() {
	if s.file != nil {
		s.file.Close()
		if s.named {
			os.Remove(s.file.Name())
		}
	}
}
