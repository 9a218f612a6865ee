package eventfile

import (
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/probity-dev/probity"
)

// CSVColumns are the columns every CSV header starts with, in this order.
var CSVColumns = []string{"key", "type", "subject", "occurred_at", "cures"}

// CSVReader reads CSV (RFC 4180) whose header is CSVColumns followed by one
// column per event field. Field values are kept as text (FieldsAsText) for the
// ingest service to parse by their declared type; an empty cell means the
// field is absent. Line is the line where the record starts: the header is
// line 1, so the first record is usually line 2. A record that cannot be
// decoded, or has a cell that is not valid UTF-8, comes back with Err set,
// and reading goes on with the next one.
type CSVReader struct {
	src    *csvSource
	cr     *csv.Reader
	offset int      // lines consumed before the reader started
	header []string // every column, CSVColumns first
	err    error

	// A record read ahead while earlier over-long lines are reported.
	held    bool
	rec     []string
	recErr  error
	recLine int
	recEnd  int64
}

// NewCSVReader returns a reader of the CSV in r after reading its header. A
// header that is missing, is not CSVColumns followed by distinct non-empty
// field names, or is longer than MaxLineSize is an error, which says so with
// line 1. A UTF-8 byte order mark at the start is ignored.
func NewCSVReader(r io.Reader) (*CSVReader, error) {
	return newCSVReader(newBufferedReader(r), 0)
}

