package bench

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/identity"
)

// The baseline of scoring: the query a user of a plain database would write
// by hand for the bench spec's score of one subject, on the same events
// table. Points come from the fields by CASE expressions equal to the CEL
// rules; then the decay 0.5^(age/half_life) with age in fractional days,
// expiry, the cap of payment_late, base + sum clamped to [min, max] and
// rounded half away from zero, and unrated below min_events. No grace, no
// cures, no disputes, no opt-outs: the bench spec and population have none.
//
// ?1/$1 is the evaluation time in unix nanoseconds, ?2/$2 the domain, ?3/$3
// the pseudonym and ?4/$4 the base score.
const (
	sqliteScoreQuery = `
WITH e AS (
	SELECT type, fields, ?1 - occurred_at AS age
	FROM events
	WHERE domain = ?2 AND pseudonym = ?3 AND retracted_at = 0 AND occurred_at <= ?1 AND recorded_at <= ?1
), c AS (
	SELECT type, CASE type
		WHEN 'loan_repaid' THEN
			(CASE WHEN json_extract(fields, '$.amount') > 1000.0 THEN 10.0 ELSE 5.0 END) * pow(0.5, age / 86400e9 / 730.0)
		WHEN 'payment_late' THEN
			(CASE WHEN json_extract(fields, '$.days_late') >= 90 THEN -80.0
			      WHEN json_extract(fields, '$.days_late') >= 30 THEN -40.0
			      ELSE -15.0 END) * pow(0.5, age / 86400e9 / 365.0)
		ELSE 2.0
	END AS contribution
	FROM e
	WHERE (type = 'loan_repaid' AND age < 3650 * 86400000000000)
	   OR (type = 'payment_late' AND age < 1095 * 86400000000000)
	   OR (type = 'account_opened' AND age < 1825 * 86400000000000)
), t AS (
	SELECT COUNT(*) AS n,
		CASE WHEN type = 'payment_late' THEN max(-60.0, min(60.0, SUM(contribution))) ELSE SUM(contribution) END AS total
	FROM c GROUP BY type
)
SELECT CASE WHEN COALESCE(SUM(n), 0) >= 1 THEN 'rated' ELSE 'unrated' END,
	CAST(round(max(300.0, min(900.0, ?4 + COALESCE(SUM(total), 0.0)))) AS INTEGER)
FROM t`

	postgresScoreQuery = `
WITH e AS (
	SELECT type, fields::jsonb AS f, $1::bigint - occurred_at AS age
	FROM events
	WHERE domain = $2 AND pseudonym = $3 AND retracted_at = 0 AND occurred_at <= $1::bigint AND recorded_at <= $1::bigint
), c AS (
	SELECT type, CASE type
		WHEN 'loan_repaid' THEN
			(CASE WHEN (f->>'amount')::float8 > 1000.0 THEN 10.0::float8 ELSE 5.0::float8 END)
			* power(0.5::float8, age::float8 / 86400e9::float8 / 730.0::float8)
		WHEN 'payment_late' THEN
			(CASE WHEN (f->>'days_late')::int >= 90 THEN -80.0::float8
			      WHEN (f->>'days_late')::int >= 30 THEN -40.0::float8
			      ELSE -15.0::float8 END)
			* power(0.5::float8, age::float8 / 86400e9::float8 / 365.0::float8)
		ELSE 2.0::float8
	END AS contribution
	FROM e
	WHERE (type = 'loan_repaid' AND age < 3650 * 86400000000000)
	   OR (type = 'payment_late' AND age < 1095 * 86400000000000)
	   OR (type = 'account_opened' AND age < 1825 * 86400000000000)
), t AS (
	SELECT COUNT(*) AS n,
		CASE WHEN type = 'payment_late' THEN GREATEST(-60.0::float8, LEAST(60.0::float8, SUM(contribution))) ELSE SUM(contribution) END AS total
	FROM c GROUP BY type
)
SELECT CASE WHEN COALESCE(SUM(n), 0) >= 1 THEN 'rated' ELSE 'unrated' END,
	floor(GREATEST(300.0::float8, LEAST(900.0::float8, $4::float8 + COALESCE(SUM(total), 0.0::float8))) + 0.5::float8)::bigint
FROM t`
)

// baselineBase is the base score the SQL baseline adds. Tests change it to
// check that a baseline that disagrees with Probity fails the run.
var baselineBase = 600.0

// target is one subject of one domain that the score scenarios ask for.
type target struct {
	domain, subject string
	// pseudonym is what the SQL baseline looks the subject up by,
	// computed beforehand.
	pseudonym probity.Pseudonym
}

// targets returns n subject-domain pairs spread evenly over the population.
func (s *site) targets(n int) ([]target, error) {
	total := s.pop.Subjects * s.pop.Domains
	n = min(n, total)
	out := make([]target, n)
	for k := range out {
		idx := k * total / n
		d, i := idx%s.pop.Domains, idx/s.pop.Domains
		subject, err := identity.Parse(s.pop.Subject(i))
		if err != nil {
			return nil, err
		}
		out[k] = target{domain: s.domains[d], subject: subject.String(), pseudonym: s.keys.ring.Pseudonym(s.domains[d], subject)}
	}
	return out, nil
}

// sqlScore is a score as the SQL baseline computes it.
type sqlScore struct {
	status probity.Status
	score  int64
}

func (q sqlScore) String() string {
	if q.status != probity.StatusRated {
		return string(q.status)
	}
	return fmt.Sprintf("%s %d", q.status, q.score)
}

// prepareBaseline prepares the SQL baseline's query on the plain pool.
func (s *store) prepareBaseline(ctx context.Context) (*sql.Stmt, error) {
	q := sqliteScoreQuery
	if s.engine == "postgres" {
		q = postgresScoreQuery
	}
	return s.plain.PrepareContext(ctx, q)
}

// sqlScoreOf runs the SQL baseline for one target.
func sqlScoreOf(ctx context.Context, stmt *sql.Stmt, t target, asOf time.Time) (sqlScore, error) {
	var q sqlScore
	var status string
	if err := stmt.QueryRowContext(ctx, asOf.UnixNano(), t.domain, t.pseudonym[:], baselineBase).Scan(&status, &q.score); err != nil {
		return q, fmt.Errorf("SQL baseline for %s in %s: %w", t.subject, t.domain, err)
	}
	q.status = probity.Status(status)
	return q, nil
}

// agree checks that Probity and the SQL baseline give every target the same
// status and score; the first difference is the run's error.
func (s *site) agree(ctx context.Context, stmt *sql.Stmt, sample []target) error {
	for _, t := range sample {
		got, err := s.bureau.Score(s.reader, probity.ScoreRequest{Domain: t.domain, Subject: t.subject, Purpose: Purpose, AsOf: s.asOf})
		if err != nil {
			return err
		}
		want, err := sqlScoreOf(ctx, stmt, t, s.asOf)
		if err != nil {
			return err
		}
		if got.Status != want.status || (got.Status == probity.StatusRated && int64(*got.Score) != want.score) {
			return fmt.Errorf("scores disagree for %s in %s as of %s: Probity %s, SQL baseline %s; the baseline must compute Probity's score exactly",
				t.subject, t.domain, s.asOf.Format(time.RFC3339Nano), describe(got), want)
		}
	}
	return nil
}

// describe writes a Probity score as the SQL baseline's are written.
func describe(s *probity.Score) string {
	if s.Score == nil {
		return string(s.Status)
	}
	return fmt.Sprintf("%s %d", s.Status, *s.Score)
}
