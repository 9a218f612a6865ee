package eventfile_test

import (
	"encoding/json"
	"testing"

	"github.com/probity-dev/probity/eventfile"
)

func TestCheckJSONUTF8(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		want *eventfile.UTF8Error // nil: valid
		msg  string
	}{
		{name: "OK", in: `{"reason":"café \u00e9 \ud83d\ude00 \uD83D\uDE00 \\ud800 \ufffd �","n":[1,{"a":"b"}]}`},
		{name: "OKNotJSON", in: `{"reason":`},
		{name: "ErrByte", in: "{\"subject\":\"x\",\"reason\":\"Caf\xe9 au lait\"}",
			want: &eventfile.UTF8Error{Offset: 28, Byte: 0xE9, Key: "reason"},
			msg:  "not valid UTF-8: byte 0xE9 at byte 29; " + sendUTF8},
		{name: "ErrHighSurrogate", in: `{"reason":"a\ud800"}`,
			want: &eventfile.UTF8Error{Offset: 12, Escape: `\ud800`, Key: "reason"},
			msg:  `not valid UTF-8: \ud800 at byte 13 ` + halfPair},
		{name: "ErrLowSurrogateFirst", in: `{"reason":"\uDC00\uD800"}`,
			want: &eventfile.UTF8Error{Offset: 11, Escape: `\uDC00`, Key: "reason"}},
		{name: "ErrHighSurrogateThenHigh", in: `["\ud83d\ud83d\ude00"]`,
			want: &eventfile.UTF8Error{Offset: 2, Escape: `\ud83d`}},
		{name: "ErrEarlierSurrogateBeforeByte", in: "{\"a\":\"\\udfff\",\"b\":\"\xff\"}",
			want: &eventfile.UTF8Error{Offset: 6, Escape: `\udfff`, Key: "a"}},
		{name: "ErrEarlierByteBeforeSurrogate", in: "{\"a\":\"\xff\",\"b\":\"\\udfff\"}",
			want: &eventfile.UTF8Error{Offset: 6, Byte: 0xFF, Key: "a"}},
		{name: "ErrInKey", in: "{\"name\":\"desk\",\"gr\xe4nts\":[]}",
			want: &eventfile.UTF8Error{Offset: 18, Byte: 0xE4, InKey: true}},
		{name: "ErrNested", in: "{\"name\":\"x\",\"grants\":[{\"role\":\"reporter\"},{\"role\":\"r\\ud800\",\"domain\":\"d\"}]}",
			want: &eventfile.UTF8Error{Offset: 52, Escape: `\ud800`, Key: "role"}},
		{name: "ErrKeyInArray", in: `{"grants":[{"\udc00":1}]}`,
			want: &eventfile.UTF8Error{Offset: 13, Escape: `\udc00`, Key: "grants", InKey: true}},
		{name: "ErrTopLevelString", in: "\"\xc3\"",
			want: &eventfile.UTF8Error{Offset: 1, Byte: 0xC3}},
		{name: "ErrUTF8EncodedSurrogate", in: "{\"a\":\"\xed\xa0\x80\"}",
			want: &eventfile.UTF8Error{Offset: 6, Byte: 0xED, Key: "a"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := eventfile.CheckJSONUTF8(tt.in)
			switch {
			case got == nil && tt.want == nil:
				return
			case got == nil || tt.want == nil:
				t.Fatalf("CheckJSONUTF8(%q)=%v, want %v", tt.in, got, tt.want)
			case *got != *tt.want:
				t.Fatalf("CheckJSONUTF8(%q)=%+v, want %+v", tt.in, *got, *tt.want)
			}
			if tt.msg != "" && got.Error() != tt.msg {
				t.Fatalf("Error()=%q, want %q", got.Error(), tt.msg)
			}
		})
	}
}

func FuzzCheckJSONUTF8(f *testing.F) {
	for _, s := range []string{
		`{"reason":"café \u00e9 \ud83d\ude00"}`, "{\"a\":\"\xe9\"}", `{"a":["\ud800"]}`, `{"\\\udc00":1}`,
		`"\uD83D\uDE00\uDE00"`, `[{"a":{"b":"\\ud800"}},"\ud83d\u0041"]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		e := eventfile.CheckJSONUTF8(data)
		if !json.Valid([]byte(data)) {
			return
		}
		if got, want := e == nil, isUTF8JSON([]byte(data)); got != want {
			t.Fatalf("CheckJSONUTF8(%q)=%v, want valid=%t", data, e, want)
		}
		if e != nil && (e.Offset < 0 || e.Offset >= len(data)) {
			t.Fatalf("CheckJSONUTF8(%q).Offset=%d of %d bytes", data, e.Offset, len(data))
		}
	})
}
