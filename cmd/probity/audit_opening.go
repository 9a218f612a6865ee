package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/probity-dev/probity/witness"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// openings prints a page of openings from the local store, as an
// installation auditor reads them; the read is logged like any other.
func (c *AuditCommand) openings(ctx context.Context, args []string) error {
	fs := newFlagSet("audit openings", auditUsage, c.m.Stdout)
	data := c.m.dataFlag(fs)
	log := logFlag(fs)
	domain := fs.String("domain", "", "the log of this domain (the same as --log DOMAIN)")
	from := fs.Uint64("from", 0, "first leaf index")
	limit := fs.Int("limit", 100, "at most this many openings (1 to 1000)")
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	} else if len(args) > 0 {
		return fmt.Errorf("audit openings: unexpected argument %q (see probity audit -h)", args[0])
	}
	if *limit < 1 || *limit > probity.MaxAuditEntries {
		return fmt.Errorf("audit openings: --limit %d; allowed: 1 to %d", *limit, probity.MaxAuditEntries)
	}
	in, err := openStore(ctx, *data)
	if err != nil {
		return err
	}
	defer in.Close()
	if *domain != "" {
		*log = *domain
	}
	b, err := in.bureau.Openings(cliContext(ctx), *log, *from, *limit)
	if err != nil {
		return err
	}
	return printJSON(c.m.Stdout, b)
}

// checkOpening checks the openings of a report (GET /v1/me/report, probity
// report --json, the portal's download) or of a bundle of openings,
// offline: nothing but the file and the key is used.
func (c *AuditCommand) checkOpening(ctx context.Context, args []string) error {
	fs := newFlagSet("audit check-opening", auditUsage, c.m.Stdout)
	key := fs.String("key", "", "the installation's public key, any of its logs' (default: the key the file states, which only proves the file is self-consistent)")
	var witnessKeys stringList
	fs.Var(&witnessKeys, "witness", "a witness's cosignature key (vkey); repeat for each witness you trust")
	quorum := fs.Int("witness-quorum", 0, "with --witness: how many of them must have cosigned the installation checkpoint (default: all)")
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return fmt.Errorf("audit check-opening: want one FILE, a report or a bundle of openings in JSON (see probity audit -h)")
	}
	buf, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	bundle, err := readBundle(buf)
	if err != nil {
		return fmt.Errorf("audit check-opening: %s: %v", args[0], err)
	}
	vkey := *key
	if vkey == "" {
		vkey = bundle.Key
		fmt.Fprintf(c.m.Stdout, "key (as the file states it; pin it with --key, from probity audit key or GET /v1/audit/key): %s\n", vkey)
	}
	verifiers, err := audit.VerifiersOf(vkey)
	if err != nil {
		return fmt.Errorf("audit check-opening: --key: %v", err)
	}
	cps, records, err := audit.CheckBundle(bundle, verifiers)
	if err != nil {
		return fmt.Errorf("audit check-opening: %s: %v", args[0], err)
	}
	if err := checkCosignatures(c.m.Stdout, bundle, witnessKeys, *quorum); err != nil {
		return fmt.Errorf("audit check-opening: %s: %v", args[0], err)
	}
	w := tabwriter.NewWriter(c.m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "LEAF\tTIME\tACTION\tDOMAIN\tBY\tPURPOSE")
	for i, r := range records {
		o := bundle.Openings[i]
		if r == nil {
			fmt.Fprintf(w, "%d\t\t(shredded by erasure leaf %d)\t\t\t\n", o.Index, *o.ErasedBy)
			continue
		}
		fmt.Fprintf(w, "%s/%d\t%s\t%s\t%s\t%s\t%s\n", r.Log, o.Index, r.At.Format("2006-01-02 15:04:05"), r.Action, r.Domain, r.Actor, r.Purpose)
	}
	w.Flush()
	var logs []string
	for log, cp := range cps {
		logs = append(logs, fmt.Sprintf("%s at %d leaves", log, cp.Size))
	}
	sort.Strings(logs)
	fmt.Fprintf(c.m.Stdout, "OK: %d openings open their leaves' commitments, and every leaf is in its log's signed checkpoint (%s)\n",
		len(records), strings.Join(logs, ", "))
	return nil
}

// readBundle reads a bundle of openings, alone or as a report's log.
func readBundle(buf []byte) (*probity.OpeningBundle, error) {
	var doc struct {
		probity.OpeningBundle
		Log *probity.OpeningBundle `json:"log"`
	}
	if err := json.Unmarshal(buf, &doc); err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	b := &doc.OpeningBundle
	if doc.Log != nil {
		b = doc.Log
	}
	if b.Installation.Checkpoint == "" {
		return nil, fmt.Errorf("no openings: want a report (with its \"log\") or a bundle with \"installation\", \"logs\", \"key\" and \"openings\"")
	}
	return b, nil
}

// checkCosignatures checks that the installation checkpoint of a bundle is
// cosigned by quorum of the witnesses whose keys are given, and says what
// it found; with no keys it only says whether Probity reported it
// witnessed.
func checkCosignatures(w io.Writer, b *probity.OpeningBundle, keys []string, quorum int) error {
	if len(keys) == 0 {
		if quorum != 0 {
			return fmt.Errorf("--witness-quorum %d without --witness: name the witnesses' keys", quorum)
		}
		if !b.Installation.Witnessed {
			fmt.Fprintln(w, "note: the installation checkpoint is not witnessed (the installation has no witnesses): only the operator signed it")
		} else {
			fmt.Fprintln(w, "note: the installation checkpoint says it is witnessed; pass --witness KEY to check the cosignatures")
		}
		return nil
	}
	if quorum == 0 {
		quorum = len(keys)
	}
	if quorum < 1 || quorum > len(keys) {
		return fmt.Errorf("--witness-quorum %d: want 1 to %d, the witnesses given", quorum, len(keys))
	}
	var ws []*witness.Witness
	for _, k := range keys {
		v, err := witness.ParseVerifierKey(k)
		if err != nil {
			return fmt.Errorf("--witness: %v", err)
		}
		ws = append(ws, &witness.Witness{Key: v})
	}
	n, names := witness.Quorum([]byte(b.Installation.Checkpoint), ws)
	if n < quorum {
		return fmt.Errorf("the installation checkpoint is cosigned by %d of the %d witnesses given (%s), fewer than %d", n, len(ws), strings.Join(names, ", "), quorum)
	}
	fmt.Fprintf(w, "cosigned by %d of %d witnesses: %s\n", n, len(ws), strings.Join(names, ", "))
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
