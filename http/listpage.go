package http

import (
	"encoding/base64"
	"net/http"
	"strconv"

	"github.com/probity-dev/probity"
)

// Lists are paged by an opaque cursor: ?limit=N items (1 to MaxListLimit,
// DefaultListLimit by default) after ?cursor=, the next_cursor of the page
// before. A page with more after it says its next_cursor; the last says
// none.
const (
	DefaultListLimit = 100
	MaxListLimit     = 1000
)

// listPage returns the page of items the request asks for, in their
// order, and the cursor of the next page ("" after the last). key names
// each item uniquely (its id): the cursor is the last item's key.
func listPage[T any](r *http.Request, items []T, key func(T) string) ([]T, string, error) {
	q := r.URL.Query()
	limit := DefaultListLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxListLimit {
			return nil, "", probity.Errorf(probity.EINVALID, "limit: %s is not a number of items from 1 to %d", probity.Quote(v), MaxListLimit)
		}
		limit = n
	}
	start := 0
	if c := q.Get("cursor"); c != "" {
		after, err := base64.RawURLEncoding.DecodeString(c)
		start = -1
		if err == nil {
			for i, it := range items {
				if key(it) == string(after) {
					start = i + 1
					break
				}
			}
		}
		if start < 0 {
			return nil, "", probity.Errorf(probity.EINVALID, "cursor: not one this list gave, or its item is gone; start again without a cursor")
		}
	}
	end := min(start+limit, len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte(key(items[end-1])))
	}
	return items[start:end], next, nil
}

// writeList answers a page of a list under name, with its next cursor.
func writeList[T any](w http.ResponseWriter, r *http.Request, name string, items []T, key func(T) string) {
	page, next, err := listPage(r, items, key)
	if err != nil {
		Error(w, r, err)
		return
	}
	body := map[string]any{name: page}
	if next != "" {
		body["next_cursor"] = next
	}
	writeJSON(w, http.StatusOK, body)
}
