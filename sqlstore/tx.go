package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/probity-dev/probity"
)

// Tx is a transaction of the store. It binds each statement once and
// reuses it, since ingest inserts hundreds of thousands of rows in one
// transaction.
type Tx struct {
	db    *DB
	pool  *sql.DB
	conn  *sql.Conn // write transactions only: for a dialect's bulk path
	ctx   context.Context
	tx    *sql.Tx
	now   time.Time
	stmts map[string]*statement
	// leaves counts the leaves appended per log, told to the DB's
	// observer once the transaction commits.
	leaves map[string]int
	// sizes are the sizes of the logs this transaction appended to: it
	// holds their locks, so no one else changes them (LogSize).
	sizes map[string]uint64
}

var _ probity.Tx = (*Tx)(nil)

// statement is a query of the transaction: a statement prepared on its
// connection where the dialect prepares, the query's text otherwise.
type statement struct {
	tx    *sql.Tx
	s     *sql.Stmt
	query string
}

func (s *statement) QueryContext(ctx context.Context, args ...any) (*sql.Rows, error) {
	if s.s != nil {
		return s.s.QueryContext(ctx, args...)
	}
	return s.tx.QueryContext(ctx, s.query, args...)
}

func (s *statement) QueryRowContext(ctx context.Context, args ...any) *sql.Row {
	if s.s != nil {
		return s.s.QueryRowContext(ctx, args...)
	}
	return s.tx.QueryRowContext(ctx, s.query, args...)
}

func (s *statement) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	if s.s != nil {
		return s.s.ExecContext(ctx, args...)
	}
	return s.tx.ExecContext(ctx, s.query, args...)
}

func (tx *Tx) stmt(query string) (*statement, error) {
	if s, ok := tx.stmts[query]; ok {
		return s, nil
	}
	s := &statement{tx: tx.tx, query: tx.db.rebind(query)}
	if tx.db.dialect.Prepare {
		var err error
		if prepared := tx.db.prepared(tx.pool, query); prepared != nil {
			s.s = tx.tx.StmtContext(tx.ctx, prepared)
		} else if s.s, err = tx.tx.PrepareContext(tx.ctx, s.query); err != nil {
			return nil, err
		}
	}
	if tx.stmts == nil {
		tx.stmts = make(map[string]*statement)
	}
	tx.stmts[query] = s
	return s, nil
}

func (tx *Tx) close() {
	for q, s := range tx.stmts {
		if s.s != nil {
			s.s.Close()
		}
		delete(tx.stmts, q)
	}
}

func (tx *Tx) exec(query string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(tx.ctx, tx.db.rebind(query), args...)
}

func (tx *Tx) query(query string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(tx.ctx, tx.db.rebind(query), args...)
}

func (tx *Tx) queryRow(query string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(tx.ctx, tx.db.rebind(query), args...)
}

// Now is the transaction's fixed time.
func (tx *Tx) Now() time.Time { return tx.now }

