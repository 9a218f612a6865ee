package sqlstore

import (
	"encoding/json"

	"github.com/probity-dev/probity"
)

const orderColumns = `domain, pseudonym, id, citation, restrictions, issued_at, effective_at, ends_at, fulfilled_at, issued_by`

// InsertOrder stores a court order.
func (tx *Tx) InsertOrder(o *probity.CourtOrder) error {
	rs, err := json.Marshal(o.Restrictions)
	if err != nil {
		return err
	}
	_, err = tx.exec(`INSERT INTO court_orders (`+orderColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.Domain, o.Subject[:], o.ID, o.Citation, rs, o.IssuedAt.UnixNano(), o.EffectiveAt.UnixNano(), o.EndsAt.UnixNano(), nanosOrZero(o.FulfilledAt), o.IssuedBy)
	return err
}

// FulfillOrder marks an order fulfilled at the transaction's time;
// ECONFLICT if it is fulfilled already.
func (tx *Tx) FulfillOrder(domain, id string) error {
	res, err := tx.exec(`UPDATE court_orders SET fulfilled_at = ? WHERE domain = ? AND id = ? AND fulfilled_at = 0`, tx.now.UnixNano(), domain, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return probity.Errorf(probity.ECONFLICT, "order %s is missing or fulfilled already", id)
	}
	return nil
}

func (tx *Tx) orders(query string, args ...any) ([]probity.CourtOrder, error) {
	return queryAll(tx, `SELECT `+orderColumns+` FROM court_orders `+query, args, scanOrder)
}

func scanOrder(row scanner) (*probity.CourtOrder, error) {
	var o probity.CourtOrder
	var p, rs []byte
	var issued, effective, ends, fulfilled int64
	if err := row.Scan(&o.Domain, &p, &o.ID, &o.Citation, &rs, &issued, &effective, &ends, &fulfilled, &o.IssuedBy); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(rs, &o.Restrictions); err != nil {
		return nil, probity.Errorf(probity.EINVALID, "order %s/%s: restrictions are not a list: %v", o.Domain, o.ID, err)
	}
	copy(o.Subject[:], p)
	o.IssuedAt, o.EffectiveAt, o.EndsAt, o.FulfilledAt = fromNanos(issued), fromNanos(effective), fromNanos(ends), zeroOrTime(fulfilled)
	return &o, nil
}

// Order returns one court order; ENOTFOUND if there is none.
func (tx *Tx) Order(domain, id string) (*probity.CourtOrder, error) {
	os, err := tx.orders(`WHERE domain = ? AND id = ?`, domain, id)
	if err != nil {
		return nil, err
	}
	if len(os) == 0 {
		return nil, probity.Errorf(probity.ENOTFOUND, "domain %s has no order %s", domain, id)
	}
	return &os[0], nil
}

// SubjectOrders returns the orders against a subject in a domain.
func (tx *Tx) SubjectOrders(domain string, subject probity.Pseudonym) ([]probity.CourtOrder, error) {
	return tx.orders(`WHERE domain = ? AND pseudonym = ? ORDER BY issued_at, id`, domain, subject[:])
}

// OrderRows calls fn for every court order, in domain and id order.
func (tx *Tx) OrderRows(fn func(*probity.CourtOrder) error) error {
	all, err := tx.orders(`ORDER BY domain, id`)
	return each(all, err, fn)
}
