package bureau

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// RefusalWindow is how long the refusals of one source are gathered into
// one leaf. In a window, the first refusal of each kind (what was asked, in
// which domain) of a source is a leaf of its own, written before the caller
// is answered, up to MaxRefusalLeaves; the others are counted, and their
// count is one leaf when the window ends (FlushRefusals). A flood of bad
// tokens from one address thus costs two leaves a minute, not one per
// request, while no refusal goes uncounted and a principal probing what it
// may do still shows each thing it tried.
const RefusalWindow = time.Minute

// MaxRefusalLeaves bounds the leaves of their own one source's refusals
// take in a window.
const MaxRefusalLeaves = 8

// MaxRefusalSources bounds the sources counted in one window, so that a
// flood from many addresses cannot grow the tally without limit: beyond it,
// refusals are counted under OtherSources.
const MaxRefusalSources = 10000

// OtherSources is the source of the refusals counted beyond
// MaxRefusalSources in a window.
const OtherSources = "other sources (more than 10000 in this minute)"

// RefusalRef is the reference of a leaf that counts refusals: "refusals:N"
// with N the count, which its private record (and so its opening) shows.
const RefusalRef = "refusals"

// refusals gathers refused attempts per source and window.
type refusals struct {
	mu     sync.Mutex
	window time.Time // the start of the current window
	// tally holds the current window's sources; closed, the tallies of
	// windows that ended and await their leaf.
	tally  map[string]*refusalTally
	closed []refusalTally
}

// refusalTally is one source's refusals in one window beyond its first.
type refusalTally struct {
	source  string
	window  time.Time
	count   int
	last    string // the op of the last counted refusal
	lastWhy string // and what it was told
	// written holds the kinds of refusal already a leaf in the window.
	written map[string]bool
}

// admit records a refusal of source at now. It reports whether the refusal
// is to be a leaf of its own now (the first of its kind from its source in
// the window, within MaxRefusalLeaves); otherwise it is counted, for the
// window's leaf.
func (r *refusals) admit(now time.Time, source, kind, op, why string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := now.Truncate(RefusalWindow)
	if !w.Equal(r.window) {
		r.closeWindow()
		r.window = w
	}
	if r.tally == nil {
		r.tally = map[string]*refusalTally{}
	}
	t, ok := r.tally[source]
	if !ok {
		if len(r.tally) >= MaxRefusalSources {
			source = OtherSources
			t = r.tally[source]
		}
		if t == nil {
			t = &refusalTally{source: source, window: w}
			r.tally[source] = t
		}
	}
	if source != OtherSources && !t.written[kind] && len(t.written) < MaxRefusalLeaves {
		if t.written == nil {
			t.written = map[string]bool{}
		}
		t.written[kind] = true
		return true
	}
	t.count++
	t.last, t.lastWhy = op, why
	return false
}

// closeWindow moves the current window's counted refusals to closed.
// The caller holds r.mu.
func (r *refusals) closeWindow() {
	for _, t := range r.tally {
		if t.count > 0 {
			r.closed = append(r.closed, *t)
		}
	}
	r.tally = nil
}

// due returns the tallies whose window ended before now (all of them if
// all), taking them out of r.
func (r *refusals) due(now time.Time, all bool) []refusalTally {
	r.mu.Lock()
	defer r.mu.Unlock()
	if all || !now.Truncate(RefusalWindow).Equal(r.window) {
		r.closeWindow()
		r.window = time.Time{}
	}
	out := r.closed
	r.closed = nil
	sort.Slice(out, func(i, j int) bool {
		if !out[i].window.Equal(out[j].window) {
			return out[i].window.Before(out[j].window)
		}
		return out[i].source < out[j].source
	})
	return out
}

// putBack returns tallies that could not be written, to be tried again.
func (r *refusals) putBack(ts []refusalTally) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = append(ts, r.closed...)
}

// deny records a refused attempt and returns err. The first refusal of each
// kind from a source (the caller's address, or the principal) in a
// RefusalWindow is a leaf of its own, written before the caller is
// answered; a failure to write it is returned instead: a denial that cannot
// be logged must not pass unseen. Later refusals of the source in that
// window are counted, and the count is one leaf when the window ends.
func (b *Bureau) deny(ctx context.Context, op, domain string, err error) error {
	a := probity.ActorFromContext(ctx)
	source := a.ID
	if s, ok := ctx.Value(refusalSourceKey{}).(string); ok {
		source = s
	}
	b.observer.Refused(op)
	if !b.refused.admit(time.Now(), source, op+"\x00"+domain, op, probity.ErrorMessage(err)) {
		return err
	}
	logErr := b.store.Update(context.WithoutCancel(ctx), func(tx probity.Tx) error {
		return b.log.Record(tx, probity.AuditLeaf{Actor: a.ID, Action: probity.ActionAccessDenied, Domain: domain, Ref: op,
			Digest: audit.ReadDigest(probity.ErrorMessage(err))})
	})
	if logErr != nil {
		return logErr
	}
	return err
}

// refusalSourceKey carries the source a refusal is counted under when the
// actor it is logged as is not the one who asked (a token refused is logged
// as the principal it claimed to be, but counted under the address that
// sent it).
type refusalSourceKey struct{}

// FlushRefusals writes one leaf per source for the refusals counted in
// windows that have ended (every window if all, as when the server stops).
// Serve calls it with every seal. It returns the number of leaves written.
func (b *Bureau) FlushRefusals(ctx context.Context, all bool) (int, error) {
	ts := b.refused.due(time.Now(), all)
	if len(ts) == 0 {
		return 0, nil
	}
	err := b.store.Update(ctx, func(tx probity.Tx) error {
		for _, t := range ts {
			end := t.window.Add(RefusalWindow)
			summary := fmt.Sprintf("%d more refusals of %s from %s to %s; the last: %s: %s", t.count, t.source,
				t.window.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339), t.last, t.lastWhy)
			if err := b.log.Record(tx, probity.AuditLeaf{Actor: t.source, Action: probity.ActionAccessDenied,
				Ref: RefusalRef + ":" + strconv.Itoa(t.count), Digest: audit.ReadDigest(summary)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.refused.putBack(ts)
		return 0, err
	}
	return len(ts), nil
}

// RefusalCount returns the count of a leaf reference written by
// FlushRefusals, and whether ref is one.
func RefusalCount(ref string) (int, bool) {
	n, ok := strings.CutPrefix(ref, RefusalRef+":")
	if !ok {
		return 0, false
	}
	c, err := strconv.Atoi(n)
	return c, err == nil && c > 0
}
