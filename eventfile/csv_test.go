package eventfile_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/eventfile"
)

func TestCSV(t *testing.T) {
	const header = "key,type,subject,occurred_at,cures,amount,days_late\n"
	long := strings.Repeat("a", eventfile.MaxLineSize+1)
	for _, tt := range []struct {
		name string
		in   string
		want []event
	}{
		{name: "OK", in: header +
			"k1,loan_repaid,cn-rid:11010519491231002X,2024-01-02T00:00:00Z,,12000.50,\n" +
			"k2,payment_settled,person:a,2024-01-03,k0,,\n",
			want: []event{
				{Line: 2, Key: "k1", Type: "loan_repaid", Subject: "cn-rid:11010519491231002X", OccurredAt: "2024-01-02T00:00:00Z",
					Fields: map[string]any{"amount": "12000.50"}, FieldsAsText: true},
				{Line: 3, Key: "k2", Type: "payment_settled", Subject: "person:a", OccurredAt: "2024-01-03", Cures: "k0", FieldsAsText: true}}},
		{name: "OKNoFieldColumns", in: "key,type,subject,occurred_at,cures\r\nk1,t,person:a,2024-01-02,\r\n",
			want: []event{{Line: 2, Key: "k1", Type: "t", Subject: "person:a", OccurredAt: "2024-01-02", FieldsAsText: true}}},
		{name: "OKQuotedAndMultiline", in: header + "\"k,1\",t,person:a,2024-01-02,,\"1\n2\",\"\"\"x\"\"\"\n\nk2,t,person:b,2024-01-02,,,7",
			want: []event{
				{Line: 2, Key: "k,1", Type: "t", Subject: "person:a", OccurredAt: "2024-01-02",
					Fields: map[string]any{"amount": "1\n2", "days_late": `"x"`}, FieldsAsText: true},
				{Line: 5, Key: "k2", Type: "t", Subject: "person:b", OccurredAt: "2024-01-02",
					Fields: map[string]any{"days_late": "7"}, FieldsAsText: true}}},
		{name: "OKBOM", in: "\xEF\xBB\xBF" + header + "k1,t,person:a,2024-01-02,,,\n",
			want: []event{{Line: 2, Key: "k1", Type: "t", Subject: "person:a", OccurredAt: "2024-01-02", FieldsAsText: true}}},

		{name: "ErrNotUTF8", in: header + "k1,t,person:a,2024-01-02,,\"12\n\xff\",\nk2,t,Caf\xe9 au lait,2024-01-02,,,\n" +
			"k3,t,person:\xed\xa0\x80,2024-01-02,,,\nk4,t,person:é,2024-01-02,,,\n",
			want: []event{
				{Line: 2, Err: `"amount" (line 2, column 27) is not valid UTF-8: byte 0xFF at byte 4 of the value; save the file as UTF-8`},
				{Line: 4, Err: `"subject" (line 4, column 6) is not valid UTF-8: byte 0xE9 at byte 4 of the value; save the file as UTF-8`},
				{Line: 5, Err: `"subject" (line 5, column 6) is not valid UTF-8: byte 0xED at byte 8 of the value; save the file as UTF-8`},
				{Line: 6, Key: "k4", Type: "t", Subject: "person:é", OccurredAt: "2024-01-02", FieldsAsText: true}}},
		{name: "ErrColumnCount", in: header + "k1,t,person:a,2024-01-02,,5\nk2,t,person:a,2024-01-02,,5,6,7\nk3,t,person:a,2024-01-02,,,\n",
			want: []event{
				{Line: 2, Err: "the record has 6 columns, the header 7"},
				{Line: 3, Err: "the record has 8 columns, the header 7"},
				{Line: 4, Key: "k3", Type: "t", Subject: "person:a", OccurredAt: "2024-01-02", FieldsAsText: true}}},
		{name: "ErrBareQuote", in: header + "k1,t,person:a,2024-01-02,,1\"2,\nk2,t,person:a,2024-01-02,,,\n",
			want: []event{
				{Line: 2, Err: `invalid CSV at line 2, column 28: bare " in non-quoted-field`},
				{Line: 3, Key: "k2", Type: "t", Subject: "person:a", OccurredAt: "2024-01-02", FieldsAsText: true}}},
		{name: "ErrUnclosedQuote", in: header + "k1,t,person:a,2024-01-02,,\"1,\nk2,t,person:a,2024-01-02,,,\n",
			want: []event{{Line: 2, Err: `invalid CSV at line 3, column 29: extraneous or missing " in quoted-field`}}},
		{name: "ErrLineTooLong", in: header + "k1,t,person:a,2024-01-02,,,\n" + long + "\n\n" + long + "\r\nk2,t,person:a,2024-01-02,,,\n" + long,
			want: []event{
				{Line: 2, Key: "k1", Type: "t", Subject: "person:a", OccurredAt: "2024-01-02", FieldsAsText: true},
				{Line: 3, Err: "the line is longer than 1048576 bytes (1 MiB)"},
				{Line: 5, Err: "the line is longer than 1048576 bytes (1 MiB)"},
				{Line: 6, Key: "k2", Type: "t", Subject: "person:a", OccurredAt: "2024-01-02", FieldsAsText: true},
				{Line: 7, Err: "the line is longer than 1048576 bytes (1 MiB)"}}},
		{name: "ErrLineTooLongInRecord", in: header + "k1,t,person:a,2024-01-02,,\"x\n" + long + "\ny\",\nk2,t,person:a,2024-01-02,,,\n",
			want: []event{
				{Line: 2, Err: "line 3 of the record is longer than 1048576 bytes (1 MiB)"},
				{Line: 5, Key: "k2", Type: "t", Subject: "person:a", OccurredAt: "2024-01-02", FieldsAsText: true}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := eventfile.NewCSVReader(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			assertEvents(t, readAll(t, r), tt.want)
		})
	}
}

func TestCSVHeader(t *testing.T) {
	const want = "key,type,subject,occurred_at,cures"
	for _, tt := range []struct {
		name   string
		in     string
		fields []string
		err    string
	}{
		{name: "OK", in: want + ",amount,days_late\n", fields: []string{"amount", "days_late"}},
		{name: "OKNoFields", in: want, fields: []string{}},
		{name: "ErrEmpty", in: "",
			err: "line 1: the input is empty; a CSV file starts with the header " + want + ",<field>..."},
		{name: "ErrMissingColumn", in: "key,type,subject,occurred_at\n",
			err: `line 1: the CSV header must start with ` + want + `, then one column per field; got "key,type,subject,occurred_at"`},
		{name: "ErrOrder", in: "type,key,subject,occurred_at,cures\n",
			err: `line 1: the CSV header must start with ` + want + `, then one column per field; got "type,key,subject,occurred_at,cures"`},
		{name: "ErrCase", in: "Key,type,subject,occurred_at,cures\n",
			err: `line 1: the CSV header must start with ` + want + `, then one column per field; got "Key,type,subject,occurred_at,cures"`},
		{name: "ErrDuplicateField", in: want + ",amount,amount\n",
			err: `line 1: column "amount" appears more than once in the CSV header`},
		{name: "ErrFixedColumnTwice", in: want + ",key\n",
			err: `line 1: column "key" appears more than once in the CSV header`},
		{name: "ErrEmptyName", in: want + ",,amount\n",
			err: "line 1: column 6 of the CSV header has no name"},
		{name: "ErrNotUTF8", in: want + ",am\xe9ount\n",
			err: `line 1: column 6 of the CSV header, "am\xe9ount", is not valid UTF-8; save the file as UTF-8`},
		{name: "ErrBadQuote", in: want + `,am"ount` + "\n",
			err: `line 1: invalid CSV header: bare " in non-quoted-field`},
		{name: "ErrTooLong", in: want + "," + strings.Repeat("a", eventfile.MaxLineSize) + "\nk1,t,person:a,2024-01-02,\n",
			err: "line 1: the line is longer than 1048576 bytes (1 MiB); a CSV file starts with the header " + want + ",<field>..."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := eventfile.NewCSVReader(strings.NewReader(tt.in))
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := r.Fields(); !reflect.DeepEqual(got, tt.fields) {
					t.Fatalf("Fields()=%q, want %q", got, tt.fields)
				}
				return
			}
			if err == nil {
				t.Fatalf("err=nil, want %q", tt.err)
			}
			assertInvalid(t, err)
			if got := err.Error(); got != tt.err {
				t.Fatalf("err=%q, want %q", got, tt.err)
			}
		})
	}
}

