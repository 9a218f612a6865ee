package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/probity-dev/probity/http"
	"github.com/probity-dev/probity/web"
)

// ServeCommand serves the JSON API.
type ServeCommand struct{ m *Main }

const serveUsage = `Usage: probity serve [--data DIR] [--addr ADDR] [--tls-cert FILE --tls-key FILE]

Serve the JSON API under /v1/ and the web pages (the public registry at /,
the subjects' portal, the institutions' console, the audit log) beside it. Callers authenticate with bearer tokens (probity token
create); the first serve of a new data directory creates the operator's token
and prints it once. Use TLS on any address other than loopback: tokens travel
in the Authorization header.
`

// DefaultAddr is where the API listens by default.
const DefaultAddr = "127.0.0.1:8080"

// serveOptions are the server's settings beyond its address.
type serveOptions struct {
	tlsCert, tlsKey string
	rate            float64
	burst           int
}

// Run serves until the context ends (Ctrl-C).
func (c *ServeCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("serve", serveUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	addr := fs.String("addr", DefaultAddr, "listen address")
	var opts serveOptions
	fs.StringVar(&opts.tlsCert, "tls-cert", "", "TLS certificate file (PEM)")
	fs.StringVar(&opts.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	fs.Float64Var(&opts.rate, "rate", http.DefaultRate, "requests per second allowed to each principal (or anonymous address)")
	fs.IntVar(&opts.burst, "burst", http.DefaultBurst, "requests a principal may make at once before the rate applies")
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return fmt.Errorf("serve: unexpected argument %q (see probity serve -h)", args[0])
	}
	if (opts.tlsCert == "") != (opts.tlsKey == "") {
		return fmt.Errorf("serve: --tls-cert and --tls-key go together")
	}
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	srv, err := c.m.listen(in, *addr, opts)
	if err != nil {
		return err
	}
	token, err := bootstrapOperator(ctx, in) // only once the server runs, so it is shown
	if err != nil {
		srv.Close(context.Background())
		return err
	}
	if token != "" {
		fmt.Fprintf(c.m.Stdout, "new installation: the operator's token, shown once (it creates every other token):\n  %s\n", token)
	}
	fmt.Fprintf(c.m.Stdout, "serving %s on %s; Ctrl-C stops\n", *data, srv.URL())
	fmt.Fprintf(c.m.Stdout, "the web pages: %s/ (the public registry, and /signin)\n", srv.URL())
	if opts.tlsCert == "" && !srv.Loopback() {
		fmt.Fprintln(c.m.Stderr, "warning: serving without TLS on a non-loopback address: tokens travel in clear text; use --tls-cert and --tls-key")
	}
	return c.m.serveUntilDone(ctx, srv, in)
}

func (m *Main) listen(in *installation, addr string, opts serveOptions) (*http.Server, error) {
	logger := slog.New(slog.NewTextHandler(m.Stderr, nil))
	srv := http.NewServer(in.bureau, logger)
	srv.TLSCert, srv.TLSKey = opts.tlsCert, opts.tlsKey
	srv.Pages = web.New(in.bureau, in.bureau.FormKey(), logger).Handler()
	if opts.rate > 0 {
		srv.Rate, srv.Burst = opts.rate, opts.burst
	}
	if err := srv.Open(addr); err != nil {
		return nil, err
	}
	return srv, nil
}

// SealInterval is how often a serving installation records every domain
// log's latest checkpoint in the installation log.
const SealInterval = 5 * time.Second

func (m *Main) serveUntilDone(ctx context.Context, srv *http.Server, in *installation) error {
	go m.seal(ctx, in, SealInterval)
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Close(shutdown)
}

// seal records the domain logs' checkpoints in the installation log every
// interval until ctx ends, so that following the installation log (and its
// witnesses) commits to every domain log.
func (m *Main) seal(ctx context.Context, in *installation, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := in.bureau.SealLogs(ctx); err != nil && ctx.Err() == nil {
				fmt.Fprintf(m.Stderr, "recording the domain logs' checkpoints: %v\n", err)
			}
		}
	}
}
