package http_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
)

// TestIdempotencyKey: a creating request retried with the same
// Idempotency-Key gets the first answer again and creates nothing more (a
// token in it is not kept: the replay says so); the same key with another
// body is refused; another caller's same key is its own.
func TestIdempotencyKey(t *testing.T) {
	srv := startServer(t)
	u := srv.URL()
	post := func(token, key, body string) (int, map[string]any, http.Header) {
		t.Helper()
		req, _ := http.NewRequest("POST", u+"/v1/principals", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var out map[string]any
		json.Unmarshal(raw, &out)
		return resp.StatusCode, out, resp.Header
	}
	count := func() int {
		_, body := call(t, "GET", u+"/v1/principals", "", nil)
		return len(body["principals"].([]any))
	}
	before := count()
	const desk = `{"name":"ACME desk","grants":[{"role":"auditor"}]}`
	status, first, _ := post(bearer, "k-1", desk)
	if status != 201 || first["token"] == nil {
		t.Fatalf("first POST = %d %v; want 201 with the token", status, first)
	}
	status, again, h := post(bearer, "k-1", desk)
	id := func(m map[string]any) any { return m["principal"].(map[string]any)["id"] }
	switch {
	case status != 201 || h.Get("Idempotent-Replayed") != "true":
		t.Fatalf("the retry = %d (replayed %q); want the first answer again", status, h.Get("Idempotent-Replayed"))
	case id(again) != id(first):
		t.Fatalf("the retry answered principal %v; want the first, %v", id(again), id(first))
	case again["token"] != nil || again["token_withheld"] == nil:
		t.Fatalf("the retry = %v; want no token, and a word saying why", again)
	case count() != before+1:
		t.Fatalf("%d principals after a request and its retry; want %d", count(), before+1)
	}
	if status, body, _ := post(bearer, "k-1", `{"name":"Other desk","grants":[{"role":"auditor"}]}`); status != 409 || !strings.Contains(errMessage(body), "another request") {
		t.Fatalf("the key with another body = %d %v; want 409", status, body)
	}
	other := issue(t, "another operator", false, probity.Grant{Role: probity.RoleOperator})
	if status, body, h := post(other, "k-1", desk); status != 201 || h.Get("Idempotent-Replayed") != "" || id(body) == id(first) {
		t.Fatalf("another caller's k-1 = %d %v; want its own principal", status, body)
	}
}
