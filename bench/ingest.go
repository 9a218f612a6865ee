package bench

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/identity"
	"github.com/probity-dev/probity/spec"
	"github.com/probity-dev/probity/sqlstore"
)

// ingest stores the population in the main site through Probity's ingest
// (validation, pseudonyms, points and the log) and, chunk by chunk, the
// same event rows alone into a fresh store of the same engine, one
// transaction per chunk with no validation and no leaves: the limit of what
// the engine can take (DESIGN.md: ingest within 1.5x of it). Then it
// weighs what each store holds.
func (r *runner) ingest(ctx context.Context) ([]Row, error) {
	r.logf("ingest: %d events into %s, and the same rows into a fresh store by raw insert", r.main.pop.Total(), r.be.Engine())
	raw, err := r.be.open(ctx, "raw-insert")
	if err != nil {
		return nil, err
	}
	defer raw.close(ctx)
	w, done, err := raw.writer()
	if err != nil {
		return nil, err
	}
	defer done()
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
		rows, err := rawValues(events, points, raw.engine)
		if err != nil {
			return err
		}
		collect()
		return bh.measure(func() error {
			elapsed, err := rawInsert(ctx, raw.engine, w, rows)
			bt += elapsed
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	n := float64(r.main.pop.Total())
	rows := []Row{newRow("ingest", "events/s", n/pt.Seconds(), n/bt.Seconds(), &ph, &bh, baselineInsert).against(1.5, false)}
	storage, err := r.storedBytes(ctx, raw)
	if err != nil {
		return nil, err
	}
	return append(rows, storage...), nil
}

// rawInsert stores rows of EventInsertColumns in one transaction, through
// the engine's own bulk path: on SQLite one prepared INSERT executed per
// row, on PostgreSQL COPY (a row-at-a-time INSERT there pays a round trip
// per row, and Probity itself copies). It returns how long it took.
func rawInsert(ctx context.Context, engine string, w *sql.DB, rows [][]any) (time.Duration, error) {
	start := time.Now()
	// the event's own columns; the last three (salt, batch, slot) place
	// it in its batch leaf, which is the log's cost: NULL here
	cols := sqlstore.EventInsertColumns[:len(sqlstore.EventInsertColumns)-3]
	if engine == "postgres" {
		conn, err := w.Conn(ctx)
		if err != nil {
			return 0, err
		}
		defer conn.Close()
		err = conn.Raw(func(driverConn any) error {
			sc, ok := driverConn.(*stdlib.Conn)
			if !ok {
				return errors.New("raw insert: the connection is not a pgx connection")
			}
			tx, err := sc.Conn().Begin(ctx)
			if err != nil {
				return err
			}
			defer tx.Rollback(ctx)
			n, err := tx.CopyFrom(ctx, pgx.Identifier{"events"}, cols, pgx.CopyFromRows(rows))
			if err != nil {
				return err
			}
			if n != int64(len(rows)) {
				return fmt.Errorf("raw insert: %d of %d rows copied", n, len(rows))
			}
			return tx.Commit(ctx)
		})
		return time.Since(start), err
	}
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, "INSERT INTO events ("+strings.Join(cols, ", ")+") VALUES (?"+strings.Repeat(", ?", len(cols)-1)+")")
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	for _, row := range rows {
		if _, err := stmt.ExecContext(ctx, row...); err != nil {
			return 0, fmt.Errorf("raw insert: %w", err)
		}
	}
	err = tx.Commit()
	return time.Since(start), err
}

// rawValues returns the values of sqlstore.EventInsertColumns Probity
// stores for each event but its place in its batch leaf (the log's), as it binds them (fields as canonical JSON bytes,
// text on PostgreSQL; points as big-endian (uint32 version, float64 raw)
// pairs), prepared before the raw insert is timed.
func rawValues(events []*probity.Event, points [][]probity.Points, engine string) ([][]any, error) {
	if got, want := strings.Join(sqlstore.EventInsertColumns, ","), "domain,pseudonym,key,type,kind,occurred_at,recorded_at,fields,cures,points,salt,batch,slot"; got != want {
		return nil, fmt.Errorf("raw insert: the events' columns are now %s; bench/ingest.go binds %s and must follow", got, want)
	}
	rows := make([][]any, len(events))
	for i, e := range events {
		fields, err := json.Marshal(e.Fields)
		if err != nil {
			return nil, err
		}
		var pts []byte
		for _, p := range points[i] {
			pts = binary.BigEndian.AppendUint32(pts, uint32(p.Version))
			pts = binary.BigEndian.AppendUint64(pts, math.Float64bits(p.Raw))
		}
		var f any = fields
		if engine == "postgres" {
			f = string(fields)
		}
		rows[i] = []any{e.Domain, e.Subject[:], e.Key, e.Type, string(e.Kind), e.OccurredAt.UnixNano(), e.RecordedAt.UnixNano(), f, e.Cures, pts}
	}
	return rows, nil
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