// DomainIDs lists domains with at least one spec version.
func (tx *Tx) DomainIDs() ([]string, error) {
	rows, err := tx.query(`SELECT DISTINCT domain FROM spec_versions ORDER BY domain`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// SpecVersions returns a domain's versions in order.
func (tx *Tx) SpecVersions(domain string) ([]probity.SpecVersion, error) {
	s, err := tx.stmt(querySpecVersions)
	if err != nil {
		return nil, err
	}
	rows, err := s.QueryContext(tx.ctx, domain)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	versions := []probity.SpecVersion{}
	for rows.Next() {
		v := probity.SpecVersion{Domain: domain}
		var applied, effective int64
		var spec []byte
		if err := rows.Scan(&v.Version, &v.Digest, &applied, &effective, &spec); err != nil {
			return nil, err
		}
		v.AppliedAt, v.EffectiveAt = fromNanos(applied), fromNanos(effective)
		key := specKey{domain, v.Version, v.Digest}
		if v.Spec = tx.db.cachedSpec(key); v.Spec == nil {
			v.Spec = new(probity.Spec)
			if err := json.Unmarshal(spec, v.Spec); err != nil {
				return nil, fmt.Errorf("spec %s v%d: %w", domain, v.Version, err)
			}
			tx.db.cacheSpec(key, v.Spec)
		}
		versions = append(versions, v)
	}
	return versions, rows.Err()
}

// InsertSpecVersion stores a new version.
func (tx *Tx) InsertSpecVersion(v *probity.SpecVersion) error {
	spec, err := json.Marshal(v.Spec)
	if err != nil {
		return err
	}
	res, err := tx.exec(`INSERT INTO spec_versions (domain, version, digest, applied_at, effective_at, spec) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		v.Domain, v.Version, v.Digest, v.AppliedAt.UnixNano(), v.EffectiveAt.UnixNano(), spec)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return probity.Errorf(probity.ECONFLICT, "domain %s already has spec version %d", v.Domain, v.Version)
	}
	return nil
}

const eventColumns = `pseudonym, key, type, kind, occurred_at, recorded_at, fields, cures`

// The hot read queries, prepared once on the read pool.
const (
	querySpecVersions  = `SELECT version, digest, applied_at, effective_at, spec FROM spec_versions WHERE domain = ? ORDER BY version`
	queryEventByKey    = `SELECT ` + eventColumns + ` FROM events WHERE domain = ? AND key = ?`
	querySubjectEvents = `SELECT ` + eventColumns + `, points FROM events
		WHERE domain = ? AND pseudonym = ? AND recorded_at <= ? AND retracted_at = 0 ORDER BY occurred_at, key`
)

// SubjectEventCount counts a subject's stored events, retracted ones
// included, from the events' primary key (domain, pseudonym, key).
func (tx *Tx) SubjectEventCount(domain string, subject probity.Pseudonym) (int, error) {
	s, err := tx.stmt(`SELECT count(*) FROM events WHERE domain = ? AND pseudonym = ?`)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.QueryRowContext(tx.ctx, domain, subject[:]).Scan(&n)
	return n, err
}

// EventByKey returns one event by its idempotency key.
func (tx *Tx) EventByKey(domain, key string) (*probity.Event, error) {
	s, err := tx.stmt(queryEventByKey)
	if err != nil {
		return nil, err
	}
	e := &probity.Event{Domain: domain}
	if err := scanEvent(s.QueryRowContext(tx.ctx, domain, key), e); errors.Is(err, sql.ErrNoRows) {
		return nil, probity.Errorf(probity.ENOTFOUND, "domain %s has no event with key %q", domain, key)
	} else if err != nil {
		return nil, err
	}
	return e, nil
}

type scanner interface{ Scan(dest ...any) error }

// queryAll runs a query (prepared once per transaction) and scans every
// row with scan, returning an empty slice, not nil, when there is none.
func queryAll[T any](tx *Tx, query string, args []any, scan func(scanner) (*T, error)) ([]T, error) {
	st, err := tx.stmt(query)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(tx.ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, rows.Err()
}

func scanEvent(row scanner, e *probity.Event, extra ...any) error {
	var pseudonym, fields []byte
	var occurred, recorded int64
	var kind string
	dest := append([]any{&pseudonym, &e.Key, &e.Type, &kind, &occurred, &recorded, &fields, &e.Cures}, extra...)
	if err := row.Scan(dest...); err != nil {
		return err
	}
	if err := setEventColumns(e, pseudonym, kind, occurred, recorded); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(fields))
	dec.UseNumber()
	return dec.Decode(&e.Fields)
}

// SubjectEvents returns a subject's events with their points under version.
func (tx *Tx) SubjectEvents(domain string, subject probity.Pseudonym, version int, recordedBy time.Time) ([]probity.PointedEvent, error) {
	return tx.subjectEvents(querySubjectEvents, domain, subject, version, recordedBy)
}

// subjectEvents runs querySubjectEvents, or queryScoredEvents which has no
// fields column.
func (tx *Tx) subjectEvents(query, domain string, subject probity.Pseudonym, version int, recordedBy time.Time) ([]probity.PointedEvent, error) {
	s, err := tx.stmt(query)
	if err != nil {
		return nil, err
	}
	rows, err := s.QueryContext(tx.ctx, domain, subject[:], recordedBy.UnixNano())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	events := []probity.PointedEvent{}
	for rows.Next() {
		var pe probity.PointedEvent
		pe.Domain = domain
		var points []byte
		if query == queryScoredEvents {
			err = scanScoredEvent(rows, &pe.Event, &points)
		} else {
			err = scanEvent(rows, &pe.Event, &points)
		}
		if err != nil {
			return nil, err
		}
		if pe.Points, err = decodePoints(points); err != nil {
			return nil, fmt.Errorf("event %s/%s: %w", domain, pe.Key, err)
		}
		raw, ok := pe.RawUnder(version)
		if !ok {
			return nil, probity.Errorf(probity.EINTERNAL, "event %s/%s has no points under spec version %d", domain, pe.Key, version)
		}
		pe.Raw = raw
		events = append(events, pe)
	}
	return events, rows.Err()
}

// setEventColumns sets the event's columns stored in another form.
func setEventColumns(e *probity.Event, pseudonym []byte, kind string, occurred, recorded int64) error {
	if len(pseudonym) != len(e.Subject) {
		return fmt.Errorf("event %s/%s: pseudonym of %d bytes", e.Domain, e.Key, len(pseudonym))
	}
	copy(e.Subject[:], pseudonym)
	e.Kind = probity.SubjectKind(kind)
	e.OccurredAt, e.RecordedAt = fromNanos(occurred), fromNanos(recorded)
	return nil
}

// ScanEvents calls fn for every event of a domain in the table's order.
func (tx *Tx) ScanEvents(domain string, fn func(*probity.Event) error) error {
	rows, err := tx.query(`SELECT `+eventColumns+` FROM events WHERE domain = ? ORDER BY pseudonym, key`, domain)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		e := &probity.Event{Domain: domain}
		if err := scanEvent(rows, e); err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// InsertEvents stores events with multi-row inserts, learning from
// RETURNING which keys were free.
func (tx *Tx) InsertEvents(events []*probity.Event, points [][]probity.Points) ([]bool, error) {
	inserted := make([]bool, len(events))
	if d := tx.db.dialect; d.CopyEvents != nil && tx.conn != nil && len(events) >= d.CopyAtLeast {
		return inserted, tx.copyEvents(events, points, inserted)
	}
	for start := 0; start < len(events); start += insertBatch {
		end := min(start+insertBatch, len(events))
		if err := tx.insertEvents(events[start:end], points[start:end], inserted[start:end]); err != nil {
			return nil, err
		}
	}
	return inserted, nil
}

// insertBatch is how many rows one INSERT statement carries.
const insertBatch = 100

func (tx *Tx) insertEvents(events []*probity.Event, points [][]probity.Points, inserted []bool) error {
	s, err := tx.stmt(insertQuery(len(events)))
	if err != nil {
		return err
	}
	rows, err := eventRows(events, points)
	if err != nil {
		return err
	}
	args := make([]any, 0, len(events)*len(EventInsertColumns))
	for _, row := range rows {
		args = append(args, row...)
	}
	result, err := s.QueryContext(tx.ctx, args...)
	if err != nil {
		return err
	}
	defer result.Close()
	var keys []string
	for result.Next() {
		var key string
		if err := result.Scan(&key); err != nil {
			return err
		}
		keys = append(keys, key)
	}
	if err := result.Err(); err != nil {
		return err
	}
	return markInserted(events, keys, inserted)
}

// copyEvents stores events through the dialect's bulk path.
func (tx *Tx) copyEvents(events []*probity.Event, points [][]probity.Points, inserted []bool) error {
	rows, err := eventRows(events, points)
	if err != nil {
		return err
	}
	for _, row := range rows {
		row[7] = string(row[7].([]byte)) // fields: COPY writes them as text
	}
	keys, err := tx.db.dialect.CopyEvents(tx.ctx, tx.conn, rows)
	if err != nil {
		return err
	}
	return markInserted(events, keys, inserted)
}

// eventRows returns each event's values of EventInsertColumns, its fields
// in canonical JSON.
func eventRows(events []*probity.Event, points [][]probity.Points) ([][]any, error) {
	rows := make([][]any, len(events))
	for i, e := range events {
		fields, err := json.Marshal(e.Fields)
		if err != nil {
			return nil, fmt.Errorf("event %s: fields: %w", e.Key, err)
		}
		var salt []byte
		var batch, slot any
		if e.Slot != nil {
			salt, batch, slot = e.Slot.Salt, e.Slot.Batch, int64(e.Slot.Position)
		}
		rows[i] = []any{e.Domain, e.Subject[:], e.Key, e.Type, string(e.Kind), e.OccurredAt.UnixNano(), e.RecordedAt.UnixNano(), fields, e.Cures, encodePoints(points[i]), salt, batch, slot}
	}
	return rows, nil
}

// markInserted sets inserted[i] for each event whose key the insert
// returned as stored.
func markInserted(events []*probity.Event, keys []string, inserted []bool) error {
	index := make(map[string]int, len(events))
	for i, e := range events {
		index[e.Key] = i
	}
	for _, key := range keys {
		i, ok := index[key]
		if !ok {
			return fmt.Errorf("insert returned key %q that was not inserted", key)
		}
		inserted[i] = true
	}
	return nil
}

func insertQuery(n int) string {
	return valuesQuery(`INSERT INTO events (domain, `+eventColumns+`, points, salt, batch, slot) VALUES `, 13, n, " ON CONFLICT DO NOTHING RETURNING key")
}

// valuesQuery returns prefix followed by n rows of cols placeholders, then suffix.
func valuesQuery(prefix string, cols, n int, suffix string) string {
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	var b strings.Builder
	b.WriteString(prefix)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	b.WriteString(suffix)
	return b.String()
}

// AddPoints appends the points of many events under a new version, one
// prepared update per event, in the order given (callers sort by subject
// and key, the table's order).
func (tx *Tx) AddPoints(domain string, version int, points []probity.EventPoints) error {
	if d := tx.db.dialect; d.CopyPoints != nil && tx.conn != nil && len(points) >= d.CopyAtLeast {
		n, err := d.CopyPoints(tx.ctx, tx.conn, domain, version, points)
		if err != nil {
			return err
		}
		if n != len(points) {
			return probity.Errorf(probity.ENOTFOUND, "domain %s: %d of %d events to point under version %d do not exist", domain, len(points)-n, len(points), version)
		}
		return nil
	}
	s, err := tx.stmt(`UPDATE events SET points = points || ? WHERE domain = ? AND pseudonym = ? AND key = ?`)
	if err != nil {
		return err
	}
	buf := make([]byte, 0, pointSize)
	for _, p := range points {
		buf = encodePointInto(buf[:0], version, p.Raw)
		res, err := s.ExecContext(tx.ctx, buf, domain, p.Subject[:], p.Key)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return probity.Errorf(probity.ENOTFOUND, "domain %s has no event with key %q of that subject", domain, p.Key)
		}
	}
	return nil
}

// SetPoints stores an event's raw points under a version.
func (tx *Tx) SetPoints(domain string, subject probity.Pseudonym, key string, p probity.Points) error {
	get, err := tx.stmt(`SELECT points FROM events WHERE domain = ? AND pseudonym = ? AND key = ?`)
	if err != nil {
		return err
	}
	var buf []byte
	if err := get.QueryRowContext(tx.ctx, domain, subject[:], key).Scan(&buf); errors.Is(err, sql.ErrNoRows) {
		return probity.Errorf(probity.ENOTFOUND, "domain %s has no event with key %q of that subject", domain, key)
	} else if err != nil {
		return err
	}
	set, err := tx.stmt(`UPDATE events SET points = ? WHERE domain = ? AND pseudonym = ? AND key = ?`)
	if err != nil {
		return err
	}
	_, err = set.ExecContext(tx.ctx, setPoint(buf, p), domain, subject[:], key)
	return err
}

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }
