package eventfile_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/eventfile"
)

const allowedKeys = "allowed: key, type, subject, occurred_at, fields, cures"

// The ends of the messages for text that is not valid UTF-8.
const (
	sendUTF8 = "text must be sent as UTF-8"
	halfPair = `is half of a surrogate pair; an escape \ud800-\udbff must be followed by one \udc00-\udfff`
)

func TestNDJSON(t *testing.T) {
	long := `{"key":"` + strings.Repeat("a", eventfile.MaxLineSize-10) + `"}`
	for _, tt := range []struct {
		name string
		in   string
		want []event
	}{
		{name: "OK", in: `{"key":"k1","type":"loan_repaid","subject":"cn-rid:11010519491231002X","occurred_at":"2024-01-02T00:00:00Z",` +
			`"fields":{"amount":12000,"big":12345678901234567890,"rate":1.5e-3,"note":"x","flag":true,"none":null},"cures":"k0"}` + "\n",
			want: []event{{Line: 1, Key: "k1", Type: "loan_repaid", Subject: "cn-rid:11010519491231002X", OccurredAt: "2024-01-02T00:00:00Z",
				Fields: map[string]any{"amount": json.Number("12000"), "big": json.Number("12345678901234567890"),
					"rate": json.Number("1.5e-3"), "note": "x", "flag": true, "none": nil}, Cures: "k0"}}},
		{name: "OKBlankLinesCounted", in: "\n" + `{"key":"k1"}` + "\r\n  \t\r\n" + `  { "key" : "k2" , "fields" : { } }  ` + "\n\n",
			want: []event{{Line: 2, Key: "k1"}, {Line: 4, Key: "k2", Fields: map[string]any{}}}},
		{name: "OKNoFinalNewline", in: `{"key":"k1"}` + "\n" + `{"key":"k2"}`,
			want: []event{{Line: 1, Key: "k1"}, {Line: 2, Key: "k2"}}},
		{name: "OKEscapesAndUnicode", in: `{"key":"a\"b\u00e9\n","subject":"person:ü","fields":{"n\u0061me":"\ud83d\ude00"}}`,
			want: []event{{Line: 1, Key: "a\"bé\n", Subject: "person:ü", Fields: map[string]any{"name": "😀"}}}},
		{name: "OKSurrogatePairsAndReplacementCharacter", in: `{"key":"\uD83D\uDE00\ud83d\ude00","subject":"\ufffd�",` +
			`"fields":{"\ud83d\ude00":"\\ud800"}}`,
			want: []event{{Line: 1, Key: "😀😀", Subject: "\uFFFD\uFFFD", Fields: map[string]any{"😀": `\ud800`}}}},
		{name: "OKNestedFieldValues", in: `{"fields":{"list":[1,2.5,"x"],"obj":{"a":{"b":[]}}}}`,
			want: []event{{Line: 1, Fields: map[string]any{
				"list": []any{json.Number("1"), json.Number("2.5"), "x"},
				"obj":  map[string]any{"a": map[string]any{"b": []any{}}}}}}},
		{name: "OKNulls", in: `{"key":"k1","cures":null,"fields":null}`,
			want: []event{{Line: 1, Key: "k1"}}},
		{name: "OKEmptyObject", in: `{}`, want: []event{{Line: 1}}},
		{name: "OKLongestLine", in: long + strings.Repeat(" ", eventfile.MaxLineSize-len(long)) + "\r\n" + `{"key":"k2"}`,
			want: []event{{Line: 1, Key: long[8 : len(long)-2]}, {Line: 2, Key: "k2"}}},

		{name: "ErrInvalidJSON", in: `{"key":"k1"` + "\n" + `{"key":"k2"}`,
			want: []event{{Line: 1, Err: "invalid JSON: unexpected end of JSON input (at byte 11)"}, {Line: 2, Key: "k2"}}},
		{name: "ErrInvalidJSONBeforeUnknownKey", in: `{"amout":1,}`,
			want: []event{{Line: 1, Err: "invalid JSON: invalid character '}' looking for beginning of object key string (at byte 12)"}}},
		{name: "ErrTwoObjectsOnALine", in: `{"key":"k1"} {"key":"k2"}`,
			want: []event{{Line: 1, Err: "invalid JSON: invalid character '{' after top-level value (at byte 14)"}}},
		{name: "ErrUnknownKey", in: `{"key":"k1","amout":5}`,
			want: []event{{Line: 1, Err: `unknown key "amout"; ` + allowedKeys}}},
		{name: "ErrKeyCase", in: `{"Key":"k1"}`,
			want: []event{{Line: 1, Err: `unknown key "Key"; ` + allowedKeys}}},
		{name: "ErrUnknownKeyTruncated", in: `{"` + strings.Repeat("x", 500) + `":1}`,
			want: []event{{Line: 1, Err: `unknown key "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"... (500 bytes); ` + allowedKeys}}},
		{name: "ErrNotString", in: `{"key":"k1","subject":110105194912310021}`,
			want: []event{{Line: 1, Err: `"subject" must be a string, got a number`}}},
		{name: "ErrNullKey", in: `{"key":null}`,
			want: []event{{Line: 1, Err: `"key" must be a string, got null`}}},
		{name: "ErrCuresNotString", in: `{"cures":["k0"]}`,
			want: []event{{Line: 1, Err: `"cures" must be a string, got an array`}}},
		{name: "ErrFieldsNotObject", in: `{"fields":[1,2]}`,
			want: []event{{Line: 1, Err: "fields must be an object, got an array"}}},
		{name: "ErrFieldsString", in: `{"fields":"amount=5"}`,
			want: []event{{Line: 1, Err: "fields must be an object, got a string"}}},
		{name: "ErrDuplicateKey", in: `{"key":"k1","key":"k2"}`,
			want: []event{{Line: 1, Err: `key "key" appears twice`}}},
		{name: "ErrDuplicateField", in: `{"fields":{"amount":1,"amount":2}}`,
			want: []event{{Line: 1, Err: `field "amount" appears twice`}}},
		{name: "ErrNotObject", in: `["k1"]` + "\n" + `"k2"`,
			want: []event{
				{Line: 1, Err: "an event must be a JSON object with keys key, type, subject, occurred_at, fields, cures; got an array"},
				{Line: 2, Err: "an event must be a JSON object with keys key, type, subject, occurred_at, fields, cures; got a string"}}},
		{name: "ErrBadNumber", in: `{"fields":{"amount":012}}`,
			want: []event{{Line: 1, Err: "invalid JSON: invalid character '1' after object key:value pair (at byte 22)"}}},
		{name: "ErrBadEscape", in: `{"key":"a\x"}`,
			want: []event{{Line: 1, Err: "invalid JSON: invalid ..."}}}, // encoding/json's words, which Go versions change
		{name: "ErrInvalidUTF8Value", in: "{\"key\":\"k1\",\"subject\":\"Caf\xe9 au lait\"}\n{\"key\":\"k2\"}",
			want: []event{{Line: 1, Err: `"subject" is not valid UTF-8: byte 0xE9 at byte 27; ` + sendUTF8}, {Line: 2, Key: "k2"}}},
		{name: "ErrInvalidUTF8ValueWithEscapes", in: "{\"cures\":\"\\\"k\xff\\\"\"}",
			want: []event{{Line: 1, Err: `"cures" is not valid UTF-8: byte 0xFF at byte 14; ` + sendUTF8}}},
		{name: "ErrInvalidUTF8Key", in: "{\"key\":\"k1\",\"k\xe9y\":\"k2\"}",
			want: []event{{Line: 1, Err: `a key is not valid UTF-8: byte 0xE9 at byte 15; ` + sendUTF8}}},
		{name: "ErrInvalidUTF8FieldName", in: "{\"fields\":{\"am\xc3\":1}}",
			want: []event{{Line: 1, Err: `a field name is not valid UTF-8: byte 0xC3 at byte 15; ` + sendUTF8}}},
		{name: "ErrInvalidUTF8FieldValue", in: "{\"fields\":{\"note\":\"caf\xe9\"}}",
			want: []event{{Line: 1, Err: `field "note" is not valid UTF-8: byte 0xE9 at byte 23; ` + sendUTF8}}},
		{name: "ErrInvalidUTF8Nested", in: "{\"fields\":{\"list\":[\"ok\",{\"\xed\xa0\x80\":1}]}}",
			want: []event{{Line: 1, Err: `field "list" is not valid UTF-8: byte 0xED at byte 27; ` + sendUTF8}}},
		{name: "ErrLoneHighSurrogate", in: `{"key":"a\ud800"}` + "\n" + `{"key":"k2"}`,
			want: []event{{Line: 1, Err: `"key" is not valid UTF-8: \ud800 at byte 10 ` + halfPair}, {Line: 2, Key: "k2"}}},
		{name: "ErrLoneLowSurrogate", in: `{"subject":"\uDC00b"}`,
			want: []event{{Line: 1, Err: `"subject" is not valid UTF-8: \uDC00 at byte 13 ` + halfPair}}},
		{name: "ErrHighSurrogateThenOtherEscape", in: `{"type":"\ud83d\u0041"}`,
			want: []event{{Line: 1, Err: `"type" is not valid UTF-8: \ud83d at byte 10 ` + halfPair}}},
		{name: "ErrTwoHighSurrogates", in: `{"occurred_at":"\ud83d\ud83d\ude00"}`,
			want: []event{{Line: 1, Err: `"occurred_at" is not valid UTF-8: \ud83d at byte 17 ` + halfPair}}},
		{name: "ErrHighSurrogateAtEnd", in: `{"key":"x\ud83d"}`,
			want: []event{{Line: 1, Err: `"key" is not valid UTF-8: \ud83d at byte 10 ` + halfPair}}},
		{name: "ErrSurrogateAfterEscapedBackslash", in: `{"key":"\\\udc00"}`,
			want: []event{{Line: 1, Err: `"key" is not valid UTF-8: \udc00 at byte 11 ` + halfPair}}},
		{name: "ErrSurrogateKey", in: `{"\ud800":1}`,
			want: []event{{Line: 1, Err: `a key is not valid UTF-8: \ud800 at byte 3 ` + halfPair}}},
		{name: "ErrSurrogateFieldName", in: `{"fields":{"a\udfff":1}}`,
			want: []event{{Line: 1, Err: `a field name is not valid UTF-8: \udfff at byte 14 ` + halfPair}}},
		{name: "ErrSurrogateNested", in: `{"fields":{"obj":{"a":["\ud800"]}}}`,
			want: []event{{Line: 1, Err: `field "obj" is not valid UTF-8: \ud800 at byte 25 ` + halfPair}}},
		{name: "ErrInvalidJSONBeforeUTF8", in: "{\"key\":\"\xff\\ud800",
			want: []event{{Line: 1, Err: "invalid JSON: unexpected end of JSON input (at byte 15)"}}},
		{name: "ErrLineTooLong", in: long + strings.Repeat(" ", eventfile.MaxLineSize-len(long)+1) + "\n" + `{"key":"k2"}` + "\n" + long + long,
			want: []event{{Line: 1, Err: "the line is longer than 1048576 bytes (1 MiB)"}, {Line: 2, Key: "k2"},
				{Line: 3, Err: "the line is longer than 1048576 bytes (1 MiB)"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assertEvents(t, readAll(t, eventfile.NewNDJSONReader(strings.NewReader(tt.in))), tt.want)
		})
	}
}

func FuzzNDJSON(f *testing.F) {
	for _, s := range []string{
		`{"key":"k1","type":"t","subject":"person:a","occurred_at":"2024-01-02","fields":{"a":1,"b":"x","c":[1,{"d":null}]},"cures":"k0"}`,
		`{"key":"a\"\u00e9\ud83d\ude00"}` + "\n\n" + `{"fields":{"x":-0.5e+10}}`,
		`{"key":1}`, `{"fields":[]}`, `{"amout":1}`, `{"key":"a","key":"b"}`, "{\"key\":\"\xff\"}", `{"key":"k"} x`,
		"\xEF\xBB\xBF{}\r\n{", `{"fields":{"a":[[[[]]]]}}`, `{"fields":{"a":tru}}`, `{"cures":null,"fields":null}`,
		"{\"subject\":\"Caf\xe9 au lait\"}", `{"key":"\ud800"}`, `{"key":"\udc00\ud800"}`, `{"\\\ud83d\u0041":1}`,
		`{"fields":{"a":["\uD83D\uDE00"],"\\ud800":"\ud83d\ude00"}}`, "{\"fields\":{\"a\":{\"\xed\xa0\x80\":1}}}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := bytes.Split(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")), []byte("\n"))
		r := eventfile.NewNDJSONReader(bytes.NewReader(data))
		for range len(lines) + 1 {
			in, err := r.Next()
			if err == io.EOF {
				return
			} else if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if in.Line < 1 || in.Line > len(lines) {
				t.Fatalf("Line=%d of %d lines", in.Line, len(lines))
			}
			line := bytes.TrimSuffix(lines[in.Line-1], []byte("\r"))
			valid, text := json.Valid(line), isUTF8JSON(line)
			switch {
			case in.Err == nil:
				if !valid || !text {
					t.Fatalf("line %q (json.Valid %t, UTF-8 %t) decoded as %+v", line, valid, text, in)
				}
				assertSameAsEncodingJSON(t, line, event{Key: in.Key, Type: in.Type, Subject: in.Subject,
					OccurredAt: in.OccurredAt, Fields: in.Fields, Cures: in.Cures})
			case strings.HasPrefix(in.Err.Error(), "invalid JSON") == valid:
				t.Fatalf("line %q (json.Valid %t): %v", line, valid, in.Err)
			case strings.Contains(in.Err.Error(), "not valid UTF-8") && text:
				t.Fatalf("line %q is valid UTF-8: %v", line, in.Err)
			}
		}
		t.Fatalf("Next did not return io.EOF after %d lines", len(lines))
	})
}

