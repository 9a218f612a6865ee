package http_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	phttp "github.com/probity-dev/probity/http"
	"github.com/probity-dev/probity/postgres"
	"github.com/probity-dev/probity/sqlite"
	"github.com/probity-dev/probity/storetest"
	msqlite "modernc.org/sqlite"
)

// storageServer is a server over a store a test opened itself, to break
// its storage underneath it.
type storageServer struct {
	url    string
	db     probity.Store
	signer *audit.Signer
}

// startServerOn starts the real server over db, whose keys are in dir,
// logging to logger (nil: nowhere), and makes call use a token that
// administers, reports to and reads acme.lending.
func startServerOn(tb testing.TB, dir string, db probity.Store, logger *slog.Logger) *storageServer {
	tb.Helper()
	srv, signer := serveOver(tb, dir, db, logger, phttp.DefaultRate)
	bearer = issue(tb, "operator", false, probity.Grant{Role: probity.RoleOperator})
	if status, body := call(tb, "PUT", srv.URL()+"/v1/domains/acme.lending", "application/yaml", lendingSpec(tb)); status != 201 {
		tb.Fatalf("PUT spec = %d %v", status, body)
	}
	grantAll(tb)
	return &storageServer{url: srv.URL(), db: db, signer: signer}
}

// answer is a response as the storage tests look at it.
type answer struct {
	status     int
	retryAfter string
	code, msg  string
	accepted   int
}

