package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// storedRow is an event row as the rescoring baseline reads it: its type
// and its fields as stored, canonical JSON.
type storedRow struct {
	typ    string
	fields []byte
}

// rescore applies version 2 of the bench spec to every domain of the main
// site, which computes the points of every stored event under it in the
// same transaction, against the same rules in plain Go over the same rows.
func (r *runner) rescore(ctx context.Context) (Row, error) {
	s := r.main
	r.logf("rescoring: version 2 of %d domains", len(s.domains))
	var ph, bh heapPeak
	var pt time.Duration
	rescored := 0
	collect()
	// Probity first: the baseline's rows, loaded in memory, must not count
	// in Probity's peak heap.
	err := ph.measure(func() error {
		for _, id := range s.domains {
			start := time.Now()
			res, err := s.bureau.ApplySpec(s.operator, id, specSource(id, 2))
			if err != nil {
				return fmt.Errorf("apply version 2 of %s: %w", id, err)
			}
			pt += time.Since(start)
			rescored += res.Rescored
		}
		return nil
	})
	if err != nil {
		return Row{}, err
	}
	rows, err := s.storedRows(ctx)
	if err != nil {
		return Row{}, err
	}
	if rescored != len(rows) {
		return Row{}, fmt.Errorf("rescoring: %d events rescored, %d stored", rescored, len(rows))
	}
	collect()
	var bt time.Duration
	err = bh.measure(func() error {
		start := time.Now()
		_, err := plainRescore(rows)
		bt = time.Since(start)
		return err
	})
	if err != nil {
		return Row{}, err
	}
	n := float64(len(rows))
	return newRow("rescoring after a spec change", "events/s", n/pt.Seconds(), n/bt.Seconds(), &ph, &bh, baselineGo).against(2, false), nil
}

// storedRows reads the type and fields of every event of the site's
// domains through the plain pool.
func (s *site) storedRows(ctx context.Context) ([]storedRow, error) {
	var out []storedRow
	for _, id := range s.domains {
		q := `SELECT type, fields FROM events WHERE domain = ?`
		if s.engine == "postgres" {
			q = `SELECT type, fields FROM events WHERE domain = $1`
		}
		rows, err := s.plain.QueryContext(ctx, q, id)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var row storedRow
			var fields string
			if err := rows.Scan(&row.typ, &fields); err != nil {
				rows.Close()
				return nil, err
			}
			row.fields = []byte(fields)
			out = append(out, row)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// plainRescore computes the version 2 points of every row: the fields
// decoded from JSON, then the rules in plain Go.
func plainRescore(rows []storedRow) ([]float64, error) {
	points := make([]float64, len(rows))
	for i, row := range rows {
		var fields map[string]any
		if err := json.Unmarshal(row.fields, &fields); err != nil {
			return nil, err
		}
		p, err := plainV2.points(row.typ, fields)
		if err != nil {
			return nil, err
		}
		points[i] = p
	}
	return points, nil
}
