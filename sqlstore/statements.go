package sqlstore

import (
	"database/sql"
	"errors"

	"github.com/probity-dev/probity"
)

// InsertStatement stores a statement's record under the next index of its
// domain's status list. The domain's log is locked by the transaction
// that issues it, so two issuances never take the same index.
func (tx *Tx) InsertStatement(st *probity.StatementRecord) error {
	if err := tx.queryRow(`SELECT COALESCE(MAX(idx) + 1, 0) FROM statements WHERE domain = ?`, st.Domain).Scan(&st.Index); err != nil {
		return err
	}
	_, err := tx.exec(`INSERT INTO statements (domain, id, pseudonym, idx, issued_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, 0)`,
		st.Domain, st.ID, st.Subject[:], st.Index, st.IssuedAt.UnixNano(), st.ExpiresAt.UnixNano())
	return err
}

// Statement returns a statement's record; ENOTFOUND if there is none.
func (tx *Tx) Statement(domain, id string) (*probity.StatementRecord, error) {
	st := &probity.StatementRecord{Domain: domain, ID: id}
	var p []byte
	var issued, expires, revoked int64
	err := tx.queryRow(`SELECT pseudonym, idx, issued_at, expires_at, revoked_at FROM statements WHERE domain = ? AND id = ?`, domain, id).
		Scan(&p, &st.Index, &issued, &expires, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, probity.Errorf(probity.ENOTFOUND, "domain %s has no statement %s", domain, probity.Quote(id))
	} else if err != nil {
		return nil, err
	}
	copy(st.Subject[:], p)
	st.IssuedAt, st.ExpiresAt, st.RevokedAt = fromNanos(issued), fromNanos(expires), zeroOrTime(revoked)
	return st, nil
}

// RevokeStatements revokes the subject's statements in the domain (id's
// alone when id is not "") that are not revoked yet.
func (tx *Tx) RevokeStatements(domain string, subject probity.Pseudonym, id string) (int, error) {
	q, args := `UPDATE statements SET revoked_at = ? WHERE domain = ? AND pseudonym = ? AND revoked_at = 0`, []any{tx.now.UnixNano(), domain, subject[:]}
	if id != "" {
		q, args = q+` AND id = ?`, append(args, id)
	}
	res, err := tx.exec(q, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// RevokedStatements returns the size of a domain's status list and the
// indexes revoked.
func (tx *Tx) RevokedStatements(domain string) (int, []int, error) {
	var size int
	if err := tx.queryRow(`SELECT COALESCE(MAX(idx) + 1, 0) FROM statements WHERE domain = ?`, domain).Scan(&size); err != nil {
		return 0, nil, err
	}
	rows, err := tx.query(`SELECT idx FROM statements WHERE domain = ? AND revoked_at <> 0 ORDER BY idx`, domain)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	revoked := []int{}
	for rows.Next() {
		var i int
		if err := rows.Scan(&i); err != nil {
			return 0, nil, err
		}
		revoked = append(revoked, i)
	}
	return size, revoked, rows.Err()
}
