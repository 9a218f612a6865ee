package bureau_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

// limitedLending applies the lending example with small limits: at most
// five events per subject, three entries per page.
func limitedLending(tb testing.TB, f *fixture) {
	tb.Helper()
	buf, err := os.ReadFile(lending)
	if err != nil {
		tb.Fatal(err)
	}
	f.apply(tb, string(buf)+"limits: {events_per_subject: 5, entries_per_page: 3}\n")
}

// repaid returns NDJSON lines of loan_repaid events of a subject, keys
// prefix-from to prefix-(from+n-1), a minute apart.
func repaid(subject, prefix string, from, n int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, `{"key":"%s-%d","type":"loan_repaid","subject":"%s","occurred_at":"%s","fields":{"amount":%d}}`+"\n",
			prefix, i, subject, t0.Add(-time.Duration(100000-i)*time.Minute).Format(time.RFC3339), 100+i)
	}
	return b.String()
}

// stored returns how many events a subject has in acme.lending, as its
// score counts them.
func stored(tb testing.TB, f *fixture, subject string) int {
	tb.Helper()
	s, err := f.Score(local(), probity.ScoreRequest{Domain: "acme.lending", Subject: subject, Page: 1})
	if err != nil {
		tb.Fatal(probity.ErrorMessage(err))
	}
	return s.EventsCounted
}

func TestIngestEventsPerSubject(t *testing.T) {
	t.Run("ErrOverLimitNothingApplied", func(t *testing.T) {
		f := newFixture(t)
		limitedLending(t, f)
		f.mustIngest(t, "acme.lending", repaid(alice, "a", 0, 3))
		// Three more for alice take her to six: the upload is refused whole,
		// bob's good line included.
		sum, err := f.ingest(t, "acme.lending", repaid(bob, "b", 0, 1)+repaid(alice, "a", 3, 3), false)
		if probity.ErrorCode(err) != probity.EINVALID || sum == nil || sum.Applied {
			t.Fatalf("err=%v sum=%+v, want EINVALID and nothing applied", err, sum)
		}
		msg := probity.ErrorMessage(err)
		for _, w := range []string{"nothing was applied", "line 4", "past 5 events", "limits.events_per_subject"} {
			if !strings.Contains(msg, w) {
				t.Fatalf("error %q does not say %q", msg, w)
			}
		}
		if got, want := sum.Rejected, 1; got != want || len(sum.Errors) != 1 {
			t.Fatalf("Rejected=%d Errors=%+v, want %d", got, sum.Errors, want)
		}
		le := sum.Errors[0]
		if le.Line != 4 || le.Key != "a-5" || !strings.Contains(le.Message, "the subject of line 2 already has 5 events") ||
			!strings.Contains(le.Message, "3 stored before this upload") {
			t.Fatalf("line error = %+v, want line 4, key a-5, the subject named by its line 2 and the limit 5", le)
		}
		if strings.Contains(le.Message, alice) || strings.Contains(msg, alice) {
			t.Fatalf("the refusal names the subject's identifier: %q / %q", le.Message, msg)
		}
		if got, want := stored(t, f, alice), 3; got != want {
			t.Fatalf("alice has %d events, want %d: a refused upload was half-applied", got, want)
		}
		if got := stored(t, f, bob); got != 0 {
			t.Fatalf("bob has %d events, want 0: a refused upload was half-applied", got)
		}
	})
	t.Run("SkipInvalidAppliesTheRest", func(t *testing.T) {
		f := newFixture(t)
		limitedLending(t, f)
		sum, err := f.ingest(t, "acme.lending", repaid(alice, "a", 0, 7)+repaid(bob, "b", 0, 2), true)
		if err != nil {
			t.Fatal(probity.ErrorMessage(err))
		}
		if sum.Accepted != 7 || sum.Rejected != 2 || !sum.Applied || sum.Errors[0].Line != 6 || sum.Errors[1].Line != 7 {
			t.Fatalf("summary = %+v, want 7 accepted, lines 6 and 7 rejected, applied", sum)
		}
		if a, b := stored(t, f, alice), stored(t, f, bob); a != 5 || b != 2 {
			t.Fatalf("alice %d bob %d events, want 5 and 2", a, b)
		}
	})
	t.Run("ResentAtTheLimitIsDuplicates", func(t *testing.T) {
		f := newFixture(t)
		limitedLending(t, f)
		f.mustIngest(t, "acme.lending", repaid(alice, "a", 0, 5))
		sum := f.mustIngest(t, "acme.lending", repaid(alice, "a", 0, 5))
		if sum.Duplicates != 5 || sum.Rejected != 0 {
			t.Fatalf("summary = %+v, want 5 duplicates", sum)
		}
	})
	t.Run("DuplicatesTakeNoRoom", func(t *testing.T) {
		f := newFixture(t)
		limitedLending(t, f)
		f.mustIngest(t, "acme.lending", repaid(alice, "a", 0, 4))
		// The four again and one new: five in all, within the limit.
		sum := f.mustIngest(t, "acme.lending", repaid(alice, "a", 0, 5))
		if sum.Duplicates != 4 || sum.Accepted != 1 {
			t.Fatalf("summary = %+v, want 4 duplicates and 1 accepted", sum)
		}
		if got, want := stored(t, f, alice), 5; got != want {
			t.Fatalf("alice has %d events, want %d", got, want)
		}
	})
	t.Run("ErrWithOtherInvalidLines", func(t *testing.T) {
		// A bad line sends the upload down the path that stores nothing and
		// reports every problem: the limit is reported there too.
		f := newFixture(t)
		limitedLending(t, f)
		f.mustIngest(t, "acme.lending", repaid(alice, "a", 0, 5))
		bad := `{"key":"x","type":"no_such_type","subject":"` + bob + `","occurred_at":"2026-01-01"}` + "\n"
		sum, err := f.ingest(t, "acme.lending", bad+repaid(alice, "a", 0, 1)+repaid(alice, "a", 5, 1), false)
		if probity.ErrorCode(err) != probity.EINVALID || sum.Applied || sum.Rejected != 2 || sum.Duplicates != 1 {
			t.Fatalf("err=%v sum=%+v, want EINVALID, lines 1 and 3 rejected, line 2 a duplicate", err, sum)
		}
		if le := sum.Errors[1]; le.Line != 3 || !strings.Contains(le.Message, "the subject of line 3 already has 5 events") {
			t.Fatalf("line error = %+v, want line 3 over the limit", le)
		}
		if !strings.Contains(probity.ErrorMessage(err), "the first at line 3") {
			t.Fatalf("error %q does not name the first line over the limit", probity.ErrorMessage(err))
		}
	})
	t.Run("RetractedCount", func(t *testing.T) {
		f := newFixture(t)
		limitedLending(t, f)
		f.mustIngest(t, "acme.lending", repaid(alice, "a", 0, 5))
		if err := f.Retract(local(), "acme.lending", "a-0", "reported in error"); err != nil {
			t.Fatal(probity.ErrorMessage(err))
		}
		if _, err := f.ingest(t, "acme.lending", repaid(alice, "a", 5, 1), false); probity.ErrorCode(err) != probity.EINVALID {
			t.Fatalf("err=%v, want EINVALID: a retracted entry stays on the record and counts", err)
		}
	})
	t.Run("DefaultLimit", func(t *testing.T) {
		f := newFixture(t)
		f.applyFile(t, lending)
		sum, err := f.ingest(t, "acme.lending", repaid(alice, "a", 0, probity.DefaultEventsPerSubject+1), false)
		if probity.ErrorCode(err) != probity.EINVALID || sum.Rejected != 1 || sum.Errors[0].Line != probity.DefaultEventsPerSubject+1 {
			t.Fatalf("err=%v rejected=%d, want the line past %d refused", err, sum.Rejected, probity.DefaultEventsPerSubject)
		}
	})
}

