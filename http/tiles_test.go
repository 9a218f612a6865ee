package http_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// tileGet fetches a path anonymously, as any follower of the logs does.
func tileGet(tb testing.TB, url string, header ...string) (*http.Response, []byte) {
	tb.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req) // as sent: no gzip asked for unless the test does
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp, body
}

// followedLog is one log of GET /logs.
type followedLog struct {
	Name, Origin, Key, URL string
	Size                   uint64
}

// servedLogs returns GET /logs.
func servedLogs(tb testing.TB, u string) []followedLog {
	tb.Helper()
	resp, body := tileGet(tb, u+"/logs")
	var list struct{ Logs []followedLog }
	if resp.StatusCode != 200 || json.Unmarshal(body, &list) != nil {
		tb.Fatalf("GET /logs = %d %s", resp.StatusCode, body)
	}
	return list.Logs
}

// growLogs gives a server a domain log of more than one full tile (n
// events, one leaf each) and records its checkpoint in the installation log.
func growLogs(tb testing.TB, u string, n int) {
	tb.Helper()
	if status, body := call(tb, "PUT", u+"/v1/domains/acme.lending", "application/yaml", lendingSpec(tb)); status != 201 {
		tb.Fatalf("PUT spec = %d %v", status, body)
	}
	grantAll(tb)
	// one event an upload, each a batch leaf of its own (through the
	// service: the server's rate limit would refuse 300 uploads at once)
	for i := range n {
		ingest(tb, "acme.lending", fmt.Sprintf(`{"key":"t%d","type":"loan_repaid","subject":"%s","occurred_at":"2025-01-10","fields":{"amount":%d}}`, i, alice, 100+i))
	}
	if _, err := svc.SealLogs(local()); err != nil {
		tb.Fatal(err)
	}
}

// TestTiles follows every log of a real server with nothing but its
// tlog-tiles routes, anonymously: the checkpoint verifies with the key
// GET /logs gives; the root rebuilt from the level-0 tiles is the
// checkpoint's; every tile above is made of the roots of the full tiles
// below; every entry bundle hashes to its level-0 tile; full tiles are
// immutable and partial ones short-lived in caches.
func TestTiles(t *testing.T) {
	srv := startServer(t)
	u := srv.URL()
	growLogs(t, u, 300)
	bearer = "" // from here on, anonymous

	logs := servedLogs(t, u)
	if len(logs) != 2 || logs[0].Name != probity.InstallationLog || logs[1].Name != "acme.lending" {
		t.Fatalf("GET /logs = %+v, want the installation log, then acme.lending", logs)
	}
	for _, l := range logs {
		if want := u + "/logs/" + l.Name + "/"; l.URL != want {
			t.Errorf("log %s: url %q, want %q", l.Name, l.URL, want)
		}
		if !strings.HasSuffix(l.Origin, "/"+l.Name) {
			t.Errorf("log %s: origin %q, want PREFIX/%s", l.Name, l.Origin, l.Name)
		}
		t.Run(l.Name, func(t *testing.T) { followLog(t, l) })
	}
}

// followLog checks one log from its tiles alone.
func followLog(t *testing.T, l followedLog) {
	resp, raw := tileGet(t, l.URL+"checkpoint")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("checkpoint: %d, Content-Type %q, Cache-Control %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
	}
	verifiers, err := audit.VerifiersOf(l.Key)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := audit.OpenCheckpoint(raw, verifiers)
	if err != nil || cp.Origin != l.Origin {
		t.Fatalf("checkpoint %q: %v; want one of origin %s signed with its key", raw, err, l.Origin)
	}
	levels := tileLevels(t, l.URL, cp.Size) // every hash of each tile level
	if got := rfc6962Root(levels[0]); !bytes.Equal(got, cp.Root) {
		t.Fatalf("root from the level-0 tiles %x, the checkpoint's %x", got, cp.Root)
	}
	for level := 1; level < len(levels); level++ {
		for i, h := range levels[level] {
			if want := rfc6962Root(levels[level-1][i*256 : (i+1)*256]); !bytes.Equal(h, want) {
				t.Fatalf("tile level %d hash %d is not the root of tile %d of level %d", level, i, i, level-1)
			}
		}
	}
	for n := uint64(0); n*256 < cp.Size; n++ {
		w := audit.TileWidthAt(0, n, cp.Size)
		resp, body := tileGet(t, l.URL+audit.EntriesPath(n, w))
		entries, err := audit.ParseEntryBundle(body)
		if resp.StatusCode != 200 || err != nil || len(entries) != w {
			t.Fatalf("%s: %d, %d entries, %v; want %d", audit.EntriesPath(n, w), resp.StatusCode, len(entries), err, w)
		}
		for i, e := range entries {
			if _, err := probity.ParsePublicLeaf(e); err != nil {
				t.Fatalf("entry %d: %v", n*256+uint64(i), err)
			}
			if !bytes.Equal(audit.HashLeaf(e), levels[0][n*256+uint64(i)]) {
				t.Fatalf("entry %d does not hash to its level-0 tile", n*256+uint64(i))
			}
		}
	}
}

