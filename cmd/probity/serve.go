package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/probity-dev/probity/http"
)

// ServeCommand serves the JSON API.
type ServeCommand struct{ m *Main }

const serveUsage = `Usage: probity serve [--data DIR] [--addr ADDR]

Serve the JSON API. Until access control exists the server listens on
loopback addresses only.
`

// DefaultAddr is where the API listens by default.
const DefaultAddr = "127.0.0.1:8080"

// Run serves until the context ends (Ctrl-C).
func (c *ServeCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("serve", serveUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	addr := fs.String("addr", DefaultAddr, "listen address (loopback only for now)")
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return fmt.Errorf("serve: unexpected argument %q (see probity serve -h)", args[0])
	}
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	srv, err := c.m.listen(in, *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.m.Stdout, "serving %s on %s (loopback only: no access control yet); Ctrl-C stops\n", *data, srv.URL())
	return c.m.serveUntilDone(ctx, srv)
}

func (m *Main) listen(in *installation, addr string) (*http.Server, error) {
	logger := slog.New(slog.NewTextHandler(m.Stderr, nil))
	srv := http.NewServer(in.bureau, logger)
	if err := srv.Open(addr); err != nil {
		return nil, err
	}
	return srv, nil
}

func (m *Main) serveUntilDone(ctx context.Context, srv *http.Server) error {
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Close(shutdown)
}
