package audit_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/population"
	"github.com/probity-dev/probity/sqlstore"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
)

// BenchmarkVerify measures a full verification: leaves, tree, checkpoints,
// and every row with its recomputed points (DESIGN.md target: >= 1,000,000
// leaves/s).
func BenchmarkVerify(b *testing.B) {
	audit.ReleaseBudgets()
	dir := populated(b, 3000)
	in := openInstallation(b, dir)
	b.ResetTimer()
	for b.Loop() {
		r, err := auditVerify(context.Background(), in)
		if err != nil || !r.OK() {
			b.Fatal(err, r.Problems)
		}
		b.ReportMetric(float64(r.Leaves)/r.Elapsed.Seconds(), "leaves/s")
		b.ReportMetric(float64(r.Leaves+r.Members)/r.Elapsed.Seconds(), "records/s")
		b.ReportMetric(float64(r.Leaves)/r.LogElapsed.Seconds(), "log-leaves/s")
	}
}

// BenchmarkTreeAppend measures building the tree (RFC 6962 hashing of leaves
// and nodes), the baseline of verification.
func BenchmarkTreeAppend(b *testing.B) {
	leaves := make([][]byte, 100000)
	for i := range leaves {
		leaves[i] = audit.HashLeaf([]byte(fmt.Sprint(i)))
	}
	b.ResetTimer()
	for b.Loop() {
		var tree audit.Tree
		for _, h := range leaves {
			tree.Append(h)
		}
	}
	b.ReportMetric(float64(len(leaves))*float64(b.N)/b.Elapsed().Seconds(), "leaves/s")
}

// BenchmarkProof measures an inclusion and a consistency proof in a tree of
// 1,000,000 leaves.
func BenchmarkProof(b *testing.B) {
	var tree audit.Tree
	for i := range 1000000 {
		tree.Append(audit.HashLeaf([]byte(fmt.Sprint(i))))
	}
	b.Run("Inclusion", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := tree.InclusionProof(uint64(i*7919%1000000), 1000000); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Consistency", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := tree.ConsistencyProof(uint64(1+i*7919%999999), 1000000); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLogAppend measures the log's cost per event: 50,000 leaves
// appended in one transaction and sealed by one checkpoint.
func BenchmarkLogAppend(b *testing.B) {
	const n = 50000
	leaves := make([]probity.AuditLeaf, n)
	for i := range leaves {
		p := probity.Pseudonym{byte(i), byte(i >> 8)}
		leaves[i] = probity.AuditLeaf{Actor: "bench", Action: probity.ActionEventAccepted, Domain: "acme.lending", Subject: &p,
			Ref: fmt.Sprintf("L-%07d", i), Digest: fmt.Sprintf("%064x", i)}
	}
	for b.Loop() {
		b.StopTimer()
		in := openInstallation(b, b.TempDir())
		log := audit.NewLog(in.signer)
		b.StartTimer()
		start := time.Now()
		err := in.db.Update(context.Background(), func(tx probity.Tx) error {
			batch := log.Begin(tx)
			for i := 0; i < n; i += 500 {
				if err := batch.Add(leaves[i : i+500]...); err != nil {
					return err
				}
			}
			return batch.Commit()
		})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(start).Nanoseconds())/n, "ns/leaf")
	}
}

// The environment of BenchmarkVerifyStore.
const (
	// verifyStoreEnv names a data directory to verify; an empty or missing
	// one is populated first (SQLite, or the test backend).
	verifyStoreEnv = "PROBITY_VERIFY_STORE"
	// verifyEventsEnv is how many events to populate it with (default
	// 1,000,000): one leaf each, plus a few hundred reads and seals.
	verifyEventsEnv = "PROBITY_VERIFY_EVENTS"
)

