package main

import (
	"context"
	"flag"
	"fmt"
	"go.opentelemetry.io/otel/trace"
	"log/slog"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/probity-dev/probity/bureau"
	"github.com/probity-dev/probity/http"
	"github.com/probity-dev/probity/metrics"
	"github.com/probity-dev/probity/web"
	"github.com/probity-dev/probity/witness"
)

// ServeCommand serves the JSON API.
type ServeCommand struct{ m *Main }

const serveUsage = `Usage: probity serve [--data DIR] [--addr ADDR] [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]]
                     [--witness URL=VKEY ... [--witness-quorum K]]
                     [--oidc-issuer URL ... --oidc-audience AUD [--oidc-subject-claim NAME]
                      [--oidc-client-id ID [--oidc-client-secret-file FILE]]]

Serve the JSON API under /v1/ and the web pages (the public registry at /,
the subjects' portal, the institutions' console, the audit log) beside it.
Callers authenticate with bearer tokens (probity token create); the first
serve of a new installation creates the operator's token and writes it to
operator.token in the data directory (mode 0600; with --db too), printing
only the file's path. Use TLS on any address other than loopback: tokens
travel in the Authorization header.

Every flag may come from the environment as PROBITY_ and its name in
capitals (--seal-every: PROBITY_SEAL_EVERY) or from a YAML file (--config
probity.yaml, or PROBITY_CONFIG; "seal-every: 10s", "$VAR" expanded, a list
for a repeatable flag); the command line wins, then the environment, then
the file.

Every --seal-every the installation log records each domain log that grew;
each new installation checkpoint then goes to every --witness (a C2SP
tlog-witness: its submission URL and the vkey it prints), with a consistency
proof from the size it cosigned last. Their cosignatures are stored and
served with the checkpoint; subjects and auditors are shown the latest
checkpoint that --witness-quorum of them cosigned. A witness that refuses is
logged at ERROR and shown in /healthz.

With --oidc-issuer, institutions' systems may authenticate with their own
identity provider's access tokens (JWTs, signed RS256, ES256 or EdDSA, with
the --oidc-audience, unexpired): a token whose subject is bound to a
principal (probity token create --issuer URL --external-subject SUB) acts as
that principal, with exactly its roles. Key-bound tokens are checked: DPoP
proofs (cnf.jkt) and client certificates (cnf.x5t#S256). With
--oidc-subject-claim, a token no principal is bound to and whose claim holds
an identifier (person:..., cn-rid:...) reaches the subject API as that subject;
with --oidc-client-id too, subjects sign in to the portal at that provider
(authorization code with PKCE, state and nonce; register the redirect URI
https://HOST/signin/oidc/callback), rated under the identifier in that claim.
`

// DefaultAddr is where the API listens by default.
const DefaultAddr = "127.0.0.1:8080"

// serveOptions are the server's settings beyond its address. A rate of 0
// is no limit, as in http.Server.
type serveOptions struct {
	tlsCert, tlsKey string
	tlsClientCA     string
	// proxies are the trusted reverse proxies (--trusted-proxy).
	proxies []netip.Prefix
	// tracer traces requests (--trace-file); nil: no tracing.
	tracer trace.Tracer
	// signIn, when set, signs subjects in to the portal through an
	// identity provider.
	signIn web.SubjectSignIn
	rate   float64
	burst  int
}

// witnessOptions are the witness flags: the witnesses, the quorum (0: all)
// and the time each request to a witness may take.
type witnessOptions struct {
	witnesses []*witness.Witness
	quorum    int
	timeout   time.Duration
}

