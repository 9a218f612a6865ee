package scoring_test

import (
	"fmt"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/scoring"
)

// benchInput returns a person's record of n events under the example spec
// spread over ten years: mostly repayments, some late payments (a few in
// grace, a few settled, one disputed).
func benchInput(n int) scoring.Input {
	in := scoring.Input{
		Domain: "acme.lending", Version: 1, Spec: exampleSpec(), Kind: probity.KindPerson,
		Suspended: map[string]bool{"e0007": true}, AsOf: goldenAsOf,
	}
	for i := range n {
		occurred := goldenAsOf.Add(-days(float64(i) * 3650 / float64(n)))
		key := fmt.Sprintf("e%04d", i)
		switch {
		case i%5 == 2:
			in.Events = append(in.Events, event(key, "payment_late", occurred, -40))
		case i%10 == 3:
			in.Events = append(in.Events, cure(key, "payment_settled", occurred, fmt.Sprintf("e%04d", i-1)))
		default:
			in.Events = append(in.Events, event(key, "loan_repaid", occurred, 10))
		}
	}
	return in
}

func BenchmarkCompute(b *testing.B) {
	for _, n := range []int{20, 200} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			in := benchInput(n)
			b.ReportAllocs()
			for b.Loop() {
				scoring.Compute(in)
			}
		})
	}
}
