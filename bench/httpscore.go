package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	phttp "github.com/probity-dev/probity/http"
)

// clientCounts are the concurrent clients of the score over HTTP, DESIGN.md's.
var clientCounts = []int{1, 4, 16}

// overHTTP serves the main site's API as probity serve does (its handler,
// its access log formatted and discarded, no rate limit) and the bare
// baseline beside it on the same store, checks that both answer the same
// score for a sample of subjects, then drives each alone with the same
// load generator at 1, 4 and 16 clients. It also weighs what the reads
// added to the store.
func (r *runner) overHTTP(ctx context.Context) ([]Row, error) {
	s := r.main
	srv := phttp.NewServer(s.bureau, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv.Rate, srv.Burst = 0, 0
	if err := srv.Open("127.0.0.1:0"); err != nil {
		return nil, err
	}
	defer srv.Close(context.WithoutCancel(ctx))
	bare, err := startBare(ctx, s)
	if err != nil {
		return nil, err
	}
	defer bare.close(ctx)
	sizeBefore, err := s.dbBytes(ctx)
	if err != nil {
		return nil, err
	}
	sample, err := s.targets(agreeSample)
	if err != nil {
		return nil, err
	}
	r.logf("score over HTTP: %d subjects asked of Probity's server and of the bare one", len(sample))
	if err := agreeOverHTTP(ctx, srv.URL(), s.token, bare.url, bare.token(), sample, s.asOf); err != nil {
		return nil, err
	}
	reads := len(sample)
	pool, err := s.targets(targetPool)
	if err != nil {
		return nil, err
	}
	requests := make([]loadRequest, len(pool))
	for i, t := range pool {
		requests[i] = loadRequest{Path: scorePath(t), Body: scoreBody(t, s.asOf)}
	}
	probityJob := loadJob{URL: srv.URL(), Token: s.token, Requests: requests}
	bareJob := loadJob{URL: bare.url, Token: bare.token(), Requests: requests}
	// A short warm-up of each, so that neither meets cold caches first.
	for _, job := range []*loadJob{&probityJob, &bareJob} {
		job.Clients, job.Duration = 4, min(r.opts.Duration/2, time.Second)
		l, err := drive(ctx, *job, &heapPeak{})
		if err != nil {
			return nil, err
		}
		if job == &probityJob {
			reads += len(l.latencies)
		}
	}
	var rows []Row
	for _, clients := range clientCounts {
		r.logf("score over HTTP: %d client(s), %s on Probity's server, then on the bare one", clients, r.opts.Duration)
		var ph, bh heapPeak
		probityJob.Clients, probityJob.Duration = clients, r.opts.Duration
		got, err := drive(ctx, probityJob, &ph)
		if err != nil {
			return nil, err
		}
		reads += len(got.latencies)
		bareJob.Clients, bareJob.Duration = clients, r.opts.Duration
		base, err := drive(ctx, bareJob, &bh)
		if err != nil {
			return nil, err
		}
		rows = append(rows, httpRows(clients, got, base, &ph, &bh)...)
	}
	sizeAfter, err := s.dbBytes(ctx)
	if err != nil {
		return nil, err
	}
	perRead := float64(sizeAfter-sizeBefore) / float64(reads)
	r.logf("score over HTTP: %d logged reads added %s to the store", reads, mb(sizeAfter-sizeBefore))
	var none heapPeak
	return append(rows, newRow("storage per logged read", "bytes", perRead, 0, &none, &none, baselineNone).against(256, true)), nil
}

// httpRows are the rows of one client count: p50, p95, p99, requests per
// second and server CPU per request, the p99 and the CPU against
// DESIGN.md's 2x.
func httpRows(clients int, got, base *serverLoad, ph, bh *heapPeak) []Row {
	name := fmt.Sprintf("score over HTTP, %d clients", clients)
	if clients == 1 {
		name = "score over HTTP, 1 client"
	}
	rows := latencyRows(name, got.load, base.load, ph, bh, baselineBare)
	rows[2] = rows[2].against(2, false) // p99
	return append(rows, newRow(name+" server CPU per request", "µs", got.cpuPerRequest(), base.cpuPerRequest(), ph, bh, baselineBare).against(2, false))
}

// agreeOverHTTP asks both servers for each target's score; the first
// difference fails the run.
func agreeOverHTTP(ctx context.Context, probityURL, probityToken, bareURL, bareToken string, sample []target, asOf time.Time) error {
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: time.Minute}
	for _, t := range sample {
		got, err := scoreOver(ctx, client, probityURL, probityToken, t, asOf)
		if err != nil {
			return err
		}
		want, err := scoreOver(ctx, client, bareURL, bareToken, t, asOf)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("scores over HTTP disagree for %s in %s as of %s: Probity's server %s, the bare server %s; both must answer the same score",
				t.subject, t.domain, asOf.Format(time.RFC3339Nano), got, want)
		}
	}
	return nil
}