// witnessFlags registers --witness (repeatable), --witness-quorum and
// --witness-timeout.
func witnessFlags(fs *flag.FlagSet) *witnessOptions {
	o := &witnessOptions{}
	fs.Func("witness", "a C2SP tlog-witness that cosigns the installation log's checkpoints: URL=VKEY, its submission URL and the vkey it prints (repeatable)", func(v string) error {
		w, err := witness.ParseWitness(v)
		if err == nil {
			o.witnesses = append(o.witnesses, w)
		}
		return err
	})
	fs.IntVar(&o.quorum, "witness-quorum", 0, "how many --witness must cosign a checkpoint before subjects and auditors are shown it (default: all)")
	fs.DurationVar(&o.timeout, "witness-timeout", bureau.DefaultWitnessTimeout, "the longest one request to a witness may take")
	return o
}

// policy checks the witness flags and returns the policy they make.
func (o *witnessOptions) policy(fs *flag.FlagSet, logger *slog.Logger) (bureau.WitnessPolicy, error) {
	quorumSet := false
	fs.Visit(func(f *flag.Flag) { quorumSet = quorumSet || f.Name == "witness-quorum" })
	switch n := len(o.witnesses); {
	case quorumSet && n == 0:
		return bureau.WitnessPolicy{}, fmt.Errorf("--witness-quorum %d: no --witness given; name the witnesses first (--witness URL=VKEY, repeatable)", o.quorum)
	case quorumSet && (o.quorum < 1 || o.quorum > n):
		return bureau.WitnessPolicy{}, fmt.Errorf("--witness-quorum %d: want 1 to %d, the number of --witness flags", o.quorum, n)
	case o.timeout <= 0:
		return bureau.WitnessPolicy{}, fmt.Errorf("--witness-timeout %v: want a positive duration, e.g. 10s", o.timeout)
	}
	return bureau.WitnessPolicy{Witnesses: o.witnesses, Quorum: o.quorum, Timeout: o.timeout, Logger: logger}, nil
}