// BenchmarkVerifyStore verifies a large store built once, outside the test
// suite's defaults, and reports leaves/s, the peak of the Go heap and the
// process's peak resident memory (VmHWM) of the verification alone. It is
// skipped unless $PROBITY_VERIFY_STORE names a directory; if that directory
// is empty, the run builds the store and stops there, so that the next
// measures a process that did nothing else. BENCHMARKS.md has the commands.
func BenchmarkVerifyStore(b *testing.B) {
	dir := os.Getenv(verifyStoreEnv)
	if dir == "" {
		b.Skipf("%s is not set: no large store to verify", verifyStoreEnv)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) == 0 {
		events := 1_000_000
		if s := os.Getenv(verifyEventsEnv); s != "" {
			var err error
			if events, err = strconv.Atoi(s); err != nil || events <= 0 {
				b.Fatalf("%s=%q: want a number of events", verifyEventsEnv, s)
			}
		}
		buildVerifyStore(b, dir, events)
		b.Skipf("built the store in %s; run again to verify it in a process of its own", dir)
	}
	audit.ReleaseBudgets()
	in := openInstallation(b, dir)
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS(b)
	b.Logf("resident before verifying: %d MiB", peakRSS(b)>>10)
	var leaves uint64
	var elapsed time.Duration
	for b.Loop() {
		var peak heapPeak
		var r *audit.Report
		cpu := processCPU(b)
		err := peak.measure(func() error {
			var err error
			r, err = auditVerify(context.Background(), in)
			return err
		})
		cpu = processCPU(b) - cpu
		if err != nil || !r.OK() {
			b.Fatal(err, r.Problems)
		}
		b.ReportMetric(float64(r.Leaves), "leaves")
		b.ReportMetric(float64(r.Leaves)/r.Elapsed.Seconds(), "leaves/s")
		b.ReportMetric(float64(peak.max)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(peak.runtime)/(1<<20), "peak-Go-MiB")
		b.ReportMetric(float64(peakRSS(b))/(1<<10), "peak-RSS-MiB")
		b.ReportMetric(cpu.Seconds(), "cpu-s")
		b.Logf("%d leaves, %d events, %d checkpoints in %s (%s on the log)", r.Leaves, r.Events, r.Checkpoints,
			r.Elapsed.Round(time.Millisecond), r.LogElapsed.Round(time.Millisecond))
		leaves, elapsed = r.Leaves+r.Members, r.Elapsed
	}
	b.StopTimer()
	scanned, took := bareScan(b, dir)
	if scanned != leaves {
		b.Fatalf("the bare scan read %d leaves and batch members, the verification %d", scanned, leaves)
	}
	b.ReportMetric(float64(scanned)/took.Seconds(), "bare-scan-records/s")
	b.ReportMetric(elapsed.Seconds()/took.Seconds(), "x-bare-scan")
}

// bareScan is DESIGN.md's baseline of verification: every log's leaves
// read from the store in index order with plain SQL, rehashed into a
// compact range and checked against the log's latest root; nothing else.
// A batch leaf is rehashed from what its row holds, its header and its
// members' commitments. It returns how many leaves and batch members it
// read and how long that took.
func bareScan(tb testing.TB, dir string) (uint64, time.Duration) {
	tb.Helper()
	db := mustOpenRaw(tb, dir)
	defer db.Close()
	start := time.Now()
	var logs []string
	rows, err := db.Query(`SELECT log FROM log_heads ORDER BY log`)
	for err == nil && rows.Next() {
		var log string
		err = rows.Scan(&log)
		logs = append(logs, log)
	}
	if err != nil {
		tb.Fatal(err)
	}
	rows.Close()
	var total uint64
	h := rfc6962.DefaultHasher
	for _, log := range logs {
		rng := (&compact.RangeFactory{Hash: h.HashChildren}).NewEmptyRange(0)
		rows, err := db.Query(`SELECT idx, action, data, domain, salt, record, batch FROM log_leaves WHERE log = ? ORDER BY idx`, log)
		var idx int64
		var action, domain string
		var data, salt, record []byte
		var batch sql.NullInt64
		for err == nil && rows.Next() {
			if err = rows.Scan(&idx, &action, &data, &domain, &salt, &record, &batch); err == nil {
				if data, err = sqlstore.PublicData(log, idx, action, data); err == nil {
					err = rng.Append(h.HashLeaf(data), nil)
				}
			}
			if err == nil && batch.Valid { // a batch leaf: rehashed from its members too
				var c [32]byte
				var n int
				var pub *probity.PublicLeaf
				if c, n, err = sqlstore.RehashBatch(log, idx, domain, batch.Int64, salt, record); err == nil {
					if pub, err = probity.ParsePublicLeaf(data); err == nil && c != pub.Commitment {
						err = fmt.Errorf("leaf %d: its batch does not hash to its commitment", idx)
					}
				}
				total += uint64(n)
			}
		}
		if err == nil {
			rows.Close()
			err = rows.Err()
		}
		var size uint64
		var want []byte
		if err == nil {
			err = db.QueryRow(`SELECT size, root FROM log_checkpoints WHERE log = ? ORDER BY size DESC LIMIT 1`, log).Scan(&size, &want)
		}
		if err != nil {
			tb.Fatalf("bare scan of log %s: %v", log, err)
		}
		if root, err := rng.GetRootHash(nil); err != nil || size != rng.End() || !bytes.Equal(root, want) {
			tb.Fatalf("bare scan of log %s: %d leaves whose root differs from the latest checkpoint's (%d leaves)", log, rng.End(), size)
		}
		total += rng.End()
	}
	return total, time.Since(start)
}

