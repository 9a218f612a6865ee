package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/storetest"
)

// logState returns the size of a data directory's log and its last leaf.
// logSizes holds each data directory's log sizes at the last logState.
var logSizes = map[string]map[string]uint64{}

// logState returns the number of leaves of every log of the installation
// in data, and the last leaf of the log that grew since the last call (the
// installation log's if none did), with its record.
func logState(tb testing.TB, data string) (uint64, probity.AuditLeaf) {
	tb.Helper()
	in, err := openStore(context.Background(), testLocation(tb, data))
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	var last *probity.AuditEntry
	total := uint64(0)
	err = in.db.View(context.Background(), func(tx probity.ReadTx) error {
		logs, err := tx.Logs()
		if err != nil {
			return err
		}
		grown, sizes := probity.InstallationLog, map[string]uint64{}
		for _, l := range logs {
			total += l.Size
			sizes[l.Name] = l.Size
			if l.Size > logSizes[data][l.Name] {
				grown = l.Name
			}
		}
		// The installation log's records of the domain logs' checkpoints
		// are no command's trace: leave them out of the count.
		err = tx.Leaves(probity.InstallationLog, 0, sizes[probity.InstallationLog], func(e *probity.AuditEntry) error {
			if e.Action == probity.ActionLogCheckpoint {
				total--
			}
			return nil
		})
		if err != nil {
			return err
		}
		logSizes[data] = sizes
		return tx.Leaves(grown, sizes[grown]-1, sizes[grown], func(e *probity.AuditEntry) error { last = e; return nil })
	})
	if err != nil || last == nil || last.Invalid != "" {
		tb.Fatalf("last leaf: %v %+v", err, last)
	}
	return total, last.AuditLeaf
}

func verifyOK(tb testing.TB, data string) *audit.Report {
	tb.Helper()
	return verifyLocation(tb, testLocation(tb, data))
}

// verifyLocation verifies the installation at loc and fails unless it is OK.
func verifyLocation(tb testing.TB, loc location) *audit.Report {
	tb.Helper()
	in, err := openStore(context.Background(), loc)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	r, err := audit.Verify(context.Background(), in.db, in.signer.Verifier(), in.bureau.KeyDigests())
	if err != nil {
		tb.Fatal(err)
	}
	if !r.OK() {
		tb.Fatalf("verify: %d problems: %v", r.Count, r.Problems)
	}
	return r
}

// TestEveryCommandLeavesATrace runs each CLI command that changes state or
// reads personal data, and checks that the log grew by its leaves, with the
// right action and purpose; commands that touch no personal data add none.
func TestEveryCommandLeavesATrace(t *testing.T) {
	data := t.TempDir()
	events := writeFile(t, t.TempDir(), "e.ndjson", `{"key":"k1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-01-10","fields":{"amount":12000}}
{"key":"k2","type":"loan_repaid","subject":"`+acmeCo+`","occurred_at":"2025-02-10","fields":{"amount":100}}
`)
	tests := []struct {
		name    string
		args    []string
		leaves  uint64
		action  string
		purpose string
	}{
		{"ApplySpec", []string{"domain", "apply", lendingSpec}, 1, probity.ActionSpecApplied, ""},
		{"ApplyUnchanged", []string{"domain", "apply", lendingSpec}, 0, "", ""},                                 // unchanged: nothing happened
		{"Ingest", []string{"ingest", "--domain", "acme.lending", events}, 1, probity.ActionEventsAccepted, ""}, // one batch leaf for both
		{"IngestDuplicates", []string{"ingest", "--domain", "acme.lending", events}, 0, "", ""},                 // duplicates change nothing
		{"Score", []string{"score", "--domain", "acme.lending", "--subject", alice}, 1, probity.ActionScoreRead, "local_inspection"},
		{"ScoreWithPurpose", []string{"score", "--domain", "acme.lending", "--subject", alice, "--purpose", "collection", "--json"}, 1, probity.ActionScoreRead, "collection"},
		{"TokenCreate", []string{"token", "create", "--name", "desk", "--grant", "reader:acme.lending"}, 1, probity.ActionPrincipalCreated, ""},
		{"TokenSubject", []string{"token", "subject", alice}, 1, probity.ActionPrincipalCreated, ""},
		{"TokenList", []string{"token", "list"}, 0, "", ""},
		{"Report", []string{"report", "--subject", alice, "--json"}, 1, probity.ActionReportRead, "subject_access"},
		{"DisputeFile", []string{"dispute", "file", "--domain", "acme.lending", "--subject", alice, "--key", "k1", "--reason", "paid on time"}, 1, probity.ActionDisputeFiled, ""},
		{"DisputeList", []string{"dispute", "list", "--domain", "acme.lending"}, 0, "", ""},
		{"Retract", []string{"retract", "--domain", "acme.lending", "--key", "k2", "--reason", "sent in error"}, 1, probity.ActionEventRetracted, "retracted by the domain"},
		{"OfficialAdd", []string{"official", "add", "--domain", "acme.lending", "--subject", alice, "--office", "treasurer", "--from", "2024-01-01"}, 1, probity.ActionTermRecorded, ""},
		{"OfficialList", []string{"official", "list", "--domain", "acme.lending"}, 0, "", ""},
		{"OptOut", []string{"opt-out", "--domain", "acme.lending", "--subject", alice}, 1, probity.ActionOptOut, ""},
		{"OptIn", []string{"opt-out", "--domain", "acme.lending", "--subject", alice, "--back-in"}, 1, probity.ActionOptIn, ""},
		{"AuditVerify", []string{"audit", "verify"}, 0, "", ""},
		{"AuditShow", []string{"audit", "show", "0"}, 0, "", ""},
		{"AuditCheckpoint", []string{"audit", "checkpoint"}, 0, "", ""},
	}
	in, err := open(context.Background(), testLocation(t, data)) // creates the keys and logs them
	if err != nil {
		t.Fatal(err)
	}
	in.Close()
	before, first := logState(t, data)
	if before != 2 || first.Action != probity.ActionKeyCreated {
		t.Fatalf("a new log has %d leaves ending in %+v, want the two keys", before, first)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustRun(t, append(tt.args, "--data", data)...)
			size, last := logState(t, data)
			if got := size - before; got != tt.leaves {
				t.Fatalf("%v added %d leaves, want %d", tt.args, got, tt.leaves)
			}
			if tt.leaves > 0 && (last.Action != tt.action || last.Purpose != tt.purpose || !strings.HasPrefix(last.Actor, "cli:")) {
				t.Fatalf("%v: last leaf %+v, want action %s purpose %q by the CLI user", tt.args, last, tt.action, tt.purpose)
			}
			before = size
		})
	}
	verifyOK(t, data)
}

