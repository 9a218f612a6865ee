package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/identity"
	"github.com/probity-dev/probity/sqlite"
)

// AuditCommand groups the audit subcommands.
type AuditCommand struct{ m *Main }

const auditUsage = `Usage: probity audit <command> [arguments]

Every change and every read of personal data is a leaf of an RFC 6962 Merkle
log, sealed by signed checkpoints (C2SP signed notes).

	verify [--data DIR]                         check the whole store against its log
	verify --url URL [--log L] [--key K]        follow a server's logs as tlog-tiles: rebuild
	                                            each from its tiles, check it only grew since
	                                            the checkpoint you kept, keep the new one
	                                            (probity audit verify --url URL -h)
	show [--data DIR] [--log L] INDEX           print one public leaf (of the installation
	                                            log, or of domain L's)
	openings [--data DIR] [--log L] [--from N] [--limit N]
	                                            print openings (salt and private record) with
	                                            inclusion proofs; the read is itself logged
	check-opening [--key K] FILE                check, offline, the openings in a report or
	                                            bundle (JSON): commitments, inclusion proofs,
	                                            the checkpoint's signature
	tail [--data DIR] [--from N]                print leaves as they arrive (Ctrl-C stops)
	checkpoint [--data DIR] [--log L]           print a log's latest signed checkpoint (keep it)
	key [--data DIR] [--log L]                  print the note verifier key of a log's checkpoints
	seal [--data DIR]                           record every domain log's checkpoint in the
	                                            installation log now
`

// Run dispatches a subcommand.
func (c *AuditCommand) Run(ctx context.Context, args []string) error {
	return c.m.subcommands(ctx, "audit", auditUsage, args, map[string]func(context.Context, []string) error{
		"verify":        c.verify,
		"show":          c.show,
		"tail":          c.tail,
		"checkpoint":    c.checkpoint,
		"key":           c.key,
		"openings":      c.openings,
		"check-opening": c.checkOpening,
		"seal":          c.seal,
	})
}

func (c *AuditCommand) verify(ctx context.Context, args []string) error {
	if isRemoteVerify(args) {
		return c.verifyRemote(ctx, args)
	}
	fs := newFlagSet("audit verify", auditUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	jsonOut := fs.Bool("json", false, "print the report as JSON")
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	} else if len(args) > 0 {
		return fmt.Errorf("audit verify: unexpected argument %q (see probity audit -h)", args[0])
	}
	needed := []string{identity.MasterKeyFile, audit.KeyFile}
	if *data.db == "" {
		needed = append(needed, sqlite.FileName)
	}
	for _, name := range needed {
		if _, err := os.Stat(filepath.Join(data.Dir(), name)); err != nil {
			return fmt.Errorf("audit verify: %s has no %s: there is no store to verify (wrong --data?)", data.Dir(), name)
		}
	}
	in, err := openStore(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	report, err := audit.Verify(ctx, in.db, in.signer.Verifier(), in.bureau.KeyDigests())
	if err != nil {
		return err
	}
	if *jsonOut {
		if err := printJSON(c.m.Stdout, report); err != nil {
			return err
		}
	} else {
		for _, p := range report.Problems {
			fmt.Fprintln(c.m.Stdout, p)
		}
		if n := report.Count - len(report.Problems); n > 0 {
			fmt.Fprintf(c.m.Stdout, "... and %d more problems\n", n)
		}
		rate := float64(report.Leaves) / report.LogElapsed.Seconds()
		fmt.Fprintf(c.m.Stdout, "%d leaves (%d places in batch leaves), %d checkpoints, %d spec rows, %d event rows and %d principals checked in %s (log: %.0f leaves/s)\n",
			report.Leaves, report.Members, report.Checkpoints, report.Specs, report.Events, report.Principals, report.Elapsed.Round(time.Millisecond), rate)
	}
	if !report.OK() {
		return fmt.Errorf("audit verify: %d problems: the store does not match its log", report.Count)
	}
	fmt.Fprintln(c.m.Stdout, "OK: every leaf, checkpoint and row verifies")
	return nil
}

func (c *AuditCommand) show(ctx context.Context, args []string) error {
	fs := newFlagSet("audit show", auditUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	log := logFlag(fs)
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return fmt.Errorf("audit show: want one leaf index (see probity audit -h)")
	}
	index, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil {
		return fmt.Errorf("audit show: %q is not a leaf index", args[0])
	}
	in, err := openStore(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	entries, err := in.bureau.Entries(ctx, *log, index, index+1)
	if err != nil {
		return err
	} else if len(entries) == 0 {
		return fmt.Errorf("audit show: log %s has no leaf %d", *log, index)
	}
	return printJSON(c.m.Stdout, entries[0])
}

func (c *AuditCommand) tail(ctx context.Context, args []string) error {
	fs := newFlagSet("audit tail", auditUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	log := logFlag(fs)
	from := fs.Int64("from", -1, "first leaf to print (default: the next one)")
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	} else if len(args) > 0 {
		return fmt.Errorf("audit tail: unexpected argument %q", args[0])
	}
	in, err := openStore(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	next := uint64(0)
	if *from >= 0 {
		next = uint64(*from)
	} else if cp, err := in.bureau.Checkpoint(ctx, *log); err == nil {
		next = cp.Size
	}
	enc := json.NewEncoder(c.m.Stdout)
	for {
		entries, err := in.bureau.Entries(ctx, *log, next, next+probity.MaxAuditEntries)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		next += uint64(len(entries))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (c *AuditCommand) checkpoint(ctx context.Context, args []string) error {
	fs := newFlagSet("audit checkpoint", auditUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	log := logFlag(fs)
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	in, err := openStore(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	cp, err := in.bureau.Checkpoint(ctx, *log)
	if err != nil {
		return err
	}
	fmt.Fprint(c.m.Stdout, cp.Note)
	return nil
}

func (c *AuditCommand) key(ctx context.Context, args []string) error {
	fs := newFlagSet("audit key", auditUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	log := logFlag(fs)
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	in, err := openStore(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	fmt.Fprintln(c.m.Stdout, in.bureau.PublicKey(*log))
	return nil
}

// seal records every domain log's latest checkpoint in the installation
// log now (serve does it every few seconds).
func (c *AuditCommand) seal(ctx context.Context, args []string) error {
	fs := newFlagSet("audit seal", auditUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	in, err := openStore(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	n, err := in.bureau.SealLogs(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.m.Stdout, "recorded the checkpoints of %d domain logs in the installation log\n", n)
	return nil
}

// logFlag declares --log, the log a command reads.
func logFlag(fs *flag.FlagSet) *string {
	return fs.String("log", probity.InstallationLog, "the log: "+probity.InstallationLog+" or a domain's id")
}
