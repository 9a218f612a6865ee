package audit_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// The environment of BenchmarkProofsAtSize.
const (
	// proofStoreEnv names a data directory holding a large log; an empty
	// or missing one is populated first.
	proofStoreEnv = "PROBITY_PROOF_STORE"
	// proofLeavesEnv is how many leaves to populate it with (default
	// 1,000,000), in the domain log "bench".
	proofLeavesEnv = "PROBITY_PROOF_LEAVES"
)

// BenchmarkProofsAtSize serves proofs from a large log the way the server
// does (bureau.InclusionProof and ConsistencyProof, each its own read
// transaction over the stored tiles) and reports the first proof after
// the store is opened (cold: a new store handle, log and bureau, as after
// a restart) and the p50 and p99 of the proofs after it (warm). Beside them,
// "rebuild-ms" is what the first proof cost before tiles: reading every
// leaf's hash to rebuild the tree in memory. It is skipped unless
// $PROBITY_PROOF_STORE names a directory. On SQLite, run it twice: the
// first run populates the directory, the second measures a process that
// did nothing else; on PostgreSQL (whose test database lasts one run) one
// run does both:
//
//	PROBITY_PROOF_STORE=$(mktemp -d) go test -run '^$' -bench ProofsAtSize -benchtime 1x ./audit/
func BenchmarkProofsAtSize(b *testing.B) {
	dir := os.Getenv(proofStoreEnv)
	if dir == "" {
		b.Skipf("%s is not set: no large log to prove from", proofStoreEnv)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) == 0 {
		n := 1_000_000
		if s := os.Getenv(proofLeavesEnv); s != "" {
			if n, err = strconv.Atoi(s); err != nil || n <= 0 {
				b.Fatalf("%s=%q: want a number of leaves", proofLeavesEnv, s)
			}
		}
		populateLog(b, dir, "bench", n)
	}
	for b.Loop() {
		start := time.Now()
		in := openInstallation(b, dir)
		opened := time.Since(start)
		ctx := context.Background()
		cp, err := in.bureau.Checkpoint(ctx, "bench")
		if err != nil {
			b.Fatal(err)
		}
		size := cp.Size
		start = time.Now()
		if _, err := in.bureau.ConsistencyProof(ctx, "bench", size/3+7, size); err != nil {
			b.Fatal(err)
		}
		cold := time.Since(start)
		var warm []time.Duration
		for i := range uint64(2000) {
			start := time.Now()
			var err error
			if i%2 == 0 {
				_, err = in.bureau.InclusionProof(ctx, "bench", i*7919%size, size)
			} else {
				_, err = in.bureau.ConsistencyProof(ctx, "bench", 1+i*7919%(size-1), size)
			}
			if err != nil {
				b.Fatal(err)
			}
			warm = append(warm, time.Since(start))
		}
		slices.Sort(warm)
		start = time.Now()
		var mem audit.Tree
		err = in.db.View(ctx, func(tx probity.ReadTx) error {
			return tx.Leaves("bench", 0, size, func(e *probity.AuditEntry) error {
				mem.Append(e.Hash)
				return nil
			})
		})
		if err != nil {
			b.Fatal(err)
		}
		rebuild := time.Since(start)
		b.ReportMetric(float64(size), "leaves")
		b.ReportMetric(ms(opened), "open-ms")
		b.ReportMetric(ms(cold), "cold-ms")
		b.ReportMetric(ms(warm[len(warm)/2]), "warm-p50-ms")
		b.ReportMetric(ms(warm[len(warm)*99/100]), "warm-p99-ms")
		b.ReportMetric(ms(rebuild), "rebuild-ms")
		in.db.Close()
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// populateLog appends n leaves to a domain's log in transactions of 10,000.
func populateLog(tb testing.TB, dir, domain string, n int) {
	tb.Helper()
	in := openInstallation(tb, dir)
	defer in.db.Close()
	log := audit.NewLog(in.signer)
	const batch = 10000
	start := time.Now()
	for done := 0; done < n; done += batch {
		m := min(batch, n-done)
		err := in.db.Update(context.Background(), func(tx probity.Tx) error {
			b := log.Begin(tx)
			leaves := make([]probity.AuditLeaf, m)
			for i := range leaves {
				p := probity.Pseudonym{byte(i), byte(i >> 8), byte(done >> 16)}
				leaves[i] = probity.AuditLeaf{Actor: "bench", Action: probity.ActionEventAccepted, Domain: domain, Subject: &p,
					Ref: fmt.Sprintf("L-%08d", done+i), Digest: fmt.Sprintf("%064x", done+i)}
			}
			if err := b.Add(leaves...); err != nil {
				return err
			}
			return b.Commit()
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	tb.Logf("populated %s with %d leaves in %s", dir, n, time.Since(start).Round(time.Millisecond))
}
