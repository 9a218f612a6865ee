package http_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
)

// TestListPaging: every list takes ?limit and ?cursor; following
// next_cursor from the first page visits every item once, in order, and the
// last page has none; a bad limit or cursor is refused, naming it.
func TestListPaging(t *testing.T) {
	srv := startServer(t)
	u := srv.URL()
	for i := range 5 {
		issue(t, fmt.Sprintf("desk %d", i), false, probity.Grant{Role: probity.RoleAuditor})
	}
	_, all := call(t, "GET", u+"/v1/principals", "", nil)
	want := len(all["principals"].([]any))
	if want < 6 {
		t.Fatalf("%d principals; want the operator and 5 desks", want)
	}
	seen, pages, cursor := map[string]bool{}, 0, ""
	for {
		q := u + "/v1/principals?limit=2"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		status, body := call(t, "GET", q, "", nil)
		if status != 200 {
			t.Fatalf("GET %s = %d %v", q, status, body)
		}
		items := body["principals"].([]any)
		if len(items) > 2 {
			t.Fatalf("limit=2 gave %d items", len(items))
		}
		for _, it := range items {
			id := it.(map[string]any)["id"].(string)
			if seen[id] {
				t.Fatalf("principal %s came twice", id)
			}
			seen[id] = true
		}
		pages++
		next, _ := body["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(seen) != want || pages != (want+1)/2 {
		t.Fatalf("paging visited %d principals in %d pages; want %d in %d", len(seen), pages, want, (want+1)/2)
	}
	for _, tc := range []struct{ name, query, want string }{
		{"ErrLimitZero", "?limit=0", "limit"},
		{"ErrLimitHuge", "?limit=100000", "limit"},
		{"ErrCursor", "?cursor=bm90LWFuLWlk", "cursor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := call(t, "GET", u+"/v1/principals"+tc.query, "", nil); status != 400 || errCode(body) != "invalid" || !strings.Contains(errMessage(body), tc.want) {
				t.Fatalf("GET /v1/principals%s = %d %v; want 400 naming %s", tc.query, status, body, tc.want)
			}
		})
	}
}
