package bench

import (
	"context"
	"fmt"
	"strings"
)

// Names of the storage baselines.
const (
	baselineEvents = "events' storage"
	baselineNone   = "no log"
)

func init() {
	Baselines[baselineEvents] = "the events table of the raw insert's store, the same rows without their place in a batch leaf, its indexes included (SQLite: dbstat; PostgreSQL: pg_total_relation_size); " +
		"the log is every log_ and audit_ table, leaves, checkpoints, tiles and their indexes, and what Probity's events table holds beyond the raw one's (each event's salt, batch and position); " +
		"a store's size per event is every table's, indexes included"
	Baselines[baselineNone] = "the bare server, which logs nothing: DESIGN.md's limit is on Probity's figure; " +
		"the database's growth (SQLite: pages in use; PostgreSQL: pg_database_size) over every read of Probity's server, divided by them"
}

// storedBytes weighs the main site after the ingest: the log and its
// checkpoints against the events' own storage (DESIGN.md: at most 50% more),
// and every table of the store per event against the raw insert's (the
// tables alone: PostgreSQL's catalog would swamp a small store).
func (r *runner) storedBytes(ctx context.Context, raw *store) ([]Row, error) {
	tables, err := r.main.tableBytes(ctx)
	if err != nil {
		return nil, err
	}
	var logBytes, whole int64
	for name, n := range tables {
		whole += n
		if strings.HasPrefix(name, "log_") || strings.HasPrefix(name, "audit_") {
			logBytes += n
		}
	}
	rawTables, err := raw.tableBytes(ctx)
	if err != nil {
		return nil, err
	}
	var rawWhole int64
	for _, n := range rawTables {
		rawWhole += n
	}
	// the events' own storage is the raw insert's events table: Probity's
	// also holds each event's place in its batch leaf, which is the log's
	eventBytes := rawTables["events"]
	logBytes += max(0, tables["events"]-eventBytes)
	r.logf("storage after the ingest: events %s (Probity's events table %s), log %s, every table %s; the raw insert's tables %s",
		mb(eventBytes), mb(tables["events"]), mb(logBytes), mb(whole), mb(rawWhole))
	var none heapPeak
	n := float64(r.main.pop.Total())
	return []Row{
		newRow("log and checkpoints against the events' storage", "MB", float64(logBytes)/(1<<20), float64(eventBytes)/(1<<20), &none, &none, baselineEvents).against(0.5, false),
		newRow("store size per event", "bytes", float64(whole)/n, float64(rawWhole)/n, &none, &none, baselineInsert),
	}, nil
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

// dbBytes returns the bytes the store's database holds: on SQLite its
// pages in use (page_count less the free list, times the page size, as the
// latest commit sees them, WAL included); on PostgreSQL pg_database_size.
func (s *store) dbBytes(ctx context.Context) (int64, error) {
	var n int64
	q := `SELECT pg_database_size(current_database())`
	if s.engine == "sqlite" {
		q = `SELECT (p.page_count - f.freelist_count) * s.page_size FROM pragma_page_count() p, pragma_freelist_count() f, pragma_page_size() s`
	}
	if err := s.plain.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("size of the store: %w", err)
	}
	return n, nil
}

// tableBytes returns the bytes of each table, its indexes included.
func (s *store) tableBytes(ctx context.Context) (map[string]int64, error) {
	q := `SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c
		WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace`
	if s.engine == "sqlite" {
		q = `SELECT m.tbl_name, SUM(d.pgsize) FROM dbstat d JOIN sqlite_schema m ON m.name = d.name GROUP BY m.tbl_name`
	}
	rows, err := s.plain.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("size of each table: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return nil, err
		}
		out[name] = n
	}
	return out, rows.Err()
}
