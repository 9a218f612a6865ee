package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/client"
	"github.com/probity-dev/probity/storetest"
)

// startServer starts probity serve as a child process with extra
// arguments and returns its URL once it listens; the process is stopped
// when the test ends.
func startServer(t *testing.T, args ...string) string {
	t.Helper()
	url, _ := startServerProcess(t, args...)
	return url
}

// startServerProcess is startServer that also returns the process.
func startServerProcess(t *testing.T, args ...string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--addr", "127.0.0.1:0", "--rate", "100000", "--burst", "100000"}, args...)...)
	cmd.Env = append(os.Environ(), "PROBITY_TEST_MAIN=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := regexp.MustCompile(` on (http://\S+);`).FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		io.Copy(io.Discard, stdout)
		close(found)
	}()
	select {
	case url, ok := <-found:
		if !ok {
			t.Fatalf("serve %s ended without serving: %s", strings.Join(args, " "), stderr.String())
		}
		return url, cmd
	case <-time.After(30 * time.Second):
		t.Fatalf("serve %s did not start: %s", strings.Join(args, " "), stderr.String())
		return "", nil
	}
}

// post sends a request with a token and decodes the JSON answer into out.
func post(t *testing.T, url, token, contentType, body string, out any) int {
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Errorf("POST %s: %v", url, err)
	}
	return resp.StatusCode
}

