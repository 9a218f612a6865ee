package sqlstore

import (
	"database/sql"
	"errors"

	"github.com/probity-dev/probity"
)

const disputeColumns = `domain, pseudonym, id, event_key, reason, filed_at, due_at, status, resolved_at, reviewer, resolution`

// The per-subject reads every score makes, prepared once per pool.
const (
	subjectDisputesWhere = `WHERE domain = ? AND pseudonym = ? ORDER BY filed_at, id`
	subjectTermsWhere    = `WHERE domain = ? AND pseudonym = ? ORDER BY from_at, id`
	querySubjectDisputes = `SELECT ` + disputeColumns + ` FROM disputes ` + subjectDisputesWhere
	querySubjectTerms    = `SELECT ` + termColumns + ` FROM official_terms ` + subjectTermsWhere
	queryOptedOut        = `SELECT since FROM opt_outs WHERE domain = ? AND pseudonym = ?`
)

func scanDispute(row scanner) (*probity.Dispute, error) {
	d := &probity.Dispute{}
	var p []byte
	var filed, due, resolved int64
	if err := row.Scan(&d.Domain, &p, &d.ID, &d.EventKey, &d.Reason, &filed, &due, &d.Status, &resolved, &d.Reviewer, &d.Resolution); err != nil {
		return nil, err
	}
	copy(d.Subject[:], p)
	d.FiledAt, d.DueAt, d.ResolvedAt = fromNanos(filed), fromNanos(due), zeroOrTime(resolved)
	return d, nil
}

// InsertDispute stores a new dispute; ECONFLICT if its id is taken.
func (tx *Tx) InsertDispute(d *probity.Dispute) error {
	_, err := tx.exec(`INSERT INTO disputes (`+disputeColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.Domain, d.Subject[:], d.ID, d.EventKey, d.Reason, d.FiledAt.UnixNano(), d.DueAt.UnixNano(), d.Status, nanosOrZero(d.ResolvedAt), d.Reviewer, d.Resolution)
	return err
}

// ResolveDispute records an open dispute's outcome; ECONFLICT if it is not open.
func (tx *Tx) ResolveDispute(d *probity.Dispute) error {
	res, err := tx.exec(`UPDATE disputes SET status = ?, resolved_at = ?, reviewer = ?, resolution = ? WHERE domain = ? AND id = ? AND status = 'open'`,
		d.Status, d.ResolvedAt.UnixNano(), d.Reviewer, d.Resolution, d.Domain, d.ID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return probity.Errorf(probity.ECONFLICT, "dispute %s is not open", d.ID)
	}
	return nil
}

// Dispute returns one dispute; ENOTFOUND if there is none.
func (tx *Tx) Dispute(domain, id string) (*probity.Dispute, error) {
	d, err := scanDispute(tx.queryRow(`SELECT `+disputeColumns+` FROM disputes WHERE domain = ? AND id = ?`, domain, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, probity.Errorf(probity.ENOTFOUND, "domain %s has no dispute %s", domain, id)
	}
	return d, err
}

func (tx *Tx) disputes(query string, args ...any) ([]probity.Dispute, error) {
	return queryAll(tx, `SELECT `+disputeColumns+` FROM disputes `+query, args, scanDispute)
}

// OpenDisputes returns a domain's open disputes, oldest first.
func (tx *Tx) OpenDisputes(domain string) ([]probity.Dispute, error) {
	return tx.disputes(`WHERE domain = ? AND status = 'open' ORDER BY filed_at, id`, domain)
}

// DomainDisputes returns every dispute of a domain, oldest first.
func (tx *Tx) DomainDisputes(domain string) ([]probity.Dispute, error) {
	return tx.disputes(`WHERE domain = ? ORDER BY filed_at, id`, domain)
}

// SubjectDisputes returns a subject's disputes in a domain, oldest first.
func (tx *Tx) SubjectDisputes(domain string, subject probity.Pseudonym) ([]probity.Dispute, error) {
	return tx.disputes(subjectDisputesWhere, domain, subject[:])
}

// DisputeRows calls fn for every dispute, in domain and id order.
func (tx *Tx) DisputeRows(fn func(*probity.Dispute) error) error {
	all, err := tx.disputes(`ORDER BY domain, id`)
	return each(all, err, fn)
}

// RetractEvent marks an event retracted at the transaction's time; it no
// longer counts, and stays for the record.
func (tx *Tx) RetractEvent(domain, key string) error {
	res, err := tx.exec(`UPDATE events SET retracted_at = ? WHERE domain = ? AND key = ? AND retracted_at = 0`, tx.now.UnixNano(), domain, key)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return probity.Errorf(probity.ECONFLICT, "event %s of %s is missing or already retracted", key, domain)
	}
	return nil
}

// each calls fn for every item of all (unless err), stopping at fn's first
// error: the row scans that verification walks.
func each[T any](all []T, err error, fn func(*T) error) error {
	if err != nil {
		return err
	}
	for i := range all {
		if err := fn(&all[i]); err != nil {
			return err
		}
	}
	return nil
}

// RetractedEvents returns a subject's retracted entries in a domain, kept
// for the record, oldest first.
func (tx *Tx) RetractedEvents(domain string, subject probity.Pseudonym) ([]probity.RetractedEvent, error) {
	rows, err := tx.query(`SELECT `+eventColumns+`, retracted_at FROM events
		WHERE domain = ? AND pseudonym = ? AND retracted_at != 0 ORDER BY occurred_at, key`, domain, subject[:])
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []probity.RetractedEvent{}
	for rows.Next() {
		var r probity.RetractedEvent
		var at int64
		r.Domain = domain
		if err := scanEvent(rows, &r.Event, &at); err != nil {
			return nil, err
		}
		r.RetractedAt = fromNanos(at)
		out = append(out, r)
	}
	return out, rows.Err()
}
