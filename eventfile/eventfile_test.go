package eventfile_test

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/eventfile"
)

// event is an EventInput with Err as its message, so that tables can list
// expected results.
type event struct {
	Line         int
	Key          string
	Type         string
	Subject      string
	OccurredAt   string
	Fields       map[string]any
	FieldsAsText bool
	Cures        string
	Err          string
}

// readAll reads every input of r until io.EOF, failing on any other error and
// on a reader that does not stop.
func readAll(tb testing.TB, r probity.EventReader) []event {
	tb.Helper()
	var events []event
	for range 1_000_000 {
		in, err := r.Next()
		if err == io.EOF {
			if _, again := r.Next(); again != io.EOF {
				tb.Fatalf("Next after io.EOF returned %v, want io.EOF", again)
			}
			return events
		} else if err != nil {
			tb.Fatalf("Next: %v", err)
		}
		e := event{Line: in.Line, Key: in.Key, Type: in.Type, Subject: in.Subject, OccurredAt: in.OccurredAt,
			Fields: in.Fields, FieldsAsText: in.FieldsAsText, Cures: in.Cures}
		if in.Err != nil {
			if !reflect.DeepEqual(e, event{Line: in.Line}) {
				tb.Fatalf("line %d has Err %q and content %+v", in.Line, in.Err, e)
			}
			assertInvalid(tb, in.Err)
			e.Err = in.Err.Error()
		}
		events = append(events, e)
	}
	tb.Fatal("the reader did not stop")
	return nil
}

// assertInvalid fails unless err is an EINVALID error whose text is its
// caller-facing message.
func assertInvalid(tb testing.TB, err error) {
	tb.Helper()
	if got, want := probity.ErrorCode(err), probity.EINVALID; got != want {
		tb.Fatalf("ErrorCode(%v)=%q, want %q", err, got, want)
	}
	if got, want := probity.ErrorMessage(err), err.Error(); got != want {
		tb.Fatalf("ErrorMessage=%q, want the error's text %q", got, want)
	}
}

// assertEvents compares events with want; a want.Err ending in "..." is a prefix.
func assertEvents(tb testing.TB, got, want []event) {
	tb.Helper()
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			tb.Fatalf("missing event %d: %+v", i, want[i])
		case i >= len(want):
			tb.Fatalf("unexpected event %d: %+v", i, got[i])
		}
		g, w := got[i], want[i]
		if prefix, ok := strings.CutSuffix(w.Err, "..."); ok && strings.HasPrefix(g.Err, prefix) {
			w.Err = g.Err
		}
		if !reflect.DeepEqual(g, w) {
			tb.Fatalf("event %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

func TestNewReader(t *testing.T) {
	const ndjson = `{"key":"k1","type":"loan_repaid","subject":"person:a","occurred_at":"2024-01-02T00:00:00Z"}`
	const csvText = "key,type,subject,occurred_at,cures\nk1,loan_repaid,person:a,2024-01-02T00:00:00Z,\n"
	want := []event{{Line: 1, Key: "k1", Type: "loan_repaid", Subject: "person:a", OccurredAt: "2024-01-02T00:00:00Z"}}
	for _, tt := range []struct {
		name   string
		in     string
		format string
		want   []event
	}{
		{name: "OKNDJSON", in: ndjson + "\n", format: "*eventfile.NDJSONReader", want: want},
		{name: "OKJSONArray", in: "[" + ndjson + "]", format: "*eventfile.JSONArrayReader", want: want},
		{name: "OKCSV", in: csvText, format: "*eventfile.CSVReader",
			want: []event{{Line: 2, Key: "k1", Type: "loan_repaid", Subject: "person:a", OccurredAt: "2024-01-02T00:00:00Z", FieldsAsText: true}}},
		{name: "OKBOMAndBlankLinesNDJSON", in: "\xEF\xBB\xBF\n \r\n\t" + ndjson, format: "*eventfile.NDJSONReader",
			want: []event{{Line: 3, Key: "k1", Type: "loan_repaid", Subject: "person:a", OccurredAt: "2024-01-02T00:00:00Z"}}},
		{name: "OKBOMAndBlankLinesCSV", in: "\xEF\xBB\xBF\n\n" + csvText, format: "*eventfile.CSVReader",
			want: []event{{Line: 4, Key: "k1", Type: "loan_repaid", Subject: "person:a", OccurredAt: "2024-01-02T00:00:00Z", FieldsAsText: true}}},
		{name: "OKBOMJSONArray", in: "\xEF\xBB\xBF  \n[" + ndjson + "]\n", format: "*eventfile.JSONArrayReader", want: want},
		{name: "OKEmpty", in: "", format: "*eventfile.NDJSONReader"},
		{name: "OKWhitespaceOnly", in: "\xEF\xBB\xBF \n\n\t", format: "*eventfile.NDJSONReader"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := eventfile.NewReader(iotest.OneByteReader(strings.NewReader(tt.in)))
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%T", r); got != tt.format {
				t.Fatalf("NewReader returned a %s, want a %s", got, tt.format)
			}
			assertEvents(t, readAll(t, r), tt.want)
		})
	}
	t.Run("ErrCSVHeader", func(t *testing.T) {
		_, err := eventfile.NewReader(strings.NewReader("\n\nkey,type,subject\n"))
		if err == nil {
			t.Fatal("err=nil, want a header error")
		}
		assertInvalid(t, err)
		if got, want := err.Error(), `line 3: the CSV header must start with key,type,subject,occurred_at,cures, then one column per field; got "key,type,subject"`; got != want {
			t.Fatalf("err=%q, want %q", got, want)
		}
	})
	t.Run("ErrRead", func(t *testing.T) {
		broken := errors.New("disk on fire")
		if _, err := eventfile.NewReader(iotest.ErrReader(broken)); !errors.Is(err, broken) {
			t.Fatalf("err=%v, want %v", err, broken)
		}
	})
}

func TestReadError(t *testing.T) {
	broken := errors.New("connection reset")
	input := func() io.Reader {
		return io.MultiReader(strings.NewReader("key,type,subject,occurred_at,cures\n"+`{"key":"k1"}`+"\n"), iotest.ErrReader(broken))
	}
	csvReader, err := eventfile.NewCSVReader(input())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		r    probity.EventReader
	}{
		{name: "ErrNDJSON", r: eventfile.NewNDJSONReader(input())},
		{name: "ErrCSV", r: csvReader},
		{name: "ErrJSONArray", r: eventfile.NewJSONArrayReader(io.MultiReader(strings.NewReader(`[{"key":"k1"}`), iotest.ErrReader(broken)))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			for range 10 {
				if _, err = tt.r.Next(); err != nil {
					break
				}
			}
			if !errors.Is(err, broken) {
				t.Fatalf("err=%v, want %v", err, broken)
			}
			if _, again := tt.r.Next(); !errors.Is(again, broken) {
				t.Fatalf("the next call returned %v, want %v again", again, broken)
			}
		})
	}
}
