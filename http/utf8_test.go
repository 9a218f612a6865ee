package http_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestNotUTF8 checks that a request body or an events upload whose text is
// not valid UTF-8 (a byte of another encoding, half a surrogate pair) is
// refused with 400 saying where, instead of being stored with U+FFFD.
func TestNotUTF8(t *testing.T) {
	srv := startServer(t)
	u := srv.URL()
	call(t, "PUT", u+"/v1/domains/acme.lending", "application/yaml", lendingSpec(t))
	const sendUTF8 = "text must be sent as UTF-8"
	const halfPair = `is half of a surrogate pair; an escape \ud800-\udbff must be followed by one \udc00-\udfff`
	grants := `"grants":[{"role":"reader","domain":"acme.lending"}]`

	t.Run("OKSurrogatePair", func(t *testing.T) {
		status, body := call(t, "POST", u+"/v1/principals", "application/json",
			[]byte(`{"name":"café desk \ud83d\ude00 😀",`+grants+`}`))
		p, _ := body["principal"].(map[string]any)
		if got, want := p["name"], "café desk 😀 😀"; status != 201 || got != want {
			t.Fatalf("POST /v1/principals = %d %v, want 201 with name %q", status, body, want)
		}
	})
	for _, tt := range []struct {
		name, path, body, want string
	}{
		{"ErrByte", "/v1/principals", "{\"name\":\"Caf\xe9 desk\"," + grants + "}",
			`request body: "name" is not valid UTF-8: byte 0xE9 at byte 13; ` + sendUTF8},
		{"ErrHighSurrogate", "/v1/principals", `{"name":"desk \ud83d",` + grants + `}`,
			`request body: "name" is not valid UTF-8: \ud83d at byte 15 ` + halfPair},
		{"ErrLowSurrogateNested", "/v1/principals", `{"name":"desk","grants":[{"role":"reader","domain":"acme\udc00"}]}`,
			`request body: "domain" is not valid UTF-8: \udc00 at byte 57 ` + halfPair},
		{"ErrKey", "/v1/principals", "{\"n\xe4me\":\"desk\"}",
			`request body: a key is not valid UTF-8: byte 0xE4 at byte 4; ` + sendUTF8},
		{"ErrScoreSubject", "/v1/domains/acme.lending/scores", "{\"subject\":\"" + alice[:8] + "\xff\",\"purpose\":\"collection\"}",
			`request body: "subject" is not valid UTF-8: byte 0xFF at byte 21; ` + sendUTF8},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if strings.HasPrefix(tt.path, "/v1/domains/") {
				grantAll(t) // a lender's token, after the operator's
			}
			status, body := call(t, "POST", u+tt.path, "application/json", []byte(tt.body))
			if status != 400 || errCode(body) != "invalid" || errMessage(body) != tt.want {
				t.Fatalf("POST %s = %d %v, want 400 invalid %q", tt.path, status, body, tt.want)
			}
		})
	}
	t.Run("ErrEvents", func(t *testing.T) {
		events := `{"key":"k1","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-01-10","fields":{"amount":1}}` + "\n" +
			"{\"key\":\"k2\",\"type\":\"loan_repaid\",\"subject\":\"" + alice + "\",\"occurred_at\":\"2025-01-10\",\"fields\":{\"note\":\"Caf\xe9\"}}\n" +
			`{"key":"k3\ud800","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-01-10"}`
		status, body := call(t, "POST", u+"/v1/domains/acme.lending/events", "application/x-ndjson", []byte(events))
		sum, _ := body["summary"].(map[string]any)
		if status != 400 || sum == nil || sum["applied"] != false {
			t.Fatalf("POST events = %d %v, want 400 with a summary, not applied", status, body)
		}
		var got []string
		for _, e := range sum["errors"].([]any) {
			e := e.(map[string]any)
			got = append(got, fmt.Sprintf("line %v: %s", e["line"], e["message"]))
		}
		want := []string{
			`line 2: field "note" is not valid UTF-8: byte 0xE9 at byte 120; ` + sendUTF8,
			`line 3: "key" is not valid UTF-8: \ud800 at byte 11 ` + halfPair,
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("errors:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}
