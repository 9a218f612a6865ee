package bureau

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/probity-dev/probity"
)

// A spilled event is written in a binary form of its own rather than as
// JSON: encoding and decoding each event twice through encoding/json's
// reflection was a fifth of a large ingest's CPU. Numbers in fields keep
// the text JSON gives them (they come back as json.Number, as from the
// JSON spool before), so what is stored and digested is byte for byte the
// same whether an event was spilled or not.

// field value tags
const (
	tagString byte = 's'
	tagTrue   byte = 't'
	tagFalse  byte = 'f'
	tagNumber byte = 'n' // the JSON text of a number
	tagJSON   byte = 'j' // anything else, as JSON
)

// appendSpooled appends one spooled event to b.
func appendSpooled(b []byte, p *spooled) ([]byte, error) {
	e := p.Event
	b = binary.AppendUvarint(b, uint64(p.Line))
	for _, s := range []string{e.Domain, e.Key, e.Type, string(e.Kind), e.Cures} {
		b = appendString(b, s)
	}
	b = append(b, e.Subject[:]...)
	b = binary.AppendVarint(b, e.OccurredAt.UnixNano())
	b = binary.AppendVarint(b, e.RecordedAt.UnixNano())
	b = binary.AppendUvarint(b, uint64(len(e.Fields)))
	for k, v := range e.Fields {
		b = appendString(b, k)
		var err error
		if b, err = appendValue(b, v); err != nil {
			return nil, fmt.Errorf("field %s: %w", k, err)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(p.Points)))
	for _, pt := range p.Points {
		b = binary.AppendVarint(b, int64(pt.Version))
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(pt.Raw))
	}
	return appendString(b, p.Digest), nil
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case string:
		return appendString(append(b, tagString), v), nil
	case bool:
		if v {
			return append(b, tagTrue), nil
		}
		return append(b, tagFalse), nil
	case json.Number:
		return appendString(append(b, tagNumber), string(v)), nil
	case int64:
		return appendString(append(b, tagNumber), strconv.FormatInt(v, 10)), nil
	case int:
		return appendString(append(b, tagNumber), strconv.Itoa(v)), nil
	case float64:
		text, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		return appendString(append(b, tagNumber), string(text)), nil
	}
	text, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return appendString(append(b, tagJSON), string(text)), nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// errSpool is what a spilled event that does not decode is: the spool is
// this process's own temporary file, so only a fault can cause it.
var errSpool = errors.New("the spooled upload is damaged")

// spoolReader decodes spooled events from one record.
type spoolReader struct{ r *bytes.Reader }

func (d spoolReader) uvarint() uint64 {
	n, err := binary.ReadUvarint(d.r)
	if err != nil {
		panic(errSpool)
	}
	return n
}

func (d spoolReader) varint() int64 {
	n, err := binary.ReadVarint(d.r)
	if err != nil {
		panic(errSpool)
	}
	return n
}

func (d spoolReader) bytes(n uint64) []byte {
	if n > uint64(d.r.Len()) {
		panic(errSpool)
	}
	b := make([]byte, n)
	d.r.Read(b)
	return b
}

func (d spoolReader) string() string { return string(d.bytes(d.uvarint())) }

// decodeSpooled reads one spooled event written by appendSpooled.
func decodeSpooled(record []byte) (p spooled, err error) {
	defer func() {
		if r := recover(); r != nil {
			if r != errSpool {
				panic(r)
			}
			err = errSpool
		}
	}()
	d := spoolReader{bytes.NewReader(record)}
	e := &probity.Event{}
	p.Line, p.Event = int(d.uvarint()), e
	e.Domain, e.Key, e.Type, e.Kind, e.Cures = d.string(), d.string(), d.string(), probity.SubjectKind(d.string()), d.string()
	copy(e.Subject[:], d.bytes(uint64(len(e.Subject))))
	e.OccurredAt, e.RecordedAt = time.Unix(0, d.varint()).UTC(), time.Unix(0, d.varint()).UTC()
	n := d.uvarint()
	e.Fields = make(map[string]any, n)
	for range n {
		k := d.string()
		tag, err := d.r.ReadByte()
		if err != nil {
			return p, errSpool
		}
		switch tag {
		case tagString:
			e.Fields[k] = d.string()
		case tagTrue, tagFalse:
			e.Fields[k] = tag == tagTrue
		case tagNumber:
			e.Fields[k] = json.Number(d.string())
		case tagJSON:
			dec := json.NewDecoder(bytes.NewReader(d.bytes(d.uvarint())))
			dec.UseNumber()
			var v any
			if err := dec.Decode(&v); err != nil {
				return p, errSpool
			}
			e.Fields[k] = v
		default:
			return p, errSpool
		}
	}
	p.Points = make([]probity.Points, d.uvarint())
	for i := range p.Points {
		p.Points[i].Version = int(d.varint())
		p.Points[i].Raw = math.Float64frombits(binary.BigEndian.Uint64(d.bytes(8)))
	}
	p.Digest = d.string()
	if d.r.Len() != 0 {
		return p, errSpool
	}
	return p, nil
}
