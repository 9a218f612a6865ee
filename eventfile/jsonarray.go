package eventfile

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"

	"github.com/probity-dev/probity"
)

// JSONArrayReader reads a JSON array of event objects, the body an API client
// most naturally sends. Line is the element's 1-based index. An element that
// is not a valid event object comes back with Err set and reading goes on; an
// array that is not valid JSON comes back once with Err set (Line is the
// element where it breaks), followed by io.EOF. Elements are decoded as by
// NDJSONReader. An element is not bounded by MaxLineSize: callers reading from
// the network bound the body instead.
type JSONArrayReader struct {
	dec   *json.Decoder
	index int // of the last element returned
	state int
	err   error
}

// States of a JSONArrayReader.
const (
	arrayStart = iota
	arrayElements
	arrayDone
)

// NewJSONArrayReader returns a reader of the JSON array in r. A UTF-8 byte
// order mark at the start is ignored.
func NewJSONArrayReader(r io.Reader) *JSONArrayReader {
	return newJSONArrayReader(newBufferedReader(r))
}

func newJSONArrayReader(br *bufio.Reader) *JSONArrayReader {
	dec := json.NewDecoder(br)
	dec.UseNumber() // a stray 1E1000 is a bad element, not a broken reader
	return &JSONArrayReader{dec: dec}
}

// Next returns the next element, or io.EOF after the last one. Any other error
// is the underlying reader's, and every later call returns it again.
func (a *JSONArrayReader) Next() (probity.EventInput, error) {
	switch {
	case a.err != nil:
		return probity.EventInput{}, a.err
	case a.state == arrayDone:
		return probity.EventInput{}, io.EOF
	case a.state == arrayStart:
		tok, err := a.dec.Token()
		if err == io.EOF {
			a.state = arrayDone
			return probity.EventInput{}, io.EOF
		} else if err != nil {
			return a.broken(1, err)
		} else if tok != json.Delim('[') {
			a.state = arrayDone
			return probity.EventInput{Line: 1, Err: invalidf("want a JSON array of event objects, starting with [")}, nil
		}
		a.state = arrayElements
	}
	if !a.dec.More() {
		a.state = arrayDone
		if _, err := a.dec.Token(); err != nil { // the closing ]
			return a.broken(a.index+1, err)
		}
		if _, err := a.dec.Token(); err != io.EOF {
			if _, ok := errors.AsType[*json.SyntaxError](err); err == nil || ok || err == io.ErrUnexpectedEOF {
				return probity.EventInput{Line: a.index + 1, Err: invalidf("unexpected data after the closing ] of the array")}, nil
			}
			a.err = err
			return probity.EventInput{}, err
		}
		return probity.EventInput{}, io.EOF
	}
	a.index++
	var raw json.RawMessage
	if err := a.dec.Decode(&raw); err != nil {
		return a.broken(a.index, err)
	}
	in := probity.EventInput{Line: a.index}
	if err := decodeObject(string(raw), &in); err != nil {
		return probity.EventInput{Line: a.index, Err: err}, nil
	}
	return in, nil
}

// broken reports an array that is not valid JSON as a line error at element
// index, after which the reader is done; any other error is the reader's.
func (a *JSONArrayReader) broken(index int, err error) (probity.EventInput, error) {
	a.state = arrayDone
	if se, ok := errors.AsType[*json.SyntaxError](err); ok && !endOfInput(se) {
		return probity.EventInput{Line: index, Err: invalidf("invalid JSON: %s", se)}, nil
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return probity.EventInput{Line: index, Err: invalidf("invalid JSON: %s", te)}, nil
	}
	if _, ok := errors.AsType[*json.SyntaxError](err); ok || err == io.EOF || err == io.ErrUnexpectedEOF {
		return probity.EventInput{Line: index, Err: invalidf("invalid JSON: the input ends before the array is closed")}, nil
	}
	a.err = err
	return probity.EventInput{}, err
}

// endOfInput reports whether a syntax error is the input ending: Go 1.27's
// decoder says so with a SyntaxError ("unexpected end of JSON input") where
// Go 1.26's returned io.EOF or io.ErrUnexpectedEOF, and nothing else tells
// the two apart.
func endOfInput(se *json.SyntaxError) bool {
	return se.Error() == "unexpected end of JSON input"
}
