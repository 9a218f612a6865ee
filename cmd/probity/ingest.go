package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/eventfile"
	"github.com/schollz/progressbar/v3"
)

// IngestCommand reads a domain's events from NDJSON or CSV.
type IngestCommand struct{ m *Main }

const ingestUsage = `Usage: probity ingest [--data DIR] --domain ID [--skip-invalid] FILE|-

Ingest events from NDJSON (one {"key","type","subject","occurred_at","fields","cures"}
object a line), a JSON array of such objects, or CSV (header
key,type,subject,occurred_at,cures then one column per declared field).
occurred_at is RFC 3339 or YYYY-MM-DD (midnight UTC). - reads standard input.

Without --skip-invalid one bad line (a conflicting duplicate included) means
nothing from the input is applied; every bad line is listed with its line
number. With it, the good lines are applied and the bad ones listed.
`

// Run ingests one file.
func (c *IngestCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("ingest", ingestUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	domain := fs.String("domain", "", "domain id (required)")
	skip := fs.Bool("skip-invalid", false, "apply the good lines and list the bad ones")
	jsonOut := fs.Bool("json", false, "print the summary as JSON")
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *domain == "" {
		return fmt.Errorf("ingest: --domain is required (see probity ingest -h)")
	}
	if len(args) != 1 {
		return fmt.Errorf("ingest: want one input file or -, got %d arguments (see probity ingest -h)", len(args))
	}
	r, size, closeInput, err := c.input(args[0])
	if err != nil {
		return err
	}
	defer closeInput()
	in, err := open(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	var bar *progressbar.ProgressBar
	if c.m.Terminal && !*jsonOut {
		bar = newBar(c.m, size, "ingest")
		r = io.TeeReader(r, bar)
	}
	reader, err := eventfile.NewReader(r)
	if err != nil {
		return fmt.Errorf("%s: %v", args[0], err)
	}
	sum, err := in.bureau.Ingest(cliContext(ctx), *domain, reader, probity.IngestOptions{SkipInvalid: *skip})
	if bar != nil {
		bar.Finish()
	}
	if sum == nil {
		return err
	}
	if *jsonOut {
		if perr := printJSON(c.m.Stdout, sum); perr != nil {
			return perr
		}
	} else {
		printSummary(c.m.Stdout, sum)
	}
	return err
}

func (c *IngestCommand) input(name string) (io.Reader, int64, func(), error) {
	if name == "-" {
		return c.m.Stdin, -1, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, nil, err
	}
	size := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return f, size, func() { f.Close() }, nil
}

func printSummary(w io.Writer, sum *probity.IngestSummary) {
	for _, e := range sum.Errors {
		if e.Key != "" {
			fmt.Fprintf(w, "line %d (key %s): %s\n", e.Line, e.Key, e.Message)
		} else {
			fmt.Fprintf(w, "line %d: %s\n", e.Line, e.Message)
		}
	}
	if n := sum.Rejected - len(sum.Errors); n > 0 {
		fmt.Fprintf(w, "... and %d more rejected lines\n", n)
	}
	state, accepted := "applied", "accepted"
	if !sum.Applied {
		state, accepted = "NOT applied: nothing from this input was stored", "valid"
	}
	rate := ""
	if secs := sum.Elapsed.Seconds(); secs > 0 && sum.Accepted > 0 {
		rate = fmt.Sprintf(", %.0f events/s", float64(sum.Accepted)/secs)
	}
	fmt.Fprintf(w, "%s %d, duplicates %d, rejected %d; %s (%s%s)\n",
		accepted, sum.Accepted, sum.Duplicates, sum.Rejected, state, sum.Elapsed.Round(time.Millisecond), rate)
}

// newBar returns a progress bar on standard error; size -1 shows a spinner.
func newBar(m *Main, size int64, desc string) *progressbar.ProgressBar {
	return progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(m.Stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
}
