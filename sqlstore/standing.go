package sqlstore

import (
	"database/sql"
	"time"

	"github.com/probity-dev/probity"
)

// querySubjectStanding asks in one statement what OptedOut, SubjectDisputes
// and SubjectTerms would each have asked: most subjects have no opt-out, no
// dispute and no official term, and a score then needs no more statements
// than this one and its events'.
const querySubjectStanding = `SELECT
	(SELECT since FROM opt_outs WHERE domain = ? AND pseudonym = ?),
	EXISTS (SELECT 1 FROM disputes WHERE domain = ? AND pseudonym = ?),
	EXISTS (SELECT 1 FROM official_terms WHERE domain = ? AND pseudonym = ?)`

// SubjectStanding returns what OptedOut returns for the subject, and
// whether SubjectDisputes and SubjectTerms would return anything: one
// statement where a score read made three.
func (tx *Tx) SubjectStanding(domain string, subject probity.Pseudonym) (since time.Time, out, disputes, terms bool, err error) {
	s, err := tx.stmt(querySubjectStanding)
	if err != nil {
		return time.Time{}, false, false, false, err
	}
	var optOut sql.NullInt64
	p := subject[:]
	if err := s.QueryRowContext(tx.ctx, domain, p, domain, p, domain, p).Scan(&optOut, &disputes, &terms); err != nil {
		return time.Time{}, false, false, false, err
	}
	if optOut.Valid {
		since, out = fromNanos(optOut.Int64), true
	}
	return since, out, disputes, terms, nil
}