// tileLevels fetches every tile of a tree of size and returns the hashes
// of each tile level, checking the tiles' headers on the way.
func tileLevels(t *testing.T, prefix string, size uint64) [][][]byte {
	t.Helper()
	var levels [][][]byte
	for level := uint64(0); size>>(8*level) > 0; level++ {
		var hashes [][]byte
		for n := uint64(0); ; n++ {
			w := audit.TileWidthAt(level, n, size)
			if w == 0 {
				break
			}
			resp, body := tileGet(t, prefix+audit.TilePath(level, n, w))
			if resp.StatusCode != 200 || len(body) != 32*w || resp.Header.Get("Content-Type") != "application/octet-stream" {
				t.Fatalf("%s: %d, %d bytes, Content-Type %q; want %d hashes", audit.TilePath(level, n, w), resp.StatusCode, len(body), resp.Header.Get("Content-Type"), w)
			}
			cache, want := resp.Header.Get("Cache-Control"), "public, max-age=31536000, immutable"
			if w < 256 {
				want = "public, max-age=60"
			}
			if cache != want {
				t.Errorf("%s: Cache-Control %q, want %q", audit.TilePath(level, n, w), cache, want)
			}
			for i := 0; i < w; i++ {
				hashes = append(hashes, body[32*i:32*i+32])
			}
		}
		levels = append(levels, hashes)
	}
	return levels
}

// rfc6962Root is the Merkle tree hash of leaf hashes by RFC 6962's own
// recursion, written apart from the audit package it checks.
func rfc6962Root(hashes [][]byte) []byte {
	switch n := len(hashes); n {
	case 0:
		h := sha256.Sum256(nil)
		return h[:]
	case 1:
		return hashes[0]
	default:
		k := 1
		for k*2 < n {
			k *= 2
		}
		h := sha256.Sum256(append(append([]byte{1}, rfc6962Root(hashes[:k])...), rfc6962Root(hashes[k:])...))
		return h[:]
	}
}

// TestTilesNotFound: unknown logs, tiles and bundles beyond the latest
// checkpoint, and paths not in the spec's one form are 404, never cached.
func TestTilesNotFound(t *testing.T) {
	srv := startServer(t)
	u := srv.URL()
	growLogs(t, u, 300)
	bearer = ""
	size := servedLogs(t, u)[1].Size // acme.lending: 1 spec + 300 one-event uploads
	if size != 301 {
		t.Fatalf("acme.lending has %d leaves, want 301", size)
	}
	for _, path := range []string{
		"/logs/nobody/checkpoint", "/logs/nobody/tile/0/000", "/logs/nobody/tile/entries/000",
		"/logs/acme.lending/tile/0/001",               // partial: 45 hashes
		"/logs/acme.lending/tile/0/001.p/46",          // one more than sealed
		"/logs/acme.lending/tile/entries/001.p/46",    // the same bundle
		"/logs/acme.lending/tile/0/002.p/1",           // beyond
		"/logs/acme.lending/tile/1/000.p/2",           // one full level-0 tile only
		"/logs/acme.lending/tile/2/000.p/1",           // no level 2 yet
		"/logs/acme.lending/tile/0/1",                 // not 3 digits
		"/logs/acme.lending/tile/0/x000/001",          // not the one form
		"/logs/acme.lending/tile/00/000",              // a level with a leading zero
		"/logs/acme.lending/tile/64/000",              // no such level
		"/logs/acme.lending/tile/0/000.p/256",         // no such width
		"/logs/acme.lending/tile/entries/000.p/0",     // no such width
		"/logs/acme.lending/tile/data/000",            // no such kind
		"/logs/" + probity.InstallationLog + "/tile/", // nothing
	} {
		resp, body := tileGet(t, u+path)
		if resp.StatusCode != 404 || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s = %d (Cache-Control %q) %s, want 404 no-store", path, resp.StatusCode, resp.Header.Get("Cache-Control"), body)
		}
	}
	// A partial tile narrower than the latest is a prefix of it.
	_, wide := tileGet(t, u+"/logs/acme.lending/tile/0/001.p/45")
	resp, narrow := tileGet(t, u+"/logs/acme.lending/tile/0/001.p/3")
	if resp.StatusCode != 200 || !bytes.Equal(narrow, wide[:3*32]) {
		t.Fatalf("tile 0/001.p/3 = %d, not the first 3 hashes of 0/001.p/45", resp.StatusCode)
	}
}

// TestTilesGzip: entry bundles are compressed for clients that take gzip.
func TestTilesGzip(t *testing.T) {
	srv := startServer(t)
	u := srv.URL()
	growLogs(t, u, 300)
	_, plain := tileGet(t, u+"/logs/acme.lending/tile/entries/000")
	resp, zipped := tileGet(t, u+"/logs/acme.lending/tile/entries/000", "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("Content-Encoding %q, Vary %q; want gzip, Accept-Encoding", resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, plain) || len(zipped) >= len(plain) {
		t.Fatalf("gzip bundle: %d bytes from %d, %v; want the plain bundle, smaller", len(got), len(zipped), err)
	}
	if resp, _ := tileGet(t, u+"/logs/acme.lending/tile/entries/000", "Accept-Encoding", "gzip;q=0"); resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("gzip;q=0 got Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
}
