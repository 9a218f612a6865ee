// Process groups, Pdeathsig and /proc, and Debian's packages: Linux only.

//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/storetest"
)

// TestPatroniFailover runs an unchanged probity serve against two
// PostgreSQL nodes under Patroni through a multi-host URL, writes events
// and reads scores while an operator's patronictl failover moves the
// primary, and checks what a client would: every write answered 2xx is
// stored exactly once afterwards (with one event.accepted leaf), nothing
// but success or 503 with Retry-After was answered during the switch (no
// 500, no dropped connection), and the store verifies with probity audit
// verify. It brings its own etcd and PostgreSQL (scripts/patroni-tools
// installs them) and logs the figures docs/scaling.md quotes.
func TestPatroniFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and two PostgreSQL nodes under Patroni: not in -short")
	}
	if storetest.Backend() == "postgres" {
		t.Skip("brings its own PostgreSQL cluster; it runs in the default backend's pass, not again in the postgres one")
	}
	bin := haTools(t)
	began := time.Now()
	t.Cleanup(func() {
		t.Logf("TestPatroniFailover took %v with every process stopped", time.Since(began).Round(time.Second))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	c := startHACluster(t, ctx, bin)
	t.Logf("etcd (%d members) and Patroni on pg0 and pg1 up in %v", haEtcdMembers, time.Since(began).Round(time.Millisecond))
	in := startFailoverInstallation(t, ctx, c)

	w := &failoverWorkload{url: in.url, token: in.token, client: &http.Client{Timeout: 30 * time.Second}}
	w.run(ctx, func() {
		start := time.Now()
		out := c.failover(t, ctx, "pg1")
		t.Logf("patronictl failover --candidate pg1 took %v:\n%s", time.Since(start).Round(time.Millisecond), out)
	})
	if ctx.Err() != nil {
		c.logs(t)
		t.Fatalf("the workload did not see a write succeed on the new primary within the test's %v", 150*time.Second)
	}
	waitHTTP(t, ctx, fmt.Sprintf("http://127.0.0.1:%d/primary", c.nodes[1].apiPort), "Patroni pg1 as the primary", c.logs)
	for _, v := range w.violations {
		t.Errorf("during the failover: %s", v)
	}
	logRefusals(t, in.log)
	lost, dups := readFailoverStore(t, in.data, in.dsn).check(t, w.acked, w.readsAnswered)
	auditVerify(t, in.data, in.dsn)

	recovered, outage := w.recovery()
	t.Logf("failover figures: writes (events) attempted %d, acknowledged %d, lost %d, duplicates %d (%d write requests acknowledged of %d sent, retries included); "+
		"scores answered %d; 503s %d (writes %d, reads %d), each with Retry-After; "+
		"time to recover (patronictl failover to the first write acknowledged by the new primary) %v, 503s answered for %v of it; test time to here %v",
		len(w.attempted), len(w.acked), lost, dups, len(w.writes), w.writeRequests,
		w.readsAnswered, w.refusedWrites+w.refusedReads, w.refusedWrites, w.refusedReads,
		recovered.Round(time.Millisecond), outage.Round(time.Millisecond), time.Since(began).Round(time.Second))
}

// failoverInstallation is the Probity installation on the cluster.
type failoverInstallation struct {
	data, dsn  string // its keys, its database's multi-host URL
	url, token string // its server, and a reporter's and reader's token
	log        string // its server's output
}

// startFailoverInstallation creates the database probity on the cluster's
// primary, applies acme.lending and creates a token there, and starts
// probity serve on it with the multi-host URL.
func startFailoverInstallation(t *testing.T, ctx context.Context, c *haCluster) failoverInstallation {
	t.Helper()
	c.createDatabase(t, "probity")
	in := failoverInstallation{data: t.TempDir(), dsn: c.dsn("probity")}
	env := map[string]string{"PROBITY_DB": in.dsn}
	if out, _, err := run(t, env, "", "domain", "apply", "--data", in.data, lendingSpec); err != nil {
		t.Fatalf("domain apply: %v\n%s", err, out)
	}
	out, _, err := run(t, env, "", "token", "create", "--data", in.data, "--name", "desk", "--grant", "reporter:acme.lending", "--grant", "reader:acme.lending")
	if err != nil {
		t.Fatalf("token create: %v\n%s", err, out)
	}
	in.token = strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	in.url, in.log = startLoggedServer(t, ctx, c.dir, "--data", in.data, "--db", in.dsn, "--db-max-conns", "8")
	return in
}

// failoverWorkload is the clients of TestPatroniFailover: three writers
// under keys of their own, two sending one event a request and one 80 (the
// COPY path), each sending a batch answered 503 again until it is
// acknowledged, as a client honouring Retry-After would (after 200ms
// rather than the 5 seconds it asks, to time the recovery closely), and
// one reader of scores.
type failoverWorkload struct {
	url, token string
	client     *http.Client

	mu                          sync.Mutex
	failoverAt, failoverDone    time.Time // patronictl's start and end
	attempted, acked            map[string]bool
	readsAnswered               int
	refusedWrites, refusedReads int
	writeRequests               int          // sent, retries included
	firstRefusal                time.Time    // the first 503 after failoverAt
	writes                      []ackedWrite // acknowledged writes, in order of sending
	violations                  []string
}

// ackedWrite is one acknowledged write request: when it was sent and answered.
type ackedWrite struct{ sent, answered time.Time }

// Phases of the workload: this many write requests acknowledged before the
// failover, and after it by the new primary.
const warmWrites, afterWrites = 60, 60

// run drives the clients: once warmWrites are acknowledged, failover runs
// (while writes and reads go on); the clients stop when the new primary
// has acknowledged afterWrites, or when ctx ends.
func (w *failoverWorkload) run(ctx context.Context, failover func()) {
	w.attempted, w.acked = map[string]bool{}, map[string]bool{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, size := range []int{1, 1, 80} {
		wg.Go(func() { w.writer(ctx, i, size, stop) })
	}
	w.until(ctx, func() bool { return len(w.writes) >= warmWrites })
	wg.Go(func() { w.reader(ctx, stop) }) // every subject has its events by now
	w.mu.Lock()
	w.failoverAt = time.Now()
	w.mu.Unlock()
	failover()
	w.mu.Lock()
	w.failoverDone = time.Now()
	w.mu.Unlock()
	w.until(ctx, func() bool {
		n := 0
		for _, a := range w.writes {
			if w.onNewPrimary(a) {
				n++
			}
		}
		return n >= afterWrites
	})
	close(stop)
	wg.Wait()
}

// until waits, polling, for done (called under w.mu) or for ctx to end.
func (w *failoverWorkload) until(ctx context.Context, done func() bool) {
	for ctx.Err() == nil {
		w.mu.Lock()
		ok := done()
		w.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// onNewPrimary reports whether an acknowledged write must have been stored
// by the new primary: it was sent after the old one began refusing (it
// shut down, and came back as a standby that the URL's
// target_session_attrs=read-write passes over), or, had no request been
// refused, after patronictl returned.
func (w *failoverWorkload) onNewPrimary(a ackedWrite) bool {
	after := w.firstRefusal
	if after.IsZero() {
		after = w.failoverDone
	}
	return !after.IsZero() && a.sent.After(after)
}

// recovery returns the time from the failover command to the first write
// acknowledged by the new primary, and for how long 503s were answered
// before it.
func (w *failoverWorkload) recovery() (recovered, refusing time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var first time.Time
	for _, a := range w.writes {
		if w.onNewPrimary(a) && (first.IsZero() || a.answered.Before(first)) {
			first = a.answered
		}
	}
	if first.IsZero() {
		return 0, 0
	}
	if !w.firstRefusal.IsZero() {
		refusing = first.Sub(w.firstRefusal)
	}
	return first.Sub(w.failoverAt), refusing
}

// writer sends batches of size events under keys write-<i>-<n> until
// stop, each batch until it is acknowledged. A batch of 64 or more goes
// through COPY on PostgreSQL, a smaller one through INSERTs.
func (w *failoverWorkload) writer(ctx context.Context, i, size int, stop <-chan struct{}) {
	for n := 0; ; n += size {
		select {
		case <-stop:
			return
		default:
		}
		var keys []string
		var body strings.Builder
		for j := n; j < n+size; j++ {
			key := fmt.Sprintf("write-%d-%05d", i, j)
			keys = append(keys, key)
			fmt.Fprintf(&body, `{"key":%q,"type":"loan_repaid","subject":"person:fo%03d","occurred_at":"2025-%02d-10","fields":{"amount":%d}}`+"\n", key, j%40, 1+j%12, 100+j)
		}
		w.mu.Lock()
		for _, k := range keys {
			w.attempted[k] = true
		}
		w.mu.Unlock()
		w.writeUntilAcknowledged(ctx, keys, body.String())
		time.Sleep(10 * time.Millisecond)
	}
}

// writeUntilAcknowledged sends a batch until it is answered 200, or
// answered anything but a 503 with Retry-After.
func (w *failoverWorkload) writeUntilAcknowledged(ctx context.Context, keys []string, body string) {
	for ctx.Err() == nil {
		sent := time.Now()
		var sum probity.IngestSummary
		status, retry := w.send(ctx, "/v1/domains/acme.lending/events", "application/x-ndjson", body, &sum, true)
		if status == http.StatusOK {
			w.mu.Lock()
			defer w.mu.Unlock()
			if sum.Accepted+sum.Duplicates != len(keys) || sum.Rejected != 0 {
				w.violations = append(w.violations, fmt.Sprintf("batch %s..%s answered %+v, want %d events accepted or duplicates", keys[0], keys[len(keys)-1], sum, len(keys)))
			}
			for _, k := range keys {
				w.acked[k] = true
			}
			w.writes = append(w.writes, ackedWrite{sent, time.Now()})
			return
		}
		if !retry {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// reader reads scores until stop.
func (w *failoverWorkload) reader(ctx context.Context, stop <-chan struct{}) {
	for n := 0; ctx.Err() == nil; n++ {
		select {
		case <-stop:
			return
		case <-time.After(20 * time.Millisecond):
		}
		var score map[string]any
		body := fmt.Sprintf(`{"subject":"person:fo%03d","purpose":"account_review"}`, n%40)
		if status, _ := w.send(ctx, "/v1/domains/acme.lending/scores", "application/json", body, &score, false); status == http.StatusOK {
			w.mu.Lock()
			w.readsAnswered++
			w.mu.Unlock()
		}
	}
}

// send posts body and decodes a 200 answer into out. It returns the
// status, and whether the request may be sent again: a 503 with
// Retry-After. Anything else but 200 is a violation; so is a 503 without
// Retry-After, or a connection the server dropped.
func (w *failoverWorkload) send(ctx context.Context, path, contentType, body string, out any, write bool) (int, bool) {
	req, _ := http.NewRequestWithContext(ctx, "POST", w.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+w.token)
	req.Header.Set("Content-Type", contentType)
	if write {
		w.mu.Lock()
		w.writeRequests++
		w.mu.Unlock()
	}
	resp, err := w.client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			w.violate("POST %s: %v", path, err)
		}
		return 0, false
	}
	defer resp.Body.Close()
	buf, err := io.ReadAll(resp.Body)
	if err != nil {
		w.violate("POST %s: reading the answer: %v", path, err)
		return 0, false
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		if err := json.Unmarshal(buf, out); err != nil {
			w.violate("POST %s: 200 with %q: %v", path, buf, err)
		}
		return http.StatusOK, false
	case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "":
		w.mu.Lock()
		if write {
			w.refusedWrites++
		} else {
			w.refusedReads++
		}
		if w.firstRefusal.IsZero() && !w.failoverAt.IsZero() {
			w.firstRefusal = time.Now()
		}
		w.mu.Unlock()
		return resp.StatusCode, true
	}
	w.violate("POST %s: %s (Retry-After %q): %s", path, resp.Status, resp.Header.Get("Retry-After"), buf)
	return resp.StatusCode, false
}

func (w *failoverWorkload) violate(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.violations = append(w.violations, fmt.Sprintf(format, args...))
}

// failoverStore is what the store holds of the workload after the failover: the
// events under each key, the leaves that log each key (an event.accepted
// leaf naming it, or a place of a batch leaf holding it), and the
// score.read leaves.
type failoverStore struct {
	events, accepted map[string]int
	reads            int
}

// readFailoverStore reads the store through the multi-host URL, as a server
// would.
func readFailoverStore(t *testing.T, data, dsn string) failoverStore {
	t.Helper()
	in, err := openStore(context.Background(), testLocationDB(t, data, dsn))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	s := failoverStore{events: map[string]int{}, accepted: map[string]int{}}
	held := map[string]bool{} // "batch/position" of each place of a batch leaf that holds an event
	var slots []string        // each event's place, "key batch/position"
	err = in.db.View(context.Background(), func(tx probity.ReadTx) error {
		err := tx.EventRows(func(r *probity.EventRow) error {
			if r.Domain == "acme.lending" {
				s.events[r.Key]++
				if r.Slot != nil {
					slots = append(slots, fmt.Sprintf("%s %d/%d", r.Key, r.Slot.Batch, r.Slot.Position))
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		logs, err := tx.Logs()
		if err != nil {
			return err
		}
		for _, l := range logs {
			if l.Name != "acme.lending" {
				continue
			}
			err := tx.Leaves(l.Name, 0, l.Size, func(e *probity.AuditEntry) error {
				switch e.Action {
				case probity.ActionEventAccepted:
					s.accepted[e.Ref]++
				case probity.ActionEventsAccepted:
					for i, m := range e.Members {
						if m.Commitment != ([32]byte{}) {
							held[fmt.Sprintf("%s/%d", e.Ref, i+1)] = true
						}
					}
				case probity.ActionScoreRead:
					s.reads++
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, slot := range slots {
		if key, place, _ := strings.Cut(slot, " "); held[place] {
			s.accepted[key]++
		}
	}
	return s
}

// check fails the test for every acknowledged write the store lacks (no
// event under its key, or no event.accepted leaf) or holds more than once
// (more than one leaf: stored again by a retry), and returns how many of
// each. Each score answered must have its score.read leaf, committed
// before the answer left the server; a read whose commit went through
// but whose answer was a 503 leaves one more, so there may be more leaves
// than answers, never fewer.
func (s failoverStore) check(t *testing.T, acked map[string]bool, readsAnswered int) (lost, dups int) {
	t.Helper()
	for key := range acked {
		switch {
		case s.events[key] == 0 || s.accepted[key] == 0:
			lost++
			t.Errorf("acknowledged write %s: %d events, %d event.accepted leaves stored", key, s.events[key], s.accepted[key])
		case s.events[key] > 1 || s.accepted[key] > 1:
			dups++
			t.Errorf("acknowledged write %s: %d events, %d event.accepted leaves stored, want one", key, s.events[key], s.accepted[key])
		}
	}
	if s.reads < readsAnswered {
		t.Errorf("%d score.read leaves for %d scores answered; every answered read must have its leaf", s.reads, readsAnswered)
	}
	return lost, dups
}

// auditVerify runs probity audit verify on the store, as an operator would
// after a failover, and requires it to exit 0.
func auditVerify(t *testing.T, data, dsn string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "audit", "verify", "--data", data, "--db", dsn)
	cmd.Env = append(os.Environ(), "PROBITY_TEST_MAIN=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("probity audit verify after the failover: %v\n%s", err, out)
		return
	}
	t.Logf("probity audit verify: %s", strings.TrimSpace(string(out)))
}

// startLoggedServer starts probity serve as a child process in a group of
// its own, its output in dir/probity.log, and returns its URL and the log.
func startLoggedServer(t *testing.T, ctx context.Context, dir string, args ...string) (string, string) {
	t.Helper()
	log := filepath.Join(dir, "probity.log")
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--addr", "127.0.0.1:0", "--rate", "100000", "--burst", "100000"}, args...)...)
	cmd.Env = append(os.Environ(), "PROBITY_TEST_MAIN=1")
	startProcessGroup(t, cmd, log, nil)
	serving := regexp.MustCompile(` on (http://\S+);`)
	for ctx.Err() == nil {
		buf, _ := os.ReadFile(log)
		if m := serving.FindSubmatch(buf); m != nil {
			return string(m[1]), log
		}
		if cmd.ProcessState != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	buf, _ := os.ReadFile(log)
	t.Fatalf("probity serve did not start:\n%s", buf)
	return "", ""
}

// logRefusals writes into the test's output the storage errors the server
// answered 503 for, each kind once with how often (ports elided), and fails
// on an internal error logged: what the clients saw, from the server's
// side.
func logRefusals(t *testing.T, log string) {
	t.Helper()
	buf, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	port := regexp.MustCompile(`127\.0\.0\.1:\d+`)
	causes := map[string]int{}
	for line := range strings.Lines(string(buf)) {
		switch {
		case strings.Contains(line, "internal error"):
			t.Errorf("the server logged an internal error: %s", strings.TrimSpace(line))
		case strings.Contains(line, " WARN unavailable "):
			_, cause, _ := strings.Cut(line, "(the server's log says why): ")
			causes[port.ReplaceAllString(strings.TrimSuffix(strings.TrimSpace(cause), `"`), "127.0.0.1:P")]++
		}
	}
	for _, cause := range slices.Sorted(maps.Keys(causes)) {
		t.Logf("503 ×%d: %s", causes[cause], cause)
	}
}
