package client

import (
	"context"
	"net/url"
	"strconv"

	"github.com/probity-dev/probity"
)

// LogListing is one log of GET /logs: its name, checkpoint origin, note
// verifier key, size and tlog-tiles prefix.
type LogListing struct {
	Name   string `json:"name"`
	Origin string `json:"origin"`
	Key    string `json:"key"`
	Size   uint64 `json:"size"`
	URL    string `json:"url"`
}

// Logs lists the installation's logs.
func (c *Client) Logs(ctx context.Context) ([]LogListing, error) {
	var out struct {
		Logs []LogListing `json:"logs"`
	}
	_, _, err := c.do(ctx, request{method: "GET", path: "/logs", out: &out})
	return out.Logs, err
}

// LogCheckpoint returns a log's latest checkpoint, a C2SP signed note with
// the cosignatures of the witnesses it has, as served under the log's
// tlog-tiles prefix. Verify it with the log's key before trusting it.
func (c *Client) LogCheckpoint(ctx context.Context, log string) ([]byte, error) {
	_, body, err := c.do(ctx, request{method: "GET", path: "/logs/" + esc(log) + "/checkpoint"})
	return body, err
}

// Tile returns a resource under a log's tlog-tiles prefix: a hash tile
// ("tile/0/000") or an entry bundle ("tile/entries/000.p/5"). A resource
// the server does not have is an *Error with status 404.
func (c *Client) Tile(ctx context.Context, log, path string) ([]byte, error) {
	_, body, err := c.do(ctx, request{method: "GET", path: "/logs/" + esc(log) + "/" + path})
	return body, err
}

// Checkpoint returns a log's latest checkpoint with its note.
func (c *Client) Checkpoint(ctx context.Context, log string) (*probity.Checkpoint, error) {
	var cp probity.Checkpoint
	_, _, err := c.do(ctx, request{method: "GET", path: "/v1/audit/checkpoint", query: url.Values{"log": {log}, "format": {"json"}}, out: &cp})
	return &cp, err
}

// Entries returns a log's public leaves from start up to end (at most a
// page: probity.MaxAuditEntries), and where the next page starts (0 when
// this one was the last).
func (c *Client) Entries(ctx context.Context, log string, start, end uint64) ([]probity.PublicEntry, uint64, error) {
	var out struct {
		Entries []probity.PublicEntry `json:"entries"`
		Next    uint64                `json:"next"`
	}
	q := url.Values{"log": {log}, "start": {strconv.FormatUint(start, 10)}, "end": {strconv.FormatUint(end, 10)}}
	_, _, err := c.do(ctx, request{method: "GET", path: "/v1/audit/entries", query: q, out: &out})
	return out.Entries, out.Next, err
}

// InclusionProof returns the proof that leaf index is in the tree of size.
func (c *Client) InclusionProof(ctx context.Context, log string, index, size uint64) (*probity.Proof, error) {
	var p probity.Proof
	q := url.Values{"log": {log}, "index": {strconv.FormatUint(index, 10)}, "size": {strconv.FormatUint(size, 10)}}
	_, _, err := c.do(ctx, request{method: "GET", path: "/v1/audit/proofs/inclusion", query: q, out: &p})
	return &p, err
}

// ConsistencyProof returns the proof that the tree of size to extends the
// tree of size from.
func (c *Client) ConsistencyProof(ctx context.Context, log string, from, to uint64) (*probity.Proof, error) {
	var p probity.Proof
	q := url.Values{"log": {log}, "from": {strconv.FormatUint(from, 10)}, "to": {strconv.FormatUint(to, 10)}}
	_, _, err := c.do(ctx, request{method: "GET", path: "/v1/audit/proofs/consistency", query: q, out: &p})
	return &p, err
}

// Key returns the note verifier key of a log's checkpoints.
func (c *Client) Key(ctx context.Context, log string) (string, error) {
	var out struct {
		Key string `json:"key"`
	}
	_, _, err := c.do(ctx, request{method: "GET", path: "/v1/audit/key", query: url.Values{"log": {log}, "format": {"json"}}, out: &out})
	return out.Key, err
}

// Openings returns the openings of a log's leaves from start (limit of
// them, 0 for the server's page) that the token is entitled to, with
// their inclusion proofs up to a witnessed installation checkpoint.
func (c *Client) Openings(ctx context.Context, log string, start uint64, limit int) (*probity.OpeningBundle, error) {
	var b probity.OpeningBundle
	q := url.Values{"log": {log}, "start": {strconv.FormatUint(start, 10)}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	_, _, err := c.do(ctx, request{method: "GET", path: "/v1/audit/openings", query: q, out: &b})
	return &b, err
}

// Metrics returns the server's Prometheus metrics, in the text format
// (the operator and the auditors).
func (c *Client) Metrics(ctx context.Context) ([]byte, error) {
	_, body, err := c.do(ctx, request{method: "GET", path: "/metrics"})
	return body, err
}
