package audit

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/probity-dev/probity"
)

// An event row's fields are read by the verifier, not by the store: it
// needs them decoded (the points are recomputed from them) and needs to
// know that the stored JSON is what json.Marshal makes of them (the
// canonical form the event's digest covers). Decoding with a
// json.Decoder and encoding again with json.Marshal was the largest cost
// of the row phase; parseFields does both in one pass over the bytes for
// the JSON Probity writes, and gives up on anything else, which then goes
// the slow way with the same outcome.

// fieldsRow is an event row with its fields decoded and their canonical
// JSON, or why they are not canonical.
type fieldsRow struct {
	*probity.EventRow
	canonical []byte // json.Marshal(Fields); FieldsJSON itself when they agree
	err       error  // json.Marshal's error, if any
}

// decodeFields decodes a row's fields as the store once did (a
// json.Decoder with UseNumber: numbers stay as written) and makes their
// canonical JSON.
func decodeFields(r *probity.EventRow) fieldsRow {
	if r.Invalid != "" {
		return fieldsRow{EventRow: r}
	}
	if fields, ok := parseFields(r.FieldsJSON); ok {
		r.Fields = fields
		return fieldsRow{EventRow: r, canonical: r.FieldsJSON}
	}
	dec := json.NewDecoder(bytes.NewReader(r.FieldsJSON))
	dec.UseNumber()
	if err := dec.Decode(&r.Fields); err != nil {
		r.Invalid = fmt.Sprintf("fields are not JSON: %v", err)
		return fieldsRow{EventRow: r}
	}
	canonical, err := json.Marshal(r.Fields)
	return fieldsRow{EventRow: r, canonical: canonical, err: err}
}

// maxFieldsDepth bounds the nesting parseFields follows; deeper fields
// take the slow way.
const maxFieldsDepth = 32

// parseFields decodes b, a JSON object, into what a json.Decoder with
// UseNumber gives, if b is exactly what json.Marshal makes of that (no
// white space, keys in strictly increasing order, strings of printable
// ASCII that json.Marshal writes unescaped, numbers as written). It
// reports false for anything else, valid JSON or not: the caller then
// decodes and encodes b the slow way, which decides.
func parseFields(b []byte) (map[string]any, bool) {
	p := fieldsParser{b: b}
	if len(b) == 0 || b[0] != '{' {
		return nil, false
	}
	m, ok := p.object(0)
	if !ok || p.i != len(b) {
		return nil, false
	}
	return m, true
}

// fieldsParser reads canonical JSON from b at i.
type fieldsParser struct {
	b []byte
	i int
}

// object reads an object whose '{' is at i.
func (p *fieldsParser) object(depth int) (map[string]any, bool) {
	p.i++ // '{'
	m := map[string]any{}
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return m, true
	}
	prev := ""
	for {
		key, ok := p.str()
		if !ok || (len(m) > 0 && key <= prev) || p.i >= len(p.b) || p.b[p.i] != ':' {
			return nil, false
		}
		p.i++
		v, ok := p.value(depth)
		if !ok || p.i >= len(p.b) {
			return nil, false
		}
		m[key], prev = v, key
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return m, true
		default:
			return nil, false
		}
	}
}

// array reads an array whose '[' is at i.
func (p *fieldsParser) array(depth int) ([]any, bool) {
	p.i++ // '['
	a := []any{}
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return a, true
	}
	for {
		v, ok := p.value(depth)
		if !ok || p.i >= len(p.b) {
			return nil, false
		}
		a = append(a, v)
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return a, true
		default:
			return nil, false
		}
	}
}

// value reads any value at i.
func (p *fieldsParser) value(depth int) (any, bool) {
	if p.i >= len(p.b) {
		return nil, false
	}
	switch c := p.b[p.i]; {
	case c == '"':
		return p.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == '{' && depth < maxFieldsDepth:
		return p.object(depth + 1)
	case c == '[' && depth < maxFieldsDepth:
		return p.array(depth + 1)
	case bytes.HasPrefix(p.b[p.i:], []byte("true")):
		p.i += 4
		return true, true
	case bytes.HasPrefix(p.b[p.i:], []byte("false")):
		p.i += 5
		return false, true
	case bytes.HasPrefix(p.b[p.i:], []byte("null")):
		p.i += 4
		return nil, true
	}
	return nil, false
}

// str reads a string whose '"' is at i, if it holds only bytes json.Marshal
// writes as they are (printable ASCII but '"', '\\', '<', '>' and '&').
func (p *fieldsParser) str() (string, bool) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return "", false
	}
	start := p.i + 1
	for j := start; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c == '"':
			p.i = j + 1
			return string(p.b[start:j]), true
		case c < 0x20 || c > 0x7e || c == '\\' || c == '<' || c == '>' || c == '&':
			return "", false
		}
	}
	return "", false
}

// number reads a number in JSON's grammar, kept as written.
func (p *fieldsParser) number() (json.Number, bool) {
	b, start := p.b, p.i
	i := start
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return "", false
	}
	if i < len(b) && b[i] == '.' {
		if i++; i >= len(b) || b[i] < '0' || b[i] > '9' {
			return "", false
		}
		i = digits(b, i)
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		if i++; i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return "", false
		}
		i = digits(b, i)
	}
	p.i = i
	return json.Number(b[start:i]), true
}

// digits returns the index after the run of digits at i.
func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}
