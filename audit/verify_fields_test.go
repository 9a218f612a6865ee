package audit

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"reflect"
	"testing"
)

// slowFields is what the verifier did before parseFields: a json.Decoder
// with UseNumber, then json.Marshal; canonical tells whether b is exactly
// the encoding of what it decodes to.
func slowFields(b []byte) (fields map[string]any, canonical bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&fields); err != nil {
		return nil, false
	}
	out, err := json.Marshal(fields)
	return fields, err == nil && bytes.Equal(out, b)
}

// checkParseFields fails if parseFields accepts b while the slow way
// decodes it to something else or finds it not canonical.
func checkParseFields(t *testing.T, b []byte) bool {
	t.Helper()
	got, ok := parseFields(b)
	if !ok {
		return false
	}
	want, canonical := slowFields(b)
	if !canonical {
		t.Errorf("parseFields(%q) accepted fields that are not canonical", b)
	} else if !reflect.DeepEqual(got, want) {
		t.Errorf("parseFields(%q) = %#v, the decoder gives %#v", b, got, want)
	}
	return true
}

// TestParseFields checks that the verifier's one-pass fields parser accepts
// the canonical JSON Probity writes, giving what a json.Decoder gives, and
// leaves to the slow way everything not canonical (white space, keys out
// of order or twice, escapes, numbers not in JSON's grammar, trailing
// bytes), so that a changed row is still reported.
func TestParseFields(t *testing.T) {
	for _, tt := range []struct {
		fields string
		fast   bool // parseFields must take it; otherwise it must not
	}{
		{`{}`, true},
		{`{"amount":120.5,"days":30}`, true},
		{`{"a":-0,"b":0.5e10,"c":1E+2,"d":-12.25e-3,"e":1.0}`, true},
		{`{"a":true,"b":false,"c":null}`, true},
		{`{"a":[],"b":[1,"x",[true,null]],"c":{},"d":{"x":{"y":"z"}}}`, true},
		{`{"":"","a":"b c!~'"}`, true},
		{`{"note":"ok"}`, true},
		{`null`, false},
		{`[]`, false},
		{``, false},
		{`{`, false},
		{`{"a":1`, false},
		{`{"a":1,}`, false},
		{`{"a" :1}`, false},
		{`{"a":1 }`, false},
		{` {"a":1}`, false},
		{`{"a":1}` + "\n", false},
		{`{"a":1}{}`, false},
		{`{"a":1}x`, false},
		{`{"b":1,"a":2}`, false},
		{`{"a":1,"a":2}`, false},
		{`{"a":01}`, false},
		{`{"a":1.}`, false},
		{`{"a":.5}`, false},
		{`{"a":+1}`, false},
		{`{"a":1e}`, false},
		{`{"a":-}`, false},
		{`{"a":NaN}`, false},
		{`{"a":tru}`, false},
		{`{"a":truex}`, false},
		{`{"a":"x\"y"}`, false},
		{`{"a":"\u0041"}`, false},
		{`{"a":"<b>"}`, false},
		{`{"a":"&"}`, false},
		{`{"a":"Zürich"}`, false},
		{"{\"a\":\"\xff\"}", false},
		{"{\"a\":\"\t\"}", false},
		{`{"a":"x`, false},
		{`{"a":[1,]}`, false},
		{`{"a":[1 ]}`, false},
		{`{"a":{"b":1,"a":2}}`, false},
		{`{"a":` + deep(maxFieldsDepth+1) + `}`, false},
		{`{"a":` + deep(maxFieldsDepth-1) + `}`, true},
	} {
		if got := checkParseFields(t, []byte(tt.fields)); got != tt.fast {
			t.Errorf("parseFields(%q) took it: %v, want %v", tt.fields, got, tt.fast)
		}
	}
}

// deep returns n nested arrays around a number.
func deep(n int) string {
	s := "1"
	for range n {
		s = "[" + s + "]"
	}
	return s
}

// TestParseFieldsMutations changes canonical fields a byte at a time: each
// variant parseFields takes must be canonical and decode as the decoder
// decodes it.
func TestParseFieldsMutations(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	alphabet := []byte(`{}[]",:.-+eE0123456789 abtrufnl\<&` + "\x00\x7f\xc3")
	seeds := []string{
		`{"amount":120.5,"days":30,"note":"ok"}`,
		`{"a":[1,"x",{"b":null,"c":true}],"d":-0.5e-7,"e":false}`,
	}
	taken := 0
	for range 20000 {
		b := []byte(seeds[r.Intn(len(seeds))])
		for range 1 + r.Intn(3) {
			i := r.Intn(len(b))
			switch r.Intn(3) {
			case 0:
				b[i] = alphabet[r.Intn(len(alphabet))]
			case 1:
				b = append(b[:i], b[i+1:]...)
			default:
				b = append(b[:i], append([]byte{alphabet[r.Intn(len(alphabet))]}, b[i:]...)...)
			}
		}
		if checkParseFields(t, b) {
			taken++
		}
	}
	if taken == 0 {
		t.Fatal("parseFields took none of the variants; the test checks nothing")
	}
}
