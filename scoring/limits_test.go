package scoring_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/scoring"
)

// lists returns the four lists of an explanation taken together, in order.
func lists(s *probity.Score) [4][]probity.Entry {
	return [4][]probity.Entry{s.Contributions, s.Pending, s.Suspended, s.Cured}
}

func TestComputePaged(t *testing.T) {
	in := benchInput(1000)
	for i := range 10 { // in their grace period
		in.Events = append(in.Events, event(fmt.Sprintf("p%d", i), "payment_late", goldenAsOf.Add(-days(float64(i))), -40))
	}
	full := scoring.Compute(in)
	if full.Page != nil {
		t.Fatalf("Page=%+v without PerPage, want nil", full.Page)
	}
	all := 0
	for _, l := range lists(full) {
		all += len(l)
	}
	if n := len(full.Suspended); n == 0 || len(full.Pending) == 0 || len(full.Cured) == 0 {
		t.Fatalf("the record should fill every list, has pending %d suspended %d cured %d", len(full.Pending), n, len(full.Cured))
	}
	for _, perPage := range []int{1, 7, 100, all, all + 1} {
		in := in
		in.PerPage = perPage
		var got [4][]probity.Entry
		pages := (all + perPage - 1) / perPage
		for page := 1; page <= pages; page++ {
			in.Page = page
			s := scoring.Compute(in)
			if want := (probity.EntryPage{Page: page, Pages: pages, PerPage: perPage, Entries: all}); s.Page == nil || *s.Page != want {
				t.Fatalf("per page %d, page %d: Page=%+v, want %+v", perPage, page, s.Page, want)
			}
			shown := 0
			for i, l := range lists(s) {
				got[i] = append(got[i], l...)
				shown += len(l)
			}
			if shown > perPage || (page < pages && shown != perPage) {
				t.Fatalf("per page %d, page %d shows %d entries", perPage, page, shown)
			}
			if !reflect.DeepEqual(s.Score, full.Score) || s.EventsCounted != full.EventsCounted ||
				!reflect.DeepEqual(s.Reasons, full.Reasons) || !reflect.DeepEqual(s.Types, full.Types) ||
				!reflect.DeepEqual(s.Projection, full.Projection) {
				t.Fatalf("per page %d, page %d: the score differs from the unpaged one", perPage, page)
			}
		}
		if want := lists(full); !reflect.DeepEqual(got, want) {
			t.Fatalf("per page %d: the pages together do not show every entry exactly once, in order", perPage)
		}
		in.Page = pages + 1
		if s := scoring.Compute(in); len(s.Contributions)+len(s.Pending)+len(s.Suspended)+len(s.Cured) != 0 {
			t.Fatalf("per page %d: the page after the last shows entries", perPage)
		}
	}
}

// countingContext is canceled from its cancelAt-th look on (never if 0),
// and counts how often it was asked.
type countingContext struct {
	context.Context
	asked, cancelAt int
}

func (c *countingContext) Err() error {
	c.asked++
	if c.cancelAt > 0 && c.asked >= c.cancelAt {
		return context.Canceled
	}
	return nil
}

func TestComputeContext(t *testing.T) {
	const events = 20000
	in := benchInput(events)
	in.Later = []scoring.Later{{Version: 2, From: in.AsOf.Add(100 * 24 * time.Hour), Spec: in.Spec, Raw: map[string]float64{}}}
	t.Run("CanceledBefore", func(t *testing.T) {
		ctx := &countingContext{Context: context.Background(), cancelAt: 1}
		s, err := scoring.ComputeContext(ctx, in)
		if !errors.Is(err, context.Canceled) || s != nil {
			t.Fatalf("score=%v err=%v, want nil and context.Canceled", s, err)
		}
		if ctx.asked != 1 {
			t.Fatalf("asked the context %d times, want 1: work was done after it was canceled", ctx.asked)
		}
	})
	full := &countingContext{Context: context.Background()}
	if _, err := scoring.ComputeContext(full, in); err != nil {
		t.Fatal(err)
	}
	// Every pass over the record looks at the context between events, not
	// only once per score: two to select the candidates, one to tally
	// them, one to explain them, one per projection horizon, and two to
	// select them again under the later version.
	if min := 11 * events / 256; full.asked < min {
		t.Fatalf("a score of %d events asked its context %d times, want at least %d: it does not look between events", events, full.asked, min)
	}
	for _, at := range []int{2, full.asked / 4, full.asked / 2, full.asked - 1} {
		ctx := &countingContext{Context: context.Background(), cancelAt: at}
		s, err := scoring.ComputeContext(ctx, in)
		if !errors.Is(err, context.Canceled) || s != nil {
			t.Fatalf("canceled at look %d: score=%v err=%v, want nil and context.Canceled", at, s, err)
		}
		if ctx.asked != at {
			t.Fatalf("canceled at look %d of %d, it looked %d times: it went on computing", at, full.asked, ctx.asked)
		}
	}
}
