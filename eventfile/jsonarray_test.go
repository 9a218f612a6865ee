package eventfile_test

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/eventfile"
)

func TestJSONArray(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		want []event
	}{
		{name: "OK", in: `[{"key":"k1","type":"loan_repaid","fields":{"amount":12000}},` + "\n" + ` {"key":"k2","cures":"k1"}]` + "\n",
			want: []event{
				{Line: 1, Key: "k1", Type: "loan_repaid", Fields: map[string]any{"amount": json.Number("12000")}},
				{Line: 2, Key: "k2", Cures: "k1"}}},
		{name: "OKEmpty", in: " [ ] "},
		{name: "OKNoInput", in: ""},
		{name: "ErrElements", in: `[{"amout":1}, 5, {"key":7}, {"key":"k4"}]`,
			want: []event{
				{Line: 1, Err: `unknown key "amout"; ` + allowedKeys},
				{Line: 2, Err: "an event must be a JSON object with keys key, type, subject, occurred_at, fields, cures; got a number"},
				{Line: 3, Err: `"key" must be a string, got a number`},
				{Line: 4, Key: "k4"}}},
		{name: "ErrNotUTF8", in: "[{\"key\":\"k1\"},\n {\"subject\":\"Caf\xe9 au lait\"},\n" +
			` {"key":"\ud800"}, {"fields":{"note":"\udc00\ud83d\ude00"}}, {"key":"\ud83d\ude00"}]`,
			want: []event{
				{Line: 1, Key: "k1"},
				{Line: 2, Err: `"subject" is not valid UTF-8: byte 0xE9 at byte 16; ` + sendUTF8},
				{Line: 3, Err: `"key" is not valid UTF-8: \ud800 at byte 9 ` + halfPair},
				{Line: 4, Err: `field "note" is not valid UTF-8: \udc00 at byte 20 ` + halfPair},
				{Line: 5, Key: "😀"}}},
		{name: "ErrBroken", in: `[{"key":"k1"}, {"key" "k2"}, {"key":"k3"}]`,
			want: []event{
				{Line: 1, Key: "k1"},
				{Line: 2, Err: "invalid JSON: invalid character '\"' after object key"}}},
		{name: "ErrTrailingComma", in: `[{"key":"k1"},]`,
			want: []event{
				{Line: 1, Key: "k1"},
				{Line: 2, Err: "invalid JSON: invalid character ..."}}}, // the rest is encoding/json's, which Go versions word differently
		{name: "ErrNotClosed", in: `[{"key":"k1"}`,
			want: []event{{Line: 1, Key: "k1"}, {Line: 2, Err: "invalid JSON: the input ends before the array is closed"}}},
		{name: "ErrElementNotClosed", in: `[{"key":"k1"`,
			want: []event{{Line: 1, Err: "invalid JSON: the input ends before the array is closed"}}},
		{name: "ErrDataAfterArray", in: `[{"key":"k1"}] {"key":"k2"}`,
			want: []event{{Line: 1, Key: "k1"}, {Line: 2, Err: "unexpected data after the closing ] of the array"}}},
		{name: "ErrGarbageAfterArray", in: `[] x`,
			want: []event{{Line: 1, Err: "unexpected data after the closing ] of the array"}}},
		{name: "ErrNotArray", in: `{"key":"k1"}`,
			want: []event{{Line: 1, Err: "want a JSON array of event objects, starting with ["}}},
		{name: "ErrNotJSON", in: `key,type`,
			want: []event{{Line: 1, Err: "invalid JSON: invalid character 'k' looking for beginning of value"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assertEvents(t, readAll(t, eventfile.NewJSONArrayReader(strings.NewReader(tt.in))), tt.want)
		})
	}
}

func FuzzJSONArray(f *testing.F) {
	for _, s := range []string{
		`[{"key":"k1","fields":{"a":1}},{"key":"k2"}]`, `[]`, `[1,"x",null,[]]`, `[{"amout":1},{`, `[{}] x`,
		`{"key":"k1"}`, "\xEF\xBB\xBF[ {\"key\":\"\\u00e9\"} ]", `[{"fields":{"a":[{"b":[]}]}}`,
		"[{\"key\":\"Caf\xe9\"},{\"key\":\"\\ud800\"},{\"key\":\"\\ud83d\\ude00\"}]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := eventfile.NewJSONArrayReader(bytes.NewReader(data))
		last := 0
		for range len(data) + 2 {
			in, err := r.Next()
			if err == io.EOF {
				return
			} else if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if in.Line != last+1 && !(in.Err != nil && in.Line == last) {
				t.Fatalf("Line=%d after element %d", in.Line, last)
			}
			last = in.Line
			if in.Err != nil {
				assertInvalid(t, in.Err)
			} else if hasReplacement(in) && !bytes.Contains(data, []byte("\uFFFD")) &&
				!bytes.Contains(bytes.ToLower(data), []byte(`\ufffd`)) {
				t.Fatalf("element %d has U+FFFD, which %q does not: invalid UTF-8 was replaced", in.Line, data)
			}
		}
		t.Fatalf("Next did not return io.EOF after %d bytes", len(data))
	})
}

func BenchmarkJSONArray(b *testing.B) {
	const n = 100_000
	lines := bytes.Split(bytes.TrimSuffix(ndjsonInput(n), []byte("\n")), []byte("\n"))
	data := append(append([]byte("[\n"), bytes.Join(lines, []byte(",\n"))...), "\n]\n"...)
	benchmarkReader(b, data, n, func(r io.Reader) (probity.EventReader, error) {
		return eventfile.NewJSONArrayReader(r), nil
	})
}

// hasReplacement reports whether a string of in has U+FFFD, the character
// encoding/json puts for invalid UTF-8 and half surrogate pairs.
func hasReplacement(in probity.EventInput) bool {
	var has func(v any) bool
	has = func(v any) bool {
		switch v := v.(type) {
		case string:
			return strings.ContainsRune(v, utf8.RuneError)
		case []any:
			return slices.ContainsFunc(v, has)
		case map[string]any:
			for k, e := range v {
				if has(k) || has(e) {
					return true
				}
			}
		}
		return false
	}
	return has(in.Key) || has(in.Type) || has(in.Subject) || has(in.OccurredAt) || has(in.Cures) || has(in.Fields)
}