// isUTF8JSON reports whether the JSON text line is valid UTF-8 once its
// escapes are resolved: its bytes are, and each \u escape of a surrogate is
// half of a pair (which encoding/json would replace with U+FFFD). It is the
// fuzz tests' oracle, written apart from the decoder's check.
func isUTF8JSON(line []byte) bool {
	if !utf8.Valid(line) {
		return false
	}
	var units []uint16 // a run of \u escapes
	flush := func() bool {
		for i := 0; i < len(units); i++ {
			if !utf16.IsSurrogate(rune(units[i])) {
				continue
			}
			if i+1 == len(units) || utf16.DecodeRune(rune(units[i]), rune(units[i+1])) == unicode.ReplacementChar {
				return false
			}
			i++
		}
		units = units[:0]
		return true
	}
	for i := 0; i < len(line); i++ {
		if line[i] != '\\' {
			if !flush() {
				return false
			}
			continue
		}
		if i+5 < len(line) && line[i+1] == 'u' {
			if u, err := strconv.ParseUint(string(line[i+2:i+6]), 16, 16); err == nil {
				units = append(units, uint16(u))
				i += 5
				continue
			}
		}
		if !flush() {
			return false
		}
		i++ // the escaped byte
	}
	return flush()
}

// assertSameAsEncodingJSON fails unless got is what encoding/json (with
// UseNumber) decodes from line.
func assertSameAsEncodingJSON(tb testing.TB, line []byte, got event) {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var ref map[string]any
	if err := dec.Decode(&ref); err != nil {
		tb.Fatalf("encoding/json cannot decode %q: %v", line, err)
	}
	str := func(key string) string { s, _ := ref[key].(string); return s }
	want := event{Key: str("key"), Type: str("type"), Subject: str("subject"), OccurredAt: str("occurred_at"), Cures: str("cures")}
	if m, ok := ref["fields"].(map[string]any); ok {
		want.Fields = m
	}
	if len(got.Fields) == 0 && len(want.Fields) == 0 {
		got.Fields, want.Fields = nil, nil
	}
	if !reflect.DeepEqual(got, want) {
		tb.Fatalf("decoded %q as\n%+v\nencoding/json says\n%+v", line, got, want)
	}
	for k := range ref {
		if !slices.Contains(eventfile.Keys, k) {
			tb.Fatalf("decoded %q with key %q", line, k)
		}
	}
}

