package sqlstore

import (
	"github.com/probity-dev/probity"
)

const consentColumns = `domain, pseudonym, id, grantee, purpose, until, created_at, revoked_at`

// InsertConsent stores a consent grant.
func (tx *Tx) InsertConsent(g *probity.ConsentGrant) error {
	_, err := tx.exec(`INSERT INTO consents (`+consentColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		g.Domain, g.Subject[:], g.ID, g.Grantee, g.Purpose, g.Until.UnixNano(), g.CreatedAt.UnixNano(), nanosOrZero(g.RevokedAt))
	return err
}

// RevokeConsent marks a grant revoked at the transaction's time; ECONFLICT
// if it is revoked already.
func (tx *Tx) RevokeConsent(domain, id string) error {
	res, err := tx.exec(`UPDATE consents SET revoked_at = ? WHERE domain = ? AND id = ? AND revoked_at = 0`, tx.now.UnixNano(), domain, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return probity.Errorf(probity.ECONFLICT, "consent %s is already revoked", id)
	}
	return nil
}

func (tx *Tx) consents(query string, args ...any) ([]probity.ConsentGrant, error) {
	return queryAll(tx, `SELECT `+consentColumns+` FROM consents `+query, args, scanConsent)
}

func scanConsent(row scanner) (*probity.ConsentGrant, error) {
	var g probity.ConsentGrant
	var p []byte
	var until, created, revoked int64
	if err := row.Scan(&g.Domain, &p, &g.ID, &g.Grantee, &g.Purpose, &until, &created, &revoked); err != nil {
		return nil, err
	}
	copy(g.Subject[:], p)
	g.Until, g.CreatedAt, g.RevokedAt = fromNanos(until), fromNanos(created), zeroOrTime(revoked)
	return &g, nil
}

// Consent returns one grant; ENOTFOUND if there is none.
func (tx *Tx) Consent(domain, id string) (*probity.ConsentGrant, error) {
	gs, err := tx.consents(`WHERE domain = ? AND id = ?`, domain, id)
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 {
		return nil, probity.Errorf(probity.ENOTFOUND, "domain %s has no consent %s", domain, id)
	}
	return &gs[0], nil
}

// SubjectConsents returns a subject's grants in a domain, oldest first.
func (tx *Tx) SubjectConsents(domain string, subject probity.Pseudonym) ([]probity.ConsentGrant, error) {
	return tx.consents(`WHERE domain = ? AND pseudonym = ? ORDER BY created_at, id`, domain, subject[:])
}

// ConsentRows calls fn for every grant, in domain and id order.
func (tx *Tx) ConsentRows(fn func(*probity.ConsentGrant) error) error {
	all, err := tx.consents(`ORDER BY domain, id`)
	return each(all, err, fn)
}