func FuzzCSV(f *testing.F) {
	const header = "key,type,subject,occurred_at,cures,amount\n"
	for _, s := range []string{
		header + "k1,t,person:a,2024-01-02,,5\n",
		header + "\"k\n1\",t,s,o,c,\"\"\n\n\nk2\n",
		header + "k1,t,\"s,o,c\n",
		header + "a\"b,c\r\n\r\n,,,,,,,\n",
		"\xEF\xBB\xBF" + header + "x",
		"key,type,subject,occurred_at,cures,a,a\n",
		header + "k1,t,Caf\xe9,2024-01-02,,\"5\n\xff\"\nk2,t,person:é,o,,\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := eventfile.NewCSVReader(bytes.NewReader(data))
		if err != nil {
			assertInvalid(t, err)
			return
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		last := 0
		for range lines + 1 {
			in, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			} else if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if in.Line <= last || in.Line > lines {
				t.Fatalf("Line=%d after line %d, of %d lines", in.Line, last, lines)
			}
			last = in.Line
			if in.Err != nil {
				assertInvalid(t, in.Err)
				continue
			}
			if !in.FieldsAsText {
				t.Fatalf("line %d: FieldsAsText=false", in.Line)
			}
			for _, v := range append([]string{in.Key, in.Type, in.Subject, in.OccurredAt, in.Cures}, texts(in.Fields)...) {
				if !utf8.ValidString(v) {
					t.Fatalf("line %d: %q is not valid UTF-8", in.Line, v)
				}
			}
		}
		t.Fatalf("Next did not return io.EOF after %d lines", lines)
	})
}

func BenchmarkCSV(b *testing.B) {
	const n = 100_000
	var data bytes.Buffer
	data.WriteString("key,type,subject,occurred_at,cures,days_late,amount,branch\n")
	for i := range n {
		fmt.Fprintf(&data, "loan-%d,payment_late,cn-rid:11010519491231002X,2024-03-%02dT10:00:00Z,,%d,%d.50,北京朝阳支行\n",
			i, i%28+1, i%120, 1000+i)
	}
	benchmarkReader(b, data.Bytes(), n, func(r io.Reader) (probity.EventReader, error) { return eventfile.NewCSVReader(r) })
}

// texts returns the text values of CSV fields.
func texts(fields map[string]any) []string {
	var out []string
	for _, v := range fields {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}