// TestSeveralServers runs three probity serve processes on one PostgreSQL
// database, drives concurrent ingest into two domains (every batch of one
// sent to two servers at once) and reads through all of them, then checks
// that every accepted event is stored once, every read left one leaf, and
// every log verifies: one history per log, no gaps, no forks.
func TestSeveralServers(t *testing.T) {
	dsn := storetest.NewPostgres(t)
	env := map[string]string{"PROBITY_DB": dsn}
	first := t.TempDir()
	for _, args := range [][]string{{"domain", "apply", "--data", first, lendingSpec}, {"domain", "apply", "--data", first, rentSpec}} {
		if out, _, err := run(t, env, "", args...); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	out, _, err := run(t, env, "", "token", "create", "--data", first, "--name", "desk", "--grant", "reporter:acme.lending", "--grant", "reader:acme.lending", "--grant", "reporter:city.rent-utilities")
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])

	// A server with keys of its own is refused: it would pseudonymise
	// subjects apart from their records and sign what no one can verify.
	stranger := t.TempDir()
	if _, _, err := run(t, env, "", "serve", "--data", stranger, "--addr", "127.0.0.1:0"); err == nil || !strings.Contains(err.Error(), "not the one this store's log began with") {
		t.Fatalf("serve with other keys: %v, want a refusal", err)
	}

	dirs := []string{first, t.TempDir(), t.TempDir()}
	for _, dir := range dirs[1:] {
		for _, name := range []string{"master.key", "audit.key"} {
			buf, err := os.ReadFile(filepath.Join(first, name))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, name), buf, 0o600)
		}
	}
	urls := make([]string, len(dirs))
	for i, dir := range dirs {
		urls[i] = startServer(t, "--data", dir, "--db", dsn, "--db-max-conns", "4")
	}

	const batches, perBatch, subjects = 12, 40, 50
	ctx := context.Background()
	var mu sync.Mutex
	var accepted, duplicates, reads int
	var wg sync.WaitGroup
	for b := range batches {
		var body strings.Builder
		for i := range perBatch {
			n := b*perBatch + i
			fmt.Fprintf(&body, `{"key":"multi-%05d","type":"loan_repaid","subject":"person:m%03d","occurred_at":"2025-%02d-10","fields":{"amount":%d}}`+"\n", n, n%subjects, 1+n%12, 100+n)
		}
		// The same batch goes to two servers at once: one stores it, the
		// other finds every key a duplicate.
		for _, s := range []int{b % 3, (b + 1) % 3} {
			wg.Go(func() {
				sum, err := client.New(urls[s], token).Ingest(ctx, "acme.lending", []byte(body.String()), "", false)
				if err != nil {
					t.Errorf("ingest through server %d: %v %+v", s, err, sum)
				}
				mu.Lock()
				accepted, duplicates = accepted+sum.Accepted, duplicates+sum.Duplicates
				mu.Unlock()
			})
		}
	}
	// Meanwhile another domain's batches, through every server: its log is
	// its own, and its writers do not wait for acme.lending's.
	var rentAccepted int
	for b := range 6 {
		var body strings.Builder
		for i := range perBatch {
			n := b*perBatch + i
			fmt.Fprintf(&body, `{"key":"rent-%05d","type":"rent_paid","subject":"person:m%03d","occurred_at":"2025-%02d-05","fields":{"amount":%d}}`+"\n", n, n%subjects, 1+n%12, 500+n)
		}
		wg.Go(func() {
			sum, err := client.New(urls[b%3], token).Ingest(ctx, "city.rent-utilities", []byte(body.String()), "", false)
			if err != nil {
				t.Errorf("rent ingest through server %d: %v %+v", b%3, err, sum)
			}
			mu.Lock()
			rentAccepted += sum.Accepted
			mu.Unlock()
		})
	}
	for r := range 3 {
		wg.Go(func() {
			for i := range 20 {
				req := probity.ScoreRequest{Domain: "acme.lending", Subject: fmt.Sprintf("person:m%03d", (r*20+i)%subjects), Purpose: "account_review"}
				if _, err := client.New(urls[(r+i)%3], token).Score(ctx, req); err != nil {
					t.Errorf("score through server %d: %v", (r+i)%3, err)
					continue
				}
				mu.Lock()
				reads++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if got, want := accepted, batches*perBatch; got != want {
		t.Errorf("accepted %d events over all servers, want %d (each once)", got, want)
	}
	if got, want := duplicates, batches*perBatch; got != want {
		t.Errorf("%d duplicates, want %d (each batch's second copy)", got, want)
	}
	if got, want := rentAccepted, 6*perBatch; got != want {
		t.Errorf("accepted %d events in the other domain, want %d", got, want)
	}

	r := verifyLocation(t, testLocationDB(t, first, dsn))
	in, err := openStore(context.Background(), testLocationDB(t, first, dsn))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if got, want := r.Events, batches*perBatch+6*perBatch; got != want {
		t.Errorf("%d events stored, want %d", got, want)
	}
	actions := map[string]int{}
	err = in.db.View(context.Background(), func(tx probity.ReadTx) error {
		logs, err := tx.Logs()
		if err != nil {
			return err
		}
		for _, l := range logs {
			err := tx.Leaves(l.Name, 0, l.Size, func(e *probity.AuditEntry) error {
				actions[e.Action]++
				for _, m := range e.Members { // a batch leaf's stored events
					if m.Commitment != ([32]byte{}) {
						actions[probity.ActionEventAccepted]++
					}
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
	if actions[probity.ActionEventAccepted] != batches*perBatch+6*perBatch || actions[probity.ActionScoreRead] != reads || reads != 60 {
		t.Errorf("leaves by action %v; want %d events accepted and %d score reads (of 60)", actions, batches*perBatch+6*perBatch, reads)
	}
	if r.Logs != 3 {
		t.Errorf("%d logs verified, want 3 (the installation's and two domains')", r.Logs)
	}
	t.Logf("three servers: %d + %d events accepted once in two domains, %d duplicates, %d reads; %d logs, %d leaves and %d checkpoints verify", accepted, rentAccepted, duplicates, reads, r.Logs, r.Leaves, r.Checkpoints)
}

// TestKillServerMidIngest kills a server while it stores a large batch
// posted to it, on the backend under test: what it acknowledged before
// stays, the killed batch is stored whole or not at all, and the log
// verifies.
func TestKillServerMidIngest(t *testing.T) {
	data := t.TempDir()
	args := []string{"--data", data}
	if storetest.Backend() == "postgres" {
		args = append(args, "--db", storetest.DirDSN(t, data))
	}
	mustRun(t, "domain", "apply", "--data", data, lendingSpec)
	out := mustRun(t, "token", "create", "--data", data, "--name", "desk", "--grant", "reporter:acme.lending")
	token := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	var big strings.Builder
	for i := range 30000 {
		fmt.Fprintf(&big, `{"key":"big-%06d","type":"loan_repaid","subject":"person:p%05d","occurred_at":"2025-03-10","fields":{"amount":%d}}`+"\n", i, i%3000, i)
	}
	acked := 0
	for trial, delay := range []time.Duration{100 * time.Millisecond, 400 * time.Millisecond, 900 * time.Millisecond} {
		url, cmd := startServerProcess(t, args...)
		var sum probity.IngestSummary
		small := fmt.Sprintf(`{"key":"acked-%d","type":"loan_repaid","subject":"person:acknowledged-7","occurred_at":"2025-01-10","fields":{"amount":1}}`, trial)
		if code := post(t, url+"/v1/domains/acme.lending/events", token, "application/x-ndjson", small, &sum); code != http.StatusOK || sum.Accepted != 1 {
			t.Fatalf("trial %d: small batch: %d %+v", trial, code, sum)
		}
		acked++
		done := make(chan int, 1)
		go func() {
			var sum probity.IngestSummary
			req, _ := http.NewRequest("POST", url+"/v1/domains/acme.lending/events", strings.NewReader(big.String()))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/x-ndjson")
			resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
			if err != nil {
				done <- -1
				return
			}
			json.NewDecoder(resp.Body).Decode(&sum)
			resp.Body.Close()
			done <- sum.Accepted
		}()
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		answered := <-done
		r := verifyOK(t, data)
		t.Logf("trial %d: killed after %s; the big batch answered %d; %d events, %d leaves verify", trial, delay, answered, r.Events, r.Leaves)
		if r.Events != acked && r.Events != acked+30000 {
			t.Fatalf("trial %d: %d events stored, want %d (the killed batch not applied) or %d (applied whole)", trial, r.Events, acked, acked+30000)
		}
		if answered > 0 && r.Events != acked+30000 {
			t.Fatalf("trial %d: the server acknowledged %d events that are not stored", trial, answered)
		}
		if r.Events == acked+30000 {
			break // the ingest won the race
		}
	}
}

// TestMigrate: probity migrate applies the embedded migrations to a new
// database once; a server told not to migrate refuses a database that
// lacks them, naming them.
func TestMigrate(t *testing.T) {
	fresh, data := storetest.NewPostgres(t), t.TempDir()
	env := map[string]string{"PROBITY_DB": fresh}
	if _, _, err := run(t, env, "", "serve", "--data", data, "--no-migrate", "--addr", "127.0.0.1:0"); err == nil || !strings.Contains(err.Error(), "7 migrations pending (migrations/0001_schema.sql, migrations/0002_audit_v2.sql, migrations/0003_external_principals.sql, migrations/0004_sessions.sql, migrations/0005_idempotency.sql, migrations/0006_statements.sql, migrations/0007_batch_leaves.sql): run probity migrate") {
		t.Fatalf("serve --no-migrate on a new database: %v, want a refusal naming the migration", err)
	}
	out, _, err := run(t, env, "", "migrate", "--data", data)
	if err != nil || !strings.Contains(out, "applied migrations/0001_schema.sql") || !strings.Contains(out, "applied migrations/0007_batch_leaves.sql") || !strings.Contains(out, "(7 migrations applied now)") {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	out, _, err = run(t, env, "", "migrate", "--data", data)
	if err != nil || !strings.Contains(out, "(0 migrations applied now)") {
		t.Fatalf("migrate again: %v\n%s", err, out)
	}
	if _, _, err := run(t, env, "", "domain", "apply", "--data", data, "--no-migrate", lendingSpec); err != nil {
		t.Fatalf("domain apply --no-migrate after migrate: %v", err)
	}
	if _, _, err := run(t, map[string]string{"PROBITY_DB": "mysql://root@127.0.0.1/x"}, "", "migrate", "--data", data); err == nil || !strings.Contains(err.Error(), "not a PostgreSQL URL") {
		t.Fatalf("migrate with a MySQL URL: %v, want a clear refusal", err)
	}
}