// ndjsonInput returns n NDJSON event lines like those a lender reports.
func ndjsonInput(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, `{"key":"loan-%d","type":"payment_late","subject":"cn-rid:11010519491231002X",`+
			`"occurred_at":"2024-03-%02dT10:00:00Z","fields":{"days_late":%d,"amount":%d.50}}`+"\n", i, i%28+1, i%120, 1000+i)
	}
	return b.Bytes()
}

// ndjsonTextInput returns n NDJSON event lines with text beyond ASCII, raw
// and escaped (a branch in Chinese, a note with an emoji as a surrogate pair),
// the lines that take the decoder's slower paths.
func ndjsonTextInput(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, `{"key":"loan-%d","type":"payment_late","subject":"cn-rid:11010519491231002X",`+
			`"occurred_at":"2024-03-%02dT10:00:00Z","fields":{"days_late":%d,"branch":"北京朝阳支行",`+
			`"note":"paid \"late\" \ud83d\ude00 caf\u00e9"}}`+"\n", i, i%28+1, i%120)
	}
	return b.Bytes()
}

func BenchmarkNDJSON(b *testing.B) { benchmarkReader(b, ndjsonInput(100_000), 100_000, ndjsonReader) }

func BenchmarkNDJSONText(b *testing.B) {
	benchmarkReader(b, ndjsonTextInput(100_000), 100_000, ndjsonReader)
}

func ndjsonReader(r io.Reader) (probity.EventReader, error) { return eventfile.NewNDJSONReader(r), nil }

// benchmarkReader reads data, n events, with the reader newReader returns
// and reports events per second; an event with Err fails the benchmark.
func benchmarkReader(b *testing.B, data []byte, n int, newReader func(io.Reader) (probity.EventReader, error)) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := newReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		count := 0
		for {
			in, err := r.Next()
			if err == io.EOF {
				break
			} else if err != nil || in.Err != nil {
				b.Fatal(err, in.Err)
			}
			count++
		}
		if count != n {
			b.Fatalf("read %d events, want %d", count, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
