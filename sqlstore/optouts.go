package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/probity-dev/probity"
)

// OptedOut returns since when a subject is out of a domain, or false.
func (tx *Tx) OptedOut(domain string, subject probity.Pseudonym) (time.Time, bool, error) {
	var since int64
	st, err := tx.stmt(queryOptedOut)
	if err != nil {
		return time.Time{}, false, err
	}
	err = st.QueryRowContext(tx.ctx, domain, subject[:]).Scan(&since)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	} else if err != nil {
		return time.Time{}, false, err
	}
	return fromNanos(since), true, nil
}

// SetOptOut records a subject out of a domain since the transaction's time;
// ECONFLICT if they are out already.
func (tx *Tx) SetOptOut(domain string, subject probity.Pseudonym) error {
	res, err := tx.exec(`INSERT INTO opt_outs (domain, pseudonym, since) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, domain, subject[:], tx.now.UnixNano())
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return probity.Errorf(probity.ECONFLICT, "already opted out of %s", domain)
	}
	return nil
}

// ClearOptOut takes a subject back into a domain; ECONFLICT if they are in.
func (tx *Tx) ClearOptOut(domain string, subject probity.Pseudonym) error {
	res, err := tx.exec(`DELETE FROM opt_outs WHERE domain = ? AND pseudonym = ?`, domain, subject[:])
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return probity.Errorf(probity.ECONFLICT, "not opted out of %s", domain)
	}
	return nil
}

// OptOutRows calls fn for every opt-out, in domain and pseudonym order.
func (tx *Tx) OptOutRows(fn func(*probity.OptOut) error) error {
	rows, err := tx.query(`SELECT domain, pseudonym, since FROM opt_outs ORDER BY domain, pseudonym`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		o := &probity.OptOut{}
		var p []byte
		var since int64
		if err := rows.Scan(&o.Domain, &p, &since); err != nil {
			return err
		}
		if len(p) != len(o.Subject) {
			return probity.Errorf(probity.EINVALID, "opt-out %s: pseudonym of %d bytes", o.Domain, len(p))
		}
		copy(o.Subject[:], p)
		o.Since = fromNanos(since)
		if err := fn(o); err != nil {
			return fmt.Errorf("opt-out %s: %w", o.Domain, err)
		}
	}
	return rows.Err()
}

// EraseSubject deletes everything a domain holds about a subject: entries,
// disputes, consents, opt-out and official terms. It returns how many
// entries were deleted.
func (tx *Tx) EraseSubject(domain string, subject probity.Pseudonym) (int, error) {
	var entries int
	for _, table := range []string{"events", "disputes", "consents", "opt_outs", "official_terms"} { // court orders are not the subject's to erase
		res, err := tx.exec(`DELETE FROM `+table+` WHERE domain = ? AND pseudonym = ?`, domain, subject[:])
		if err != nil {
			return 0, fmt.Errorf("erase from %s: %w", table, err)
		}
		if table == "events" {
			n, err := res.RowsAffected()
			if err != nil {
				return 0, err
			}
			entries = int(n)
		}
	}
	// statements stay in the status list, revoked, but no longer name the
	// subject: their index must keep saying "revoked" to verifiers
	if _, err := tx.exec(`UPDATE statements SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END, pseudonym = ?
		WHERE domain = ? AND pseudonym = ?`, tx.now.UnixNano(), make([]byte, len(subject)), domain, subject[:]); err != nil {
		return 0, fmt.Errorf("erase from statements: %w", err)
	}
	return entries, nil
}