// TestKillMidIngest kills an ingest process at random moments: the store
// must verify afterwards, every acknowledged event must have its leaf, and
// nothing of the killed input may remain half-written.
func TestKillMidIngest(t *testing.T) {
	data := t.TempDir()
	mustRun(t, "domain", "apply", "--data", data, lendingSpec)
	acked := writeFile(t, t.TempDir(), "acked.ndjson", `{"key":"acked-1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-01-10","fields":{"amount":12000}}`+"\n")
	mustRun(t, "ingest", "--data", data, "--domain", "acme.lending", acked)
	var b strings.Builder
	for i := range 60000 {
		fmt.Fprintf(&b, `{"key":"big-%06d","type":"loan_repaid","subject":"person:p%05d","occurred_at":"2025-03-10","fields":{"amount":%d}}`+"\n", i, i%5000, i)
	}
	big := writeFile(t, t.TempDir(), "big.ndjson", b.String())
	for trial, delay := range []time.Duration{50 * time.Millisecond, 300 * time.Millisecond, 800 * time.Millisecond, 1500 * time.Millisecond} {
		cmd := exec.Command(os.Args[0], "ingest", "--data", data, "--domain", "acme.lending", big)
		cmd.Env = append(os.Environ(), testProcessEnv(t, data)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		r := verifyOK(t, data)
		out := mustRun(t, "score", "--data", data, "--domain", "acme.lending", "--subject", "person:p00001", "--purpose", "collection", "--json")
		applied := !strings.Contains(out, `"status": "unrated"`) || strings.Contains(out, "big-")
		t.Logf("trial %d: killed after %s (%v): %d events, %d leaves verify; big input applied: %v", trial, delay, err, r.Events, r.Leaves, applied)
		if err == nil && !applied {
			t.Fatalf("trial %d: the ingest finished but its events are missing", trial)
		}
		if r.Events != 1 && r.Events != 60001 {
			t.Fatalf("trial %d: %d events stored: the killed input was half-applied", trial, r.Events)
		}
		if r.Events == 60001 {
			break // the ingest won the race; later trials would only find duplicates
		}
	}
	if _, err := os.Stat(filepath.Join(data, "probity.db")); err != nil && storetest.Backend() == "sqlite" {
		t.Fatal(err)
	}
}

// TestVerifyRefusesNoStoreAndOtherKeys: a mistyped --data is not "OK", and a
// store opened with another installation's master key does not verify.
func TestVerifyRefusesNoStoreAndOtherKeys(t *testing.T) {
	if _, _, err := run(t, nil, "", "audit", "verify", "--data", filepath.Join(t.TempDir(), "typo")); err == nil || !strings.Contains(err.Error(), "no store") {
		t.Fatalf("verify of a missing store: %v, want an error", err)
	}
	data, other := t.TempDir(), t.TempDir()
	mustRun(t, "domain", "apply", "--data", data, lendingSpec)
	mustRun(t, "domain", "apply", "--data", other, lendingSpec)
	key, err := os.ReadFile(filepath.Join(other, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "master.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := run(t, nil, "", "audit", "verify", "--data", data)
	if err == nil || !strings.Contains(out, "key master.key: does not match leaf _installation/0") {
		t.Fatalf("verify with another master key: %v\n%s", err, out)
	}
}
