package bureau

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/probity-dev/probity"
)

// spoolInMemory is how many prepared events an ingest keeps in memory
// before it spills them to a temporary file: enough for every ordinary
// upload, and a bound on memory for a million-event file.
const spoolInMemory = 20000

// spool holds an ingest's prepared events between reading its input and
// storing them, so that the store is locked only to store: in memory, then
// in a temporary file (mode 0600, removed at close; it holds pseudonyms and
// screened fields, never an identifier).
type spool struct {
	mem  []spooled
	file *os.File
	w    *bufio.Writer
	n    int
}

// spooled is one prepared event and the input line it came from.
type spooled struct {
	Line   int              `json:"l"`
	Event  *probity.Event   `json:"e"`
	Points []probity.Points `json:"p"`
}

// add keeps one prepared event.
func (s *spool) add(line int, e *probity.Event, points []probity.Points) error {
	s.n++
	if s.file == nil && len(s.mem) < spoolInMemory {
		s.mem = append(s.mem, spooled{line, e, points})
		return nil
	}
	if s.file == nil {
		f, err := os.CreateTemp("", "probity-ingest-*.ndjson")
		if err != nil {
			return fmt.Errorf("spool the upload: %w", err)
		}
		s.file, s.w = f, bufio.NewWriterSize(f, 1<<20)
	}
	buf, err := json.Marshal(spooled{line, e, points})
	if err != nil {
		return err
	}
	s.w.Write(buf)
	return s.w.WriteByte('\n')
}

// len returns how many events the spool holds.
func (s *spool) len() int { return s.n }

// each calls fn for every event in the order added.
func (s *spool) each(fn func(line int, e *probity.Event, points []probity.Points) error) error {
	for _, p := range s.mem {
		if err := fn(p.Line, p.Event, p.Points); err != nil {
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
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF && len(line) == 0 {
			return nil
		} else if err != nil && err != io.EOF {
			return fmt.Errorf("read the spooled upload: %w", err)
		}
		var p spooled
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber() // fields as stored: their JSON, byte for byte
		if err := dec.Decode(&p); err != nil {
			return fmt.Errorf("read the spooled upload: %w", err)
		}
		if err := fn(p.Line, p.Event, p.Points); err != nil {
			return err
		}
	}
}

// close removes the temporary file, if any.
func (s *spool) close() {
	if s.file != nil {
		s.file.Close()
		os.Remove(s.file.Name())
	}
}
