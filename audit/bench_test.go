package audit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// BenchmarkVerify measures a full verification: leaves, tree, checkpoints,
// and every row with its recomputed points (DESIGN.md target: >= 1,000,000
// leaves/s).
func BenchmarkVerify(b *testing.B) {
	dir := populated(b, 3000)
	in := openInstallation(b, dir)
	b.ResetTimer()
	for b.Loop() {
		r, err := auditVerify(context.Background(), in)
		if err != nil || !r.OK() {
			b.Fatal(err, r.Problems)
		}
		b.ReportMetric(float64(r.Leaves)/r.Elapsed.Seconds(), "leaves/s")
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