// postEvents posts n events whose keys begin with prefix.
func (s *storageServer) postEvents(tb testing.TB, prefix string, n int) answer {
	tb.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"key":"%s-%04d","type":"loan_repaid","subject":"person:holder-of-%s-%d","occurred_at":"2025-01-10","fields":{"amount":%d}}`+"\n", prefix, i, prefix, i, 100+i)
	}
	req, err := http.NewRequest("POST", s.url+"/v1/domains/acme.lending/events", strings.NewReader(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body struct {
		Accepted int `json:"accepted"`
		Error    struct{ Code, Message string }
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		tb.Fatalf("POST events: status %d, body %q is not JSON", resp.StatusCode, raw)
	}
	return answer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), code: body.Error.Code, msg: body.Error.Message, accepted: body.Accepted}
}

// verify fails the test unless the store's audit log verifies.
func (s *storageServer) verify(tb testing.TB) {
	tb.Helper()
	r, err := audit.Verify(context.Background(), s.db, s.signer.Verifier(), svc.KeyDigests())
	if err != nil || !r.OK() {
		tb.Fatalf("audit verify after the storage failure: %v %+v", err, r)
	}
}

// checkUnavailable fails the test unless a is a 503 with Retry-After whose
// message says want.
func checkUnavailable(tb testing.TB, what string, a answer, want string) {
	tb.Helper()
	if a.status != http.StatusServiceUnavailable || a.code != probity.EUNAVAILABLE || a.retryAfter == "" || !strings.Contains(a.msg, want) {
		tb.Fatalf("%s = %d %s %q (Retry-After %q), want 503 unavailable with Retry-After saying %q", what, a.status, a.code, a.msg, a.retryAfter, want)
	}
}

// writeConns holds the write connection of each SQLite store opened in
// this test binary, by database file, so that a test can set
// max_page_count on it: a disk that is full, as SQLite sees it.
var writeConns = struct {
	sync.Mutex
	once  sync.Once
	conns map[string]msqlite.ExecQuerierContext
}{conns: map[string]msqlite.ExecQuerierContext{}}

func watchWriteConns() {
	writeConns.once.Do(func() {
		msqlite.RegisterConnectionHook(func(conn msqlite.ExecQuerierContext, dsn string) error {
			if strings.Contains(dsn, "_txlock=immediate") {
				path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
				writeConns.Lock()
				writeConns.conns[path] = conn
				writeConns.Unlock()
			}
			return nil
		})
	})
}

// setMaxPages caps the database file at its pages so far plus extra (-1:
// no cap beyond SQLite's own), on its write connection; the server must be
// idle.
func setMaxPages(tb testing.TB, path string, extra int) {
	tb.Helper()
	writeConns.Lock()
	conn := writeConns.conns[path]
	writeConns.Unlock()
	if conn == nil {
		tb.Fatalf("no write connection to %s was opened", path)
	}
	limit := "4294967294"
	if extra >= 0 {
		rows, err := conn.QueryContext(context.Background(), "PRAGMA page_count", nil)
		if err != nil {
			tb.Fatal(err)
		}
		v := make([]driver.Value, 1)
		if err := rows.Next(v); err != nil {
			tb.Fatal(err)
		}
		rows.Close()
		limit = fmt.Sprint(v[0].(int64) + int64(extra))
	}
	if _, err := conn.ExecContext(context.Background(), "PRAGMA max_page_count = "+limit, nil); err != nil {
		tb.Fatal(err)
	}
}

// TestStorageFullSQLite: a full disk answers 503 with Retry-After saying
// storage is full (not 500 "internal error"), the log keeps SQLite's own
// error, the refused upload leaves nothing behind, and once there is room
// again it is accepted whole and the log verifies.
func TestStorageFullSQLite(t *testing.T) {
	watchWriteConns()
	var logs lockedBuffer
	captureProcessLogs(t, &logs)
	dir := t.TempDir()
	db, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	s := startServerOn(t, dir, db.DB, nil)
	if a := s.postEvents(t, "before", 10); a.status != 200 || a.accepted != 10 {
		t.Fatalf("POST events before the disk is full = %+v, want 10 accepted", a)
	}
	path, err := filepath.Abs(filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	setMaxPages(t, path, 0)
	checkUnavailable(t, "POST events on a full disk", s.postEvents(t, "full", 400), "storage is full")
	if !strings.Contains(logs.String(), "database or disk is full (13)") {
		t.Errorf("the server's log does not keep SQLite's error (database or disk is full (13)):\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "internal error") {
		t.Errorf("a full disk was logged as an internal error:\n%s", logs.String())
	}
	setMaxPages(t, path, -1)
	if a := s.postEvents(t, "full", 400); a.status != 200 || a.accepted != 400 {
		t.Fatalf("POST the refused events once there is room = %+v, want all 400 accepted (none half-stored)", a)
	}
	if a := s.postEvents(t, "before", 10); a.status != 200 || a.accepted != 0 {
		t.Fatalf("POST the first events again = %+v, want 0 accepted (all kept)", a)
	}
	s.verify(t)
}

// proxy forwards TCP connections to a database server until it is
// stopped: then its port is closed and every connection through it cut,
// as when the database goes away.
type proxy struct {
	addr, target string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func startProxy(tb testing.TB, target string) *proxy {
	tb.Helper()
	p := &proxy{addr: "127.0.0.1:0", target: target}
	p.start(tb)
	tb.Cleanup(p.stop)
	return p
}

func (p *proxy) start(tb testing.TB) {
	tb.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		tb.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
}

func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestDatabaseUnreachablePostgres: when PostgreSQL goes away (its
// connections cut, its port closed) every request answers 503 with
// Retry-After saying the database is unreachable, never 500; when it is
// back, the server goes on, an upload refused meanwhile is accepted whole,
// and the log verifies.
func TestDatabaseUnreachablePostgres(t *testing.T) {
	dsn := storetest.NewPostgres(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, u.Host)
	u.Host = p.addr
	dir := t.TempDir()
	db, err := postgres.Open(context.Background(), u.String(), postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	s := startServerOn(t, dir, db.DB, nil)
	if a := s.postEvents(t, "before", 10); a.status != 200 || a.accepted != 10 {
		t.Fatalf("POST events = %+v, want 10 accepted", a)
	}
	p.stop()
	for i := range 3 {
		checkUnavailable(t, fmt.Sprintf("POST events %d with the database gone", i), s.postEvents(t, "gone", 50), "database is unreachable")
	}
	// a load balancer (which sends no token) stops sending this server traffic
	if status, body := send(t, "", "GET", s.url+"/readyz", "", ""); status != 503 || !strings.Contains(fmt.Sprint(body["checks"]), "store:unavailable") {
		t.Fatalf("readyz with the database gone = %d %v; want 503 naming the store", status, body)
	}
	p.start(t)
	if status, body := send(t, "", "GET", s.url+"/readyz", "", ""); status != 200 {
		t.Fatalf("readyz with the database back = %d %v; want 200", status, body)
	}
	if a := s.postEvents(t, "gone", 50); a.status != 200 || a.accepted != 50 {
		t.Fatalf("POST the refused events once the database is back = %+v, want all 50 accepted", a)
	}
	if a := s.postEvents(t, "before", 10); a.status != 200 || a.accepted != 0 {
		t.Fatalf("POST the first events again = %+v, want 0 accepted (all kept)", a)
	}
	s.verify(t)
}

// TestConnectionsTerminatedPostgres: pg_terminate_backend of every
// connection of the server's database (an administrator, a fail-over):
// the requests that meet a dead connection answer 503 with Retry-After,
// never 500, and the server goes on with new connections.
func TestConnectionsTerminatedPostgres(t *testing.T) {
	dsn := storetest.NewPostgres(t)
	db, err := postgres.Open(context.Background(), dsn, postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	s := startServerOn(t, t.TempDir(), db.DB, nil)
	admin, err := sql.Open("pgx", os.Getenv(storetest.PostgresEnv))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for round := range 3 {
		if _, err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, strings.TrimPrefix(u.Path, "/")); err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			a := s.postEvents(t, fmt.Sprintf("round%d-%d", round, i), 5)
			if a.status == http.StatusOK {
				break
			}
			checkUnavailable(t, fmt.Sprintf("POST events %d after pg_terminate_backend", i), a, "database is unreachable")
			if refused++; i > 10 {
				t.Fatalf("the server never got a connection again after pg_terminate_backend")
			}
		}
	}
	t.Logf("%d requests met a terminated connection", refused)
	s.verify(t)
}