// leavesWhileScoring is a request whose client leaves once its score is
// being computed: the store's reads see it live, the scoring sees it
// canceled. It counts how often the scoring looked.
type leavesWhileScoring struct {
	context.Context
	asked int
}

func (c *leavesWhileScoring) Err() error {
	pc, _, _, _ := runtime.Caller(1)
	if fn := runtime.FuncForPC(pc); fn != nil && strings.Contains(fn.Name(), "/scoring.") {
		c.asked++
		return context.Canceled
	}
	return c.Context.Err()
}

// inquiries returns how many reads of alice's lending record are logged.
func inquiries(tb testing.TB, f *fixture) int {
	tb.Helper()
	r, err := f.Report(local(), alice)
	if err != nil {
		tb.Fatal(probity.ErrorMessage(err))
	}
	return len(r.Domains[0].Inquiries)
}

func TestReadsStopWhenTheCallerLeaves(t *testing.T) {
	f := newFixture(t)
	limitedLending(t, f)
	f.mustIngest(t, "acme.lending", repaid(alice, "a", 0, 5))
	reads := []struct {
		name string
		read func(ctx context.Context) error
	}{
		{"Score", func(ctx context.Context) error {
			_, err := f.Score(ctx, probity.ScoreRequest{Domain: "acme.lending", Subject: alice})
			return err
		}},
		{"Decide", func(ctx context.Context) error {
			_, err := f.Decide(ctx, probity.DecisionRequest{Domain: "acme.lending", Subject: alice, Benefit: "standard_credit"})
			return err
		}},
		{"ReportPage", func(ctx context.Context) error {
			_, err := f.ReportPage(ctx, alice, probity.ReportOptions{})
			return err
		}},
		{"Report", func(ctx context.Context) error {
			_, err := f.Report(ctx, alice)
			return err
		}},
	}
	for _, tt := range reads {
		t.Run(tt.name, func(t *testing.T) {
			before := inquiries(t, f)
			ctx := &leavesWhileScoring{Context: local()}
			if err := tt.read(ctx); !errors.Is(err, context.Canceled) || ctx.asked == 0 {
				t.Fatalf("err=%v after the scoring looked %d times, want context.Canceled: the computation does not watch its caller", err, ctx.asked)
			}
			if got, want := inquiries(t, f), before+1; got != want { // +1: the report that counts them
				t.Fatalf("%d inquiries, want %d: a read whose caller left was logged as disclosed", got, want)
			}
		})
	}
	t.Run("CanceledBefore", func(t *testing.T) {
		ctx, cancel := context.WithCancel(local())
		cancel()
		for _, r := range reads {
			if err := r.read(ctx); !errors.Is(err, context.Canceled) {
				t.Fatalf("%s: err=%v, want context.Canceled", r.name, err)
			}
		}
	})
}
