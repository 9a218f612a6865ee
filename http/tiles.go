package http

import (
	"compress/gzip"
	"context"
	"net/http"
	"strings"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// TileService serves every log as C2SP tlog-tiles, so that standard
// clients (tessera's client and fsck, torchwood, sumdb's tlog) can follow
// it. The server finds it on its Audit service (bureau.Bureau has it);
// without it the tile routes answer 404.
type TileService interface {
	// Logs lists the logs, the installation log first.
	Logs(ctx context.Context) ([]probity.LogInfo, error)
	// Checkpoint returns a log's latest checkpoint, cosigned as it is.
	Checkpoint(ctx context.Context, log string) (*probity.Checkpoint, error)
	// HashTile returns the first width hashes of a tile of a log's tree
	// as of its latest checkpoint; ENOTFOUND beyond it.
	HashTile(ctx context.Context, log string, level, index uint64, width int) ([]byte, error)
	// EntryBundle returns the first width public leaves of an entry
	// bundle of a log, length-prefixed; ENOTFOUND beyond its latest
	// checkpoint.
	EntryBundle(ctx context.Context, log string, index uint64, width int) ([]byte, error)
}

// Cache-Control of the tile routes. A full tile never changes; a partial
// one is replaced by a wider one as the log grows, and the checkpoint
// moves every few seconds.
const (
	cacheFullTile    = "public, max-age=31536000, immutable"
	cachePartialTile = "public, max-age=60"
	cacheCheckpoint  = "no-cache"
)

// tileRoutes registers the logs' tile routes (C2SP tlog-tiles), one prefix
// per log: /logs/{log}/checkpoint, /logs/{log}/tile/{L}/{N}[.p/{W}] and
// /logs/{log}/tile/entries/{N}[.p/{W}]. They are anonymous: public leaves
// carry only commitments.
func (s *Server) tileRoutes(mux *routeTable) {
	mux.HandleFunc("GET /logs", s.handleLogs)
	mux.HandleFunc("GET /logs/{log}/checkpoint", s.handleLogCheckpoint)
	mux.HandleFunc("GET /logs/{log}/tile/{path...}", s.handleTile)
}

// tiles returns the service the tile routes serve from.
func (s *Server) tiles() (TileService, error) {
	if t, ok := s.Audit.(TileService); ok {
		return t, nil
	}
	return nil, probity.Errorf(probity.ENOTFOUND, "this server does not serve its logs as tiles")
}

// logListing is one log of GET /logs: what a tlog-tiles client needs to
// follow it.
type logListing struct {
	Name   string `json:"name"`
	Origin string `json:"origin"`
	// Key is the note verifier key of its checkpoints.
	Key  string `json:"key"`
	Size uint64 `json:"size"`
	// URL is the log's tlog-tiles prefix: URL + "checkpoint", URL +
	// "tile/0/000", ...
	URL string `json:"url"`
}

// handleLogs lists the logs with their origins, keys and tile prefixes.
func (s *Server) handleLogs(w http.ResponseWriter, r *http.Request) {
	ts, err := s.tiles()
	var logs []probity.LogInfo
	if err == nil {
		logs, err = ts.Logs(r.Context())
	}
	if err != nil {
		tileError(w, r, err)
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	out := make([]logListing, 0, len(logs))
	for _, l := range logs {
		out = append(out, logListing{Name: l.Name, Origin: l.Origin, Key: l.Key, Size: l.Size,
			URL: scheme + "://" + r.Host + "/logs/" + l.Name + "/"})
	}
	w.Header().Set("Cache-Control", cacheCheckpoint)
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, map[string]any{"logs": out})
}

// handleLogCheckpoint serves a log's latest checkpoint, a signed note with
// whatever witnesses' cosignatures it has.
func (s *Server) handleLogCheckpoint(w http.ResponseWriter, r *http.Request) {
	ts, err := s.tiles()
	var c *probity.Checkpoint
	if err == nil {
		c, err = ts.Checkpoint(r.Context(), r.PathValue("log"))
	}
	if err != nil {
		tileError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", cacheCheckpoint)
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("X-Content-Type-Options", "nosniff")
	w.Write([]byte(c.Note))
}

// handleTile serves a hash tile (tile/{L}/{N}[.p/{W}]) or an entry bundle
// (tile/entries/{N}[.p/{W}]), compressed if the client accepts gzip.
func (s *Server) handleTile(w http.ResponseWriter, r *http.Request) {
	ts, err := s.tiles()
	if err != nil {
		tileError(w, r, err)
		return
	}
	log, path := r.PathValue("log"), r.PathValue("path")
	entries, level, index, width, err := parseTilePath(path)
	if err != nil {
		tileError(w, r, probity.Errorf(probity.ENOTFOUND, "no tile %s: %v", probity.Quote(path), err))
		return
	}
	var body []byte
	if entries {
		body, err = ts.EntryBundle(r.Context(), log, index, width)
	} else {
		body, err = ts.HashTile(r.Context(), log, level, index, width)
	}
	if err != nil {
		tileError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Vary", "Accept-Encoding")
	if width == audit.TileWidth {
		h.Set("Cache-Control", cacheFullTile)
	} else {
		h.Set("Cache-Control", cachePartialTile)
	}
	if !entries || !acceptsGzip(r) {
		w.Write(body)
		return
	}
	h.Set("Content-Encoding", "gzip")
	zw := gzip.NewWriter(w)
	zw.Write(body)
	zw.Close()
}

// parseTilePath reads what follows a log's tile/: {L}/{N}[.p/{W}] or
// entries/{N}[.p/{W}].
func parseTilePath(path string) (entries bool, level, index uint64, width int, err error) {
	first, rest, _ := strings.Cut(path, "/")
	if first == "entries" {
		index, width, err = audit.ParseTileIndex(rest)
		return true, 0, index, width, err
	}
	if level, err = audit.ParseTileLevel(first); err != nil {
		return false, 0, 0, 0, err
	}
	index, width, err = audit.ParseTileIndex(rest)
	return false, level, index, width, err
}

// acceptsGzip reports whether the client takes a gzip-encoded body.
func acceptsGzip(r *http.Request) bool {
	for _, e := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(e), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") {
			return strings.ReplaceAll(q, " ", "") != "q=0"
		}
	}
	return false
}

// tileError answers an error of a tile route, which no cache may keep: a
// tile beyond the log today is there tomorrow.
func tileError(w http.ResponseWriter, r *http.Request, err error) {
	w.Header().Set("Cache-Control", "no-store")
	Error(w, r, err)
}
