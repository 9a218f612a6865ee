package bureau

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/probity-dev/probity"
)

// FiguresTTL is how long the transparency figures are reused before they
// are brought up to date. That is cheap (figures_tally.go: only the
// subjects the log says were written to, and a slice of the others, are
// scored again), so they are at most this old.
const FiguresTTL = 30 * time.Second

// figuresWait is how long Figures waits for figures being computed when
// there are none yet, before it answers that they are being computed.
const figuresWait = 2 * time.Second

// figuresCache holds the last figures, and the computation under way.
type figuresCache struct {
	mu      sync.Mutex
	figures []probity.DomainTransparency
	at      time.Time
	busy    chan struct{}
	// stale marks the computation under way as begun before a bulk load:
	// its figures are kept only until the next call.
	stale bool
	// tallies are each domain's counts, kept up to date incrementally;
	// only the computation under way (one at a time) touches them.
	tallies map[string]*tally
	// scored is how many subjects the last computation scored.
	scored int
}

// Figures returns every domain's transparency figures (Transparency),
// computed in the background at most once per FiguresTTL and reused
// meanwhile, so that the registry and GET /v1/domains/{id}/figures cost a
// lookup. While the first figures are being computed it waits up to two
// seconds, then answers EUNAVAILABLE: the caller says to retry. A server
// calls it once at start, so that they are ready by the first visit.
func (b *Bureau) Figures(ctx context.Context) ([]probity.DomainTransparency, error) {
	c := &b.figures
	c.mu.Lock()
	if c.busy == nil && (c.figures == nil || time.Since(c.at) > FiguresTTL) {
		busy := make(chan struct{})
		c.busy = busy
		go b.computeFigures(context.WithoutCancel(ctx), busy)
	}
	busy, figures := c.busy, c.figures
	c.mu.Unlock()
	if figures == nil && busy != nil {
		select {
		case <-busy:
		case <-time.After(figuresWait):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		c.mu.Lock()
		figures = c.figures
		c.mu.Unlock()
	}
	if figures == nil {
		return nil, probity.Errorf(probity.EUNAVAILABLE, "the transparency figures are being computed; try again in a moment")
	}
	return figures, nil
}

// RefreshFigures computes the figures again now, in the background (the
// last ones are served meanwhile): after a bulk load, such as the demo's
// population, rather than waiting out FiguresTTL.
func (b *Bureau) RefreshFigures(ctx context.Context) {
	c := &b.figures
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.busy != nil {
		c.stale = true // the one under way may predate the load
		return
	}
	busy := make(chan struct{})
	c.busy = busy
	go b.computeFigures(context.WithoutCancel(ctx), busy)
}

// computeFigures brings the figures up to date and closes busy when done.
func (b *Bureau) computeFigures(ctx context.Context, busy chan struct{}) {
	c := &b.figures
	if c.tallies == nil {
		c.tallies = map[string]*tally{}
	}
	figures, scored, err := b.tallyFigures(ctx, c.tallies)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scored = scored
	if err != nil {
		slog.Default().Error("transparency figures", "err", err)
	} else {
		c.figures, c.at = figures, time.Now()
		if c.stale {
			c.at = time.Time{} // the next call computes them again
		}
	}
	c.busy, c.stale = nil, false
	close(busy)
}

// DomainFigures returns one domain's figures (Figures); ENOTFOUND for a
// domain there is none of.
func (b *Bureau) DomainFigures(ctx context.Context, domain string) (*probity.DomainTransparency, error) {
	all, err := b.Figures(ctx)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].Domain == domain {
			return &all[i], nil
		}
	}
	if _, err := b.Domain(ctx, domain); err != nil {
		return nil, err
	}
	return nil, probity.Errorf(probity.EUNAVAILABLE, "the figures of %s are being computed (the domain is new); try again in a moment", domain)
}
