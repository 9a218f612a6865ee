// Package eventfile decodes the event files reporters send: NDJSON (one event
// object per line), a JSON array of event objects, or CSV with a header. A
// reader yields one probity.EventInput per event and keeps going past bad
// lines, each returned with Err set, so that every bad line of a file can be
// reported at once. Decoding is syntactic only: whether a subject, type or
// field is acceptable is the ingest service's job.
//
// Every Err, and the error of a bad CSV header, is an error whose text is the
// message for the reporter and which wraps an EINVALID *probity.Error, so that
// both err.Error() and probity.ErrorMessage(err) give the message. Any other
// error (from the underlying reader) is returned by Next itself and ends the
// input.
package eventfile

import (
	"bufio"
	"bytes"
	"io"

	"github.com/probity-dev/probity"
)

// MaxLineSize is the longest NDJSON or CSV line, without its line break, a
// reader accepts. A longer line is an error for that line only.
const MaxLineSize = 1 << 20

// bufferSize is the read buffer: most lines fit, longer ones are gathered.
const bufferSize = 64 << 10

// NewReader returns a reader for r in the format its first non-whitespace
// byte, after an optional UTF-8 byte order mark, shows: `{` NDJSON, `[` a JSON
// array, anything else CSV (whose header error, if any, it returns). An input
// of only whitespace yields no events.
func NewReader(r io.Reader) (probity.EventReader, error) {
	br := newBufferedReader(r)
	skipped := 0 // lines before the first non-whitespace byte
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			return newNDJSONReader(br, skipped), nil
		} else if err != nil {
			return nil, err
		}
		if c == '\n' {
			skipped++
		}
		if isSpace(c) {
			continue
		}
		if err := br.UnreadByte(); err != nil {
			return nil, err
		}
		switch c {
		case '{':
			return newNDJSONReader(br, skipped), nil
		case '[':
			return newJSONArrayReader(br), nil
		default:
			return newCSVReader(br, skipped)
		}
	}
}

// newBufferedReader buffers r and drops a leading UTF-8 byte order mark.
func newBufferedReader(r io.Reader) *bufio.Reader {
	br := bufio.NewReaderSize(r, bufferSize)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xEF\xBB\xBF")) {
		br.Discard(3)
	}
	return br
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// invalidError is the error of a line or header that cannot be decoded. Its
// text is the caller-facing message; it wraps the EINVALID *probity.Error.
type invalidError struct{ err *probity.Error }

func (e *invalidError) Error() string { return e.err.Message }
func (e *invalidError) Unwrap() error { return e.err }

func invalidf(format string, args ...any) error {
	return &invalidError{probity.Errorf(probity.EINVALID, format, args...)}
}

// errLineTooLong is the Err of a line longer than MaxLineSize.
func errLineTooLong() error {
	return invalidf("the line is longer than %d bytes (1 MiB)", MaxLineSize)
}

// lineReader yields the lines of its input with their line breaks, lines
// longer than MaxLineSize flagged instead of gathered.
type lineReader struct {
	br   *bufio.Reader
	long []byte // a line longer than br's buffer, gathered
	line int    // number of the last line returned, from 1
}

// next returns the next line, valid until the following call, and whether it
// is longer than MaxLineSize (then without its content). It returns io.EOF
// after the last line.
func (l *lineReader) next() (line []byte, tooLong bool, err error) {
	chunk, err := l.br.ReadSlice('\n')
	if err == nil {
		l.line++
		return chunk, false, nil
	}
	l.long = l.long[:0]
	n := 0
	for {
		n += len(chunk)
		if n <= MaxLineSize+2 { // room for "\r\n"
			l.long = append(l.long, chunk...)
		}
		if err != bufio.ErrBufferFull {
			break
		}
		chunk, err = l.br.ReadSlice('\n')
	}
	if err != nil && err != io.EOF {
		return nil, false, err
	}
	if n == 0 {
		return nil, false, io.EOF
	}
	l.line++
	if n > MaxLineSize+2 || len(trimLineBreak(l.long)) > MaxLineSize {
		return nil, true, nil
	}
	return l.long, false, nil
}

// trimLineBreak returns line without its trailing "\n" or "\r\n".
func trimLineBreak(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	return line
}

// quote quotes an input for an error message; see probity.Quote.
func quote(s string) string { return probity.Quote(s) }