// buildVerifyStore populates dir with the lending domain and about events
// events (the population package's subjects, ingested 100,000 at a time),
// a seal of the domain log and a few hundred score reads.
func buildVerifyStore(tb testing.TB, dir string, events int) {
	tb.Helper()
	start := time.Now()
	in := openInstallation(tb, dir)
	ctx, s := withLending(tb, in, "bench")
	opts := population.Options{Subjects: 100_000_000, Seed: 9, Now: time.Now().Add(-48 * time.Hour)}
	d, err := population.NewDomain(s, "L", opts)
	if err != nil {
		tb.Fatal(err)
	}
	stored, subject := 0, 0
	for stored < events {
		chunk := &subjectRange{d: d, next: subject, limit: min(100_000, events-stored)}
		sum, err := in.bureau.Ingest(ctx, s.ID, chunk, probity.IngestOptions{})
		if err != nil {
			tb.Fatal(err)
		}
		stored, subject = stored+sum.Accepted, chunk.next
		tb.Logf("%d events stored (%s)", stored, time.Since(start).Round(time.Second))
	}
	if _, err := in.bureau.SealLogs(ctx); err != nil {
		tb.Fatal(err)
	}
	for i := range 500 {
		id, _ := opts.Subject(i * 7)
		if _, err := in.bureau.Score(ctx, probity.ScoreRequest{Domain: s.ID, Subject: id, Purpose: "account_review"}); err != nil && probity.ErrorCode(err) != probity.EINVALID {
			tb.Fatal(err)
		}
	}
	if _, err := in.bureau.SealLogs(ctx); err != nil {
		tb.Fatal(err)
	}
	in.db.Close()
	tb.Logf("store of %d events built in %s", stored, time.Since(start).Round(time.Second))
}

// subjectRange reads a domain's events subject by subject from subject
// next, stopping before the first subject that would take it past limit
// events (but for the first).
type subjectRange struct {
	d           *population.Domain
	next, limit int
	line        int
	buf         []probity.EventInput
}

func (r *subjectRange) Next() (probity.EventInput, error) {
	for len(r.buf) == 0 {
		events := r.d.SubjectEvents(r.next)
		if r.line > 0 && r.line+len(events) > r.limit {
			return probity.EventInput{}, io.EOF
		}
		r.buf = events
		r.next++
	}
	e := r.buf[0]
	r.buf = r.buf[1:]
	r.line++
	e.Line = r.line
	return e, nil
}

// heapPeak is the largest Go heap in use seen while measured code ran, and
// the largest memory the Go runtime held from the system (mapped, less what
// it released), sampled every 10 ms (runtime/metrics does not stop the
// world).
type heapPeak struct{ max, runtime uint64 }

func (h *heapPeak) measure(fn func() error) error {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	sample := func() {
		metrics.Read(samples)
		h.max = max(h.max, samples[0].Value.Uint64()+samples[1].Value.Uint64())
		h.runtime = max(h.runtime, samples[2].Value.Uint64()-samples[3].Value.Uint64())
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			sample()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	err := fn()
	close(done)
	wg.Wait()
	return err
}

// resetPeakRSS resets the process's peak resident memory (Linux: writing 5
// to /proc/self/clear_refs), so that VmHWM counts from here.
func resetPeakRSS(tb testing.TB) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		tb.Logf("cannot reset the peak resident memory: %v", err)
	}
}

// peakRSS returns VmHWM, the process's peak resident memory, in KiB.
func peakRSS(tb testing.TB) uint64 {
	buf, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Fatal(err)
	}
	for line := range strings.Lines(string(buf)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return n
		}
	}
	tb.Fatal("no VmHWM in /proc/self/status")
	return 0
}

// processCPU returns the CPU time (user and system) the process has used:
// what a verification costs whatever else shares the machine, whose load
// its leaves/s shows as well.
func processCPU(tb testing.TB) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
