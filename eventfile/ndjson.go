package eventfile

import (
	"bufio"
	"io"

	"github.com/probity-dev/probity"
)

// NDJSONReader reads newline-delimited JSON: one event object per line, with
// the keys key, type, subject, occurred_at (strings), fields (an object whose
// numbers are kept exact as json.Number) and cures (a string, optional).
// Keys match exactly (case-sensitively); a key or field given twice is an
// error rather than a silent override, and so is a string that is not valid
// UTF-8 (see UTF8Error) rather than one stored with U+FFFD in it; null cures
// or fields mean none. Blank lines are skipped but counted: Line is always
// the line number in the file. A line that is not such an object comes back
// with Err set, and reading goes on with the next line.
type NDJSONReader struct {
	lines  lineReader
	offset int // lines consumed before the reader started
	err    error
}

// NewNDJSONReader returns a reader of the NDJSON in r. A UTF-8 byte order mark
// at the start is ignored.
func NewNDJSONReader(r io.Reader) *NDJSONReader {
	return newNDJSONReader(newBufferedReader(r), 0)
}

func newNDJSONReader(br *bufio.Reader, offset int) *NDJSONReader {
	return &NDJSONReader{lines: lineReader{br: br}, offset: offset}
}

// Next returns the next event, or io.EOF after the last line. Any other error
// is the underlying reader's, and every later call returns it again.
func (n *NDJSONReader) Next() (probity.EventInput, error) {
	for n.err == nil {
		raw, tooLong, err := n.lines.next()
		if err != nil {
			n.err = err
			break
		}
		line := n.offset + n.lines.line
		if tooLong {
			return probity.EventInput{Line: line, Err: errLineTooLong()}, nil
		}
		content := trimLineBreak(raw)
		if isBlank(content) {
			continue
		}
		in := probity.EventInput{Line: line}
		if err := decodeObject(string(content), &in); err != nil {
			return probity.EventInput{Line: line, Err: err}, nil
		}
		return in, nil
	}
	return probity.EventInput{}, n.err
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}