// Run serves until the context ends (Ctrl-C).
func (c *ServeCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("serve", serveUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	addr := fs.String("addr", DefaultAddr, "listen address")
	var opts serveOptions
	fs.StringVar(&opts.tlsCert, "tls-cert", "", "TLS certificate file (PEM)")
	fs.StringVar(&opts.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	fs.StringVar(&opts.tlsClientCA, "tls-client-ca", "", "with --tls-cert: certificate authorities (PEM) whose client certificates are asked for and verified, for tokens bound to a client certificate (mutual TLS, RFC 8705)")
	fs.Float64Var(&opts.rate, "rate", http.DefaultRate, "requests per second allowed to each principal (or anonymous address); 0: no limit")
	fs.IntVar(&opts.burst, "burst", http.DefaultBurst, "requests a principal may make at once before the rate applies")
	grace := fs.Duration("shutdown-grace", DefaultGrace, "on SIGTERM or Ctrl-C, how long running requests may finish before they are abandoned (answered 503, nothing applied)")
	sealEvery := fs.Duration("seal-every", SealInterval, "how often the installation log records the domain logs that grew, and the new installation checkpoint goes to the witnesses")
	wopts := witnessFlags(fs)
	oopts := oidcFlags(fs)
	fs.Func("trusted-proxy", "a reverse proxy in front of the server, an address or CIDR (repeatable): its X-Forwarded-For and X-Forwarded-Proto are believed, for the rate limiter, the log, the pages' origin check and Secure cookies; nobody else's", func(v string) error {
		p, err := http.ParseProxy(v)
		if err == nil {
			opts.proxies = append(opts.proxies, p)
		}
		return err
	})
	traceFile := fs.String("trace-file", "", "trace every request with OpenTelemetry into this file, one JSON span a line (default: no tracing)")
	logFormat := fs.String("log-format", "text", "the log's format: text (key=value) or json (one object a line)")
	config := fs.String("config", "", "a YAML file of flag values (flag: value; $VAR expanded; a list for a repeatable flag); every flag may also come from PROBITY_<FLAG> in the environment; the command line wins, then the environment, then the file")
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if v := c.m.Getenv("PROBITY_CONFIG"); *config == "" && v != "" {
		*config = v
	}
	if err := c.m.configure(fs, *config); err != nil {
		return fmt.Errorf("serve: %v", err)
	}
	if len(args) > 0 {
		return fmt.Errorf("serve: unexpected argument %q (see probity serve -h)", args[0])
	}
	if (opts.tlsCert == "") != (opts.tlsKey == "") {
		return fmt.Errorf("serve: --tls-cert and --tls-key go together")
	}
	if opts.tlsClientCA != "" && opts.tlsCert == "" {
		return fmt.Errorf("serve: --tls-client-ca needs --tls-cert and --tls-key: client certificates are asked for over TLS")
	}
	if opts.rate < 0 {
		return fmt.Errorf("serve: --rate %v: want requests per second, 0 or more (0: no limit)", opts.rate)
	}
	if opts.burst < 0 {
		return fmt.Errorf("serve: --burst %d: want a number of requests, 0 or more", opts.burst)
	}
	switch *logFormat {
	case "text":
	case "json":
		c.m.logJSON = true
	default:
		return fmt.Errorf("serve: --log-format %q: want text or json", *logFormat)
	}
	if *grace < 0 {
		return fmt.Errorf("serve: --shutdown-grace %v: want a duration, 0 or more", *grace)
	}
	if *sealEvery <= 0 {
		return fmt.Errorf("serve: --seal-every %v: want a positive duration, e.g. 5s", *sealEvery)
	}
	policy, err := wopts.policy(fs, c.m.logger())
	if err != nil {
		return fmt.Errorf("serve: %v", err)
	}
	external, err := oopts.verifier()
	if err != nil {
		return fmt.Errorf("serve: %v", err)
	}
	portal, err := oopts.portal()
	if err != nil {
		return fmt.Errorf("serve: %v", err)
	}
	if portal != nil {
		opts.signIn = portal
	}
	var lock *serverLock
	if *data.db == "" {
		if err := os.MkdirAll(data.Dir(), 0o700); err != nil {
			return fmt.Errorf("serve: %v", err)
		}
		if lock, err = lockServing(data.Dir()); err != nil {
			return err
		}
		defer lock.release()
	}
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	if external != nil {
		in.bureau.SetExternalVerifier(external)
	}
	if err := in.bureau.SetWitnesses(policy); err != nil {
		return err
	}
	if *traceFile != "" {
		tracer, stop, err := tracing(*traceFile)
		if err != nil {
			return fmt.Errorf("serve: %v", err)
		}
		defer stop(context.Background())
		opts.tracer = tracer
	}
	srv, err := c.m.listen(in, *addr, opts)
	if err != nil {
		return err
	}
	tokenFile, err := bootstrapOperator(ctx, in, data.Dir()) // only once the server runs, so that it is used
	if err != nil {
		srv.Close(context.Background())
		return err
	}
	if tokenFile != "" {
		fmt.Fprintf(c.m.Stdout, "new installation: the operator's token (it creates every other token) is in\n  %s\n"+
			"readable only by you; keep it somewhere safe and delete the file (it is never printed: standard output ends up in logs)\n", tokenFile)
	}
	if lock != nil {
		lock.describe(srv.URL())
	}
	fmt.Fprintf(c.m.Stdout, "serving %s on %s; Ctrl-C stops\n", *data, srv.URL())
	fmt.Fprintf(c.m.Stdout, "the web pages: %s/ (the public registry, and /signin)\n", srv.URL())
	if opts.tlsCert == "" && !srv.Loopback() {
		fmt.Fprintln(c.m.Stderr, "warning: serving without TLS on a non-loopback address: tokens travel in clear text; use --tls-cert and --tls-key")
	}
	for _, w := range policy.Witnesses {
		fmt.Fprintf(c.m.Stdout, "witness %s at %s\n", w.Name(), w.URL)
	}
	return c.m.serveSealing(ctx, srv, in, *sealEvery, *grace)
}

// logger is the server's structured log, on standard error.
func (m *Main) logger() *slog.Logger {
	if m.logJSON {
		return slog.New(slog.NewJSONHandler(m.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(m.Stderr, nil))
}

func (m *Main) listen(in *installation, addr string, opts serveOptions) (*http.Server, error) {
	logger := m.logger()
	srv := http.NewServer(in.bureau, logger)
	srv.TLSCert, srv.TLSKey, srv.TLSClientCA = opts.tlsCert, opts.tlsKey, opts.tlsClientCA
	srv.Version = buildVersion().String()
	srv.TrustedProxies, srv.Tracer = opts.proxies, opts.tracer
	meter := metrics.New(in.bureau, in.db)
	in.bureau.SetObserver(meter)
	in.db.Observer = meter
	srv.Metrics = meter
	pages := web.New(in.bureau, in.bureau.FormKey(), logger)
	pages.SignIn = opts.signIn
	srv.Pages, srv.PagePattern = pages.Handler(), pages.Pattern
	srv.Rate, srv.Burst = opts.rate, opts.burst // rate 0: no limit
	if err := srv.Open(addr); err != nil {
		return nil, err
	}
	// the registry's figures are ready by the first visit, not computed
	// on it
	go in.bureau.Figures(context.Background())
	return srv, nil
}

// SealInterval is how often a serving installation records every domain
// log's latest checkpoint in the installation log (--seal-every).
const SealInterval = 5 * time.Second

// serveUntilDone serves, sealing every SealInterval, until ctx ends, then
// stops within DefaultGrace.
func (m *Main) serveUntilDone(ctx context.Context, srv *http.Server, in *installation) error {
	return m.serveSealing(ctx, srv, in, SealInterval, DefaultGrace)
}

// DefaultGrace is how long a stopping server lets running requests finish
// (--shutdown-grace): an upload of the largest file a reporter may send.
const DefaultGrace = 30 * time.Second

// serveSealing serves until ctx ends while two loops run beside the
// server: one seals the logs every interval, the other submits each new
// installation checkpoint to the witnesses (at start, then after every
// seal), so that a slow witness never delays a seal. It returns once both
// loops have ended and the server is closed: nothing outlives it. When ctx
// ends (SIGTERM, Ctrl-C) the server stops accepting, lets running requests
// finish for up to grace, then abandons those left, which answer 503 with
// nothing applied.
func (m *Main) serveSealing(ctx context.Context, srv *http.Server, in *installation, interval, grace time.Duration) error {
	sealed := make(chan struct{}, 1)
	sealed <- struct{}{} // the latest checkpoint, at start
	var wg sync.WaitGroup
	wg.Go(func() { m.seal(ctx, in, interval, sealed) })
	wg.Go(func() { m.witness(ctx, in, sealed) })
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Close(shutdown)
	wg.Wait()
	// the refusals counted since the last seal, so that none goes unlogged
	flush, cancelFlush := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelFlush()
	if _, ferr := in.bureau.FlushRefusals(flush, true); ferr != nil {
		fmt.Fprintf(m.Stderr, "recording the refusals counted this minute: %v\n", ferr)
	}
	return err
}

// seal records the domain logs' checkpoints in the installation log every
// interval until ctx ends, so that following the installation log (and its
// witnesses) commits to every domain log, and tells the witness loop after
// each.
func (m *Main) seal(ctx context.Context, in *installation, interval time.Duration, sealed chan<- struct{}) {
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
			select {
			case sealed <- struct{}{}:
			default: // the witness loop has one waiting already
			}
		}
	}
}

// witness submits the installation log's latest checkpoint to the
// witnesses each time the seal loop says so, until ctx ends. Witnesses'
// failures are logged by the bureau; this reports the store's.
func (m *Main) witness(ctx context.Context, in *installation, sealed <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-sealed:
			if err := in.bureau.WitnessCheckpoints(ctx); err != nil && ctx.Err() == nil {
				fmt.Fprintf(m.Stderr, "submitting the installation checkpoint to the witnesses: %v\n", err)
			}
		}
	}
}
