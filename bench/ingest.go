package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/identity"
	"github.com/probity-dev/probity/spec"
)

// ingest stores the population in the main site through Probity's ingest
// (validation, pseudonyms, points and audit leaves) and, chunk by chunk,
// the same rows into a fresh store of the same engine through one bare
// bulk insert each: the limit of what the engine can take.
func (r *runner) ingest(ctx context.Context) (Row, error) {
	r.logf("ingest: %d events into %s, and the same rows into a fresh store by bulk insert", r.main.pop.Total(), r.be.Engine())
	raw, err := r.be.open(ctx, "raw-insert")
	if err != nil {
		return Row{}, err
	}
	defer raw.close(ctx)
	var ph, bh heapPeak
	var pt, bt time.Duration
	err = r.main.pop.chunks(func(d int, inputs []probity.EventInput) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		collect()
		err := ph.measure(func() error {
			elapsed, err := r.main.ingest(d, inputs)
			pt += elapsed
			return err
		})
		if err != nil {
			return err
		}
		events, points, err := rawRows(r.main.domains[d], inputs, r.compiled[d], r.keys.ring, time.Now())
		if err != nil {
			return err
		}
		collect()
		return bh.measure(func() error {
			elapsed, err := bulkInsert(ctx, raw, events, points)
			bt += elapsed
			return err
		})
	})
	if err != nil {
		return Row{}, err
	}
	n := float64(r.main.pop.Total())
	return newRow("ingest", "events/s", n/pt.Seconds(), n/bt.Seconds(), &ph, &bh, baselineInsert), nil
}

// bulkInsert stores prepared rows in one transaction and returns how long
// it took.
func bulkInsert(ctx context.Context, st *store, events []*probity.Event, points [][]probity.Points) (time.Duration, error) {
	start := time.Now()
	err := st.db.Update(ctx, func(tx probity.Tx) error {
		inserted, err := tx.InsertEvents(events, points)
		if err != nil {
			return err
		}
		for i, ok := range inserted {
			if !ok {
				return fmt.Errorf("raw insert: event %s was not stored", events[i].Key)
			}
		}
		return nil
	})
	return time.Since(start), err
}

// rawRows turns inputs into the rows Probity would store for them, the
// subjects pseudonymised with the same keys and the points computed under
// version 1: what the raw insert stores, prepared before it is timed.
func rawRows(domain string, inputs []probity.EventInput, c *spec.Compiled, ring *identity.KeyRing, now time.Time) ([]*probity.Event, [][]probity.Points, error) {
	events := make([]*probity.Event, len(inputs))
	points := make([][]probity.Points, len(inputs))
	for i, in := range inputs {
		subject, err := identity.Parse(in.Subject)
		if err != nil {
			return nil, nil, err
		}
		occurred, err := time.Parse(time.RFC3339, in.OccurredAt)
		if err != nil {
			return nil, nil, err
		}
		typed, err := spec.Fields(c.Spec().Rule(in.Type), in.Fields, false)
		if err != nil {
			return nil, nil, err
		}
		raw, err := c.Points(in.Type, typed)
		if err != nil {
			return nil, nil, err
		}
		events[i] = &probity.Event{Domain: domain, Key: in.Key, Type: in.Type, Subject: ring.Pseudonym(domain, subject),
			Kind: subject.Kind, OccurredAt: occurred, RecordedAt: now, Fields: typed}
		points[i] = []probity.Points{{Version: 1, Raw: raw}}
	}
	return events, points, nil
}
