package audit_test

import (
	"context"
	"testing"
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
