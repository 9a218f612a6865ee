package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// The score over HTTP is driven from a child process, so that the bench's
// own CPU time, taken while one server is under load, is that server's and
// not the client's as well. The child is the running program itself,
// started with loadGenEnv set: LoadGenMain turns it into the load
// generator before it does anything else.
const loadGenEnv = "PROBITY_BENCH_LOADGEN"

// loadGenReady is set once LoadGenMain has run in this process: Run needs
// it to start a load generator.
var loadGenReady atomic.Bool

// LoadGenMain makes this process the bench's load generator if the bench
// started it as one: it reads a job on standard input, writes the result on
// standard output and exits. Otherwise it returns at once. A program that
// calls Run must call it first (in main, an init function or TestMain), or
// Run refuses to measure the score over HTTP.
func LoadGenMain() {
	loadGenReady.Store(true)
	if os.Getenv(loadGenEnv) != "1" {
		return
	}
	if err := serveLoadJob(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench load generator:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// loadJob is what a load generator is asked to do: send the requests in
// turn from Clients keep-alive connections until Duration has passed.
type loadJob struct {
	URL      string        `json:"url"`
	Token    string        `json:"token"`
	Requests []loadRequest `json:"requests"`
	Clients  int           `json:"clients"`
	Duration time.Duration `json:"duration"`
}

type loadRequest struct {
	Path string `json:"path"`
	Body string `json:"body"`
}

// loadResult is what it measured: every request's latency, sorted, and
// the wall time of the whole loop.
type loadResult struct {
	Latencies []time.Duration `json:"latencies"`
	Wall      time.Duration   `json:"wall"`
}

func serveLoadJob(in io.Reader, out io.Writer) error {
	var job loadJob
	if err := json.NewDecoder(in).Decode(&job); err != nil {
		return err
	}
	l, err := generateLoad(context.Background(), job)
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(loadResult{Latencies: l.latencies, Wall: l.wall})
}

// generateLoad runs a job: each client sends the next request of the list
// (all clients share one turn, so the subjects rotate) and reads the whole
// answer, which must be 200, until the job's duration has passed (each
// sends at least one). The first error stops every client.
func generateLoad(ctx context.Context, job loadJob) (*load, error) {
	if len(job.Requests) == 0 || job.Clients < 1 {
		return nil, errors.New("a load job needs requests and clients")
	}
	transport := &http.Transport{MaxIdleConns: job.Clients, MaxIdleConnsPerHost: job.Clients, DisableCompression: true}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: time.Minute}
	var turn atomic.Uint64
	return hammer(ctx, job.Clients, job.Duration, 0, func(ctx context.Context, _ *rand.Rand) error {
		r := job.Requests[(turn.Add(1)-1)%uint64(len(job.Requests))]
		return send(ctx, client, job.URL+r.Path, job.Token, r.Body)
	})
}

// send posts one request and reads the whole answer, which must be 200.
func send(ctx context.Context, client *http.Client, url, token, body string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("POST %s: %s: %s", url, resp.Status, strings.TrimSpace(string(msg)))
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// serverLoad is one server under one load: the load as its clients saw it,
// and the CPU time the bench's process (the servers) spent meanwhile.
type serverLoad struct {
	*load
	cpu time.Duration
}

// cpuPerRequest returns the server's CPU time per request in microseconds.
func (s *serverLoad) cpuPerRequest() float64 {
	if len(s.latencies) == 0 {
		return 0
	}
	return float64(s.cpu) / float64(time.Microsecond) / float64(len(s.latencies))
}

// drive runs a job in a load generator process and measures this
// process's CPU time and peak heap while it runs.
func drive(ctx context.Context, job loadJob, h *heapPeak) (*serverLoad, error) {
	if !loadGenReady.Load() {
		return nil, errors.New("bench: no load generator: the program that calls bench.Run must call bench.LoadGenMain first")
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("bench: the load generator is this program, but: %w", err)
	}
	in, err := json.Marshal(job)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), loadGenEnv+"=1")
	var out, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(in), &out, &stderr
	collect()
	var cpu time.Duration
	err = h.measure(func() error {
		before := cpuTime()
		err := cmd.Run()
		cpu = cpuTime() - before
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("load generator (%d clients on %s): %v: %s", job.Clients, job.URL, err, strings.TrimSpace(stderr.String()))
	}
	var res loadResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return nil, fmt.Errorf("load generator: %w", err)
	}
	return &serverLoad{load: &load{latencies: res.Latencies, wall: res.Wall}, cpu: cpu}, nil
}

// cpuTime returns the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