func newCSVReader(br *bufio.Reader, offset int) (*CSVReader, error) {
	src := &csvSource{lines: lineReader{br: br}}
	cr := csv.NewReader(src)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	c := &CSVReader{src: src, cr: cr, offset: offset}
	if err := c.readHeader(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *CSVReader) readHeader() error {
	want := strings.Join(CSVColumns, ",")
	header, err := c.cr.Read()
	line := 1
	if err == nil {
		line, _ = c.cr.FieldPos(0)
	}
	if pe, ok := errors.AsType[*csv.ParseError](err); ok {
		line = pe.StartLine
	}
	if len(c.src.long) > 0 && (c.src.long[0].line <= line || c.src.long[0].offset < c.cr.InputOffset()) {
		return invalidf("line %d: the line is longer than %d bytes (1 MiB); a CSV file starts with the header %s,<field>...",
			c.offset+c.src.long[0].line, MaxLineSize, want)
	}
	line += c.offset
	switch {
	case err == io.EOF:
		return invalidf("line %d: the input is empty; a CSV file starts with the header %s,<field>...", line, want)
	case err != nil && !errors.As(err, new(*csv.ParseError)):
		return err
	case err != nil:
		return invalidf("line %d: invalid CSV header: %v", line, errors.Unwrap(err))
	case len(header) < len(CSVColumns) || !slices.Equal(header[:len(CSVColumns)], CSVColumns):
		return invalidf("line %d: the CSV header must start with %s, then one column per field; got %s",
			line, want, quote(strings.Join(header, ",")))
	}
	for i, name := range header {
		if name == "" {
			return invalidf("line %d: column %d of the CSV header has no name", line, i+1)
		}
		if !utf8.ValidString(name) {
			return invalidf("line %d: column %d of the CSV header, %s, is not valid UTF-8; save the file as UTF-8",
				line, i+1, quote(name))
		}
		if slices.Index(header, name) != i {
			return invalidf("line %d: column %s appears more than once in the CSV header", line, quote(name))
		}
	}
	c.header = slices.Clone(header)
	return nil
}

// Fields returns the names of the field columns declared by the header.
func (c *CSVReader) Fields() []string { return slices.Clone(c.header[len(CSVColumns):]) }

// Next returns the next record, or io.EOF after the last one. Any other error
// is the underlying reader's, and every later call returns it again.
func (c *CSVReader) Next() (probity.EventInput, error) {
	if c.err != nil {
		return probity.EventInput{}, c.err
	}
	if !c.held {
		rec, err := c.cr.Read()
		switch pe, isParse := errors.AsType[*csv.ParseError](err); {
		case err == nil:
			c.recLine, _ = c.cr.FieldPos(0)
		case isParse:
			c.recLine = pe.StartLine
		case err == io.EOF:
			if len(c.src.long) > 0 {
				return c.longLine(), nil
			}
			return probity.EventInput{}, io.EOF
		default:
			c.err = err
			return probity.EventInput{}, err
		}
		c.held, c.rec, c.recErr, c.recEnd = true, rec, err, c.cr.InputOffset()
	}
	// Over-long lines were replaced by blank ones, which csv skips: report
	// those before the record in order, and those within it as its error.
	if len(c.src.long) > 0 && c.src.long[0].line < c.recLine {
		return c.longLine(), nil
	}
	c.held = false
	in := probity.EventInput{Line: c.offset + c.recLine}
	notUTF8 := false // on a line of the record: then find the cell
	for len(c.src.notUTF8) > 0 && c.src.notUTF8[0] < c.recEnd {
		c.src.notUTF8, notUTF8 = c.src.notUTF8[1:], true
	}
	for len(c.src.long) > 0 && c.src.long[0].offset < c.recEnd {
		in.Err = invalidf("line %d of the record is longer than %d bytes (1 MiB)", c.offset+c.src.long[0].line, MaxLineSize)
		c.src.long = c.src.long[1:]
	}
	switch pe, isParse := errors.AsType[*csv.ParseError](c.recErr); {
	case in.Err != nil:
	case isParse:
		in.Err = invalidf("invalid CSV at line %d, column %d: %v", c.offset+pe.Line, pe.Column, pe.Err)
	case len(c.rec) != len(c.header):
		in.Err = invalidf("the record has %d columns, the header %d", len(c.rec), len(c.header))
	case notUTF8 && !c.validUTF8(&in):
	default:
		c.decode(&in)
	}
	return in, nil
}

func (c *CSVReader) decode(in *probity.EventInput) {
	in.Key, in.Type, in.Subject, in.OccurredAt, in.Cures = c.rec[0], c.rec[1], c.rec[2], c.rec[3], c.rec[4]
	in.FieldsAsText = true
	for i, name := range c.header[len(CSVColumns):] {
		if v := c.rec[len(CSVColumns)+i]; v != "" {
			if in.Fields == nil {
				in.Fields = make(map[string]any, len(c.header)-len(CSVColumns))
			}
			in.Fields[name] = v
		}
	}
}

// validUTF8 reports whether every cell of the record is valid UTF-8, and if
// not sets in.Err naming the first cell that is not: encoding/csv keeps the
// bytes of a file in another encoding (GBK, Latin-1) as they are.
func (c *CSVReader) validUTF8(in *probity.EventInput) bool {
	for i, v := range c.rec {
		if utf8.ValidString(v) {
			continue
		}
		k := invalidByte(v)
		line, col := c.cr.FieldPos(i)
		in.Err = invalidf("%s (line %d, column %d) is not valid UTF-8: byte 0x%02X at byte %d of the value; save the file as UTF-8",
			quote(c.header[i]), c.offset+line, col, v[k], k+1)
		return false
	}
	return true
}

// longLine returns the error of the first over-long line not yet reported.
func (c *CSVReader) longLine() probity.EventInput {
	l := c.src.long[0]
	c.src.long = c.src.long[1:]
	return probity.EventInput{Line: c.offset + l.line, Err: errLineTooLong()}
}

// csvSource feeds encoding/csv, which has no line length limit, the lines of
// the input with each line longer than MaxLineSize replaced by a blank line
// (which csv skips) and remembered, so that it can be reported in order. It
// also remembers where the lines that are not valid UTF-8 start, so that only
// their records' cells need checking, one by one.
type csvSource struct {
	lines   lineReader
	pending []byte
	served  int64 // bytes handed to csv so far, as csv's InputOffset counts
	long    []longLine
	notUTF8 []int64 // offsets, as served counts
	err     error
}

// longLine is a line longer than MaxLineSize: its number and the offset of
// the blank line that replaced it.
type longLine struct {
	line   int
	offset int64
}

func (s *csvSource) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(s.pending) == 0 {
			if s.err != nil || n > 0 && s.lines.br.Buffered() == 0 {
				break // do not wait for more input while csv has some
			}
			line, tooLong, err := s.lines.next()
			if err != nil {
				s.err = err
				break
			}
			if tooLong {
				s.long = append(s.long, longLine{line: s.lines.line, offset: s.served + int64(n)})
				line = []byte("\n")
			} else if !utf8.Valid(line) {
				s.notUTF8 = append(s.notUTF8, s.served+int64(n))
			}
			s.pending = line
		}
		k := copy(p[n:], s.pending)
		s.pending = s.pending[k:]
		n += k
	}
	s.served += int64(n)
	if n == 0 && s.err != nil {
		return 0, s.err
	}
	return n, nil
}
