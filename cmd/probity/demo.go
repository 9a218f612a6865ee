package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/examples"
	"github.com/probity-dev/probity/http"
	"github.com/probity-dev/probity/population"
	"github.com/schollz/progressbar/v3"
)

// DemoCommand sets up the example domains and a synthetic population, then
// serves the API.
type DemoCommand struct{ m *Main }

const demoUsage = `Usage: probity demo [--data DIR] [--subjects N] [--addr ADDR]

Apply the example domains (a bank, rent and utilities, a tax office, a
public-integrity office), generate a deterministic synthetic population
(about 20 events a subject over six years), then serve the API and print
curl commands that work. Running it again on the same data directory reuses
what is there.
`

// demoState is kept in the data directory so that a second run generates the
// same population (same seed, same anchor day) and finds only duplicates.
type demoState struct {
	Seed   uint64    `json:"seed"`
	Anchor time.Time `json:"anchor"`
}

// Run runs the demo.
func (c *DemoCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("demo", demoUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	subjects := fs.Int("subjects", 10000, "number of synthetic subjects")
	seed := fs.Uint64("seed", 1, "seed of the synthetic population")
	addr := fs.String("addr", DefaultAddr, "listen address")
	noServe := fs.Bool("no-serve", false, "set up and exit without serving")
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return fmt.Errorf("demo: unexpected argument %q (see probity demo -h)", args[0])
	} else if *subjects < 1 || *subjects > 10_000_000 {
		return fmt.Errorf("demo: --subjects %d: want 1 to 10000000", *subjects)
	}
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	ctx = cliContext(ctx)
	specs, err := c.applyDomains(ctx, in)
	if err != nil {
		return err
	}
	opts, err := c.state(data.Dir(), *seed)
	if err != nil {
		return err
	}
	opts.Subjects = *subjects
	// The port is bound first: a busy one fails now, not after the
	// population is made.
	base := "http://" + *addr
	var srv *http.Server
	if !*noServe {
		if srv, err = c.m.listen(in, *addr, serveOptions{rate: http.DefaultRate, burst: http.DefaultBurst}); err != nil {
			return err
		}
		base = srv.URL()
		fmt.Fprintf(c.m.Stdout, "listening at %s; making the population (what is stored so far is served meanwhile)\n", base)
	}
	stop := func(err error) error {
		if srv != nil {
			srv.Close(context.Background())
		}
		return err
	}
	if err := c.populate(ctx, in, specs, opts); err != nil {
		return stop(err)
	}
	shown, err := c.showcase(ctx, in, specs, time.Now().UTC())
	if err != nil {
		return stop(err)
	}
	in.bureau.RefreshFigures(ctx) // the registry's figures count the population
	found, err := chooseExamples(specs, opts)
	if err != nil {
		return stop(err)
	}
	showcase := ""
	if len(shown) > 0 && shown[0].subject == showcaseGrace {
		showcase = showcaseGrace
	}
	tokens, err := c.tokens(ctx, in, data.Dir(), specs, found, showcase)
	if err != nil {
		return stop(err)
	}
	c.printTokens(tokens)
	c.printShowcase(shown)
	c.printExamples(found, base, tokens)
	if *noServe {
		return nil
	}
	fmt.Fprintf(c.m.Stdout, "\nserving %s on %s; Ctrl-C stops\n", *data, srv.URL())
	fmt.Fprintf(c.m.Stdout, "the web pages: %s/ (the public registry); sign in at %s/signin with a token above\n", srv.URL(), srv.URL())
	return c.m.serveUntilDone(ctx, srv, in)
}

func (c *DemoCommand) applyDomains(ctx context.Context, in *installation) ([]*probity.Spec, error) {
	names, err := fs.Glob(examples.Domains, "domains/*.yaml")
	if err != nil {
		return nil, err
	}
	var specs []*probity.Spec
	for _, name := range names {
		source, err := examples.Domains.ReadFile(name)
		if err != nil {
			return nil, err
		}
		res, err := in.bureau.ApplySpec(ctx, "", source)
		if err != nil {
			return nil, fmt.Errorf("examples/%s: %w", name, err)
		}
		d, err := in.bureau.Domain(ctx, res.ID)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(c.m.Stdout, "domain %-22s version %d in effect since %s\n", res.ID, d.Version, d.EffectiveAt.Format(time.DateOnly))
		specs = append(specs, d.Spec)
	}
	return specs, nil
}

// state reads or creates the demo's seed and anchor day.
func (c *DemoCommand) state(dir string, seed uint64) (population.Options, error) {
	path := filepath.Join(dir, "demo-population.json")
	var st demoState
	if buf, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(buf, &st); err != nil {
			return population.Options{}, fmt.Errorf("%s: %v (delete it to start afresh)", path, err)
		}
	} else if os.IsNotExist(err) {
		st = demoState{Seed: seed, Anchor: time.Now().UTC().Truncate(24 * time.Hour)}
		buf, _ := json.MarshalIndent(st, "", "  ")
		if err := os.WriteFile(path, buf, 0o600); err != nil {
			return population.Options{}, err
		}
	} else {
		return population.Options{}, err
	}
	return population.Options{Seed: st.Seed, Now: st.Anchor}, nil
}

func (c *DemoCommand) populate(ctx context.Context, in *installation, specs []*probity.Spec, opts population.Options) error {
	start := time.Now()
	total := 0
	for _, s := range specs {
		d, err := population.NewDomain(s, prefix(s.ID), opts)
		if err != nil {
			return err
		}
		var bar *progressbar.ProgressBar
		progress := func(int) {}
		if c.m.Terminal {
			bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(c.m.Stderr), progressbar.OptionSetDescription(s.ID),
				progressbar.OptionShowCount(), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
			progress = func(n int) { bar.Set(n) }
		}
		sum, err := in.bureau.Ingest(ctx, s.ID, d.Reader(), probity.IngestOptions{Progress: progress})
		if bar != nil {
			bar.Finish()
		}
		if err != nil {
			if sum != nil && len(sum.Errors) > 0 {
				return fmt.Errorf("demo population of %s: %w (line %d: %s)", s.ID, err, sum.Errors[0].Line, sum.Errors[0].Message)
			}
			return fmt.Errorf("demo population of %s: %w", s.ID, err)
		}
		total += sum.Accepted + sum.Duplicates
		fmt.Fprintf(c.m.Stdout, "events %-22s accepted %d, already present %d\n", s.ID, sum.Accepted, sum.Duplicates)
	}
	fmt.Fprintf(c.m.Stdout, "population: %d subjects, %d events in %s\n", opts.Subjects, total, time.Since(start).Round(time.Millisecond))
	return nil
}

// prefix makes an event-key prefix from a domain id: "acme.lending" -> "acme-lending".
func prefix(id string) string { return strings.ReplaceAll(id, ".", "-") }
