package sqlstore

import (
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/probity-dev/probity"
)

const principalColumns = `id, name, government, grants, subject_token, subject, secret_hash, created_at, created_by, expires_at, revoked_at, issuer, external_subject`

// InsertPrincipal stores a new principal; ECONFLICT if its id is taken.
func (tx *Tx) InsertPrincipal(p *probity.Principal) error {
	grants, err := json.Marshal(p.Grants)
	if err != nil {
		return err
	}
	var subject []byte
	if p.Subject != nil {
		subject = p.Subject[:]
	}
	res, err := tx.exec(`INSERT INTO principals (`+principalColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		p.ID, p.Name, p.Government, grants, p.SubjectToken, subject, p.SecretHash, p.CreatedAt.UnixNano(), p.CreatedBy, nanosOrZero(p.ExpiresAt), nanosOrZero(p.RevokedAt), p.Issuer, p.ExternalSubject)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		if p.Issuer != "" {
			return probity.Errorf(probity.ECONFLICT, "a principal is already bound to subject %s of issuer %s; revoke it first", probity.Quote(p.ExternalSubject), p.Issuer)
		}
		return probity.Errorf(probity.ECONFLICT, "a principal with id %s exists", p.ID)
	}
	return nil
}

// RevokePrincipal marks a principal revoked at the transaction's time.
func (tx *Tx) RevokePrincipal(id string) error {
	res, err := tx.exec(`UPDATE principals SET revoked_at = ? WHERE id = ? AND revoked_at = 0`, tx.now.UnixNano(), id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		if _, err := tx.Principal(id); err != nil {
			return err
		}
		return probity.Errorf(probity.ECONFLICT, "principal %s is already revoked", id)
	}
	return nil
}

// Principal returns one principal; ENOTFOUND if there is none.
func (tx *Tx) Principal(id string) (*probity.Principal, error) {
	p, err := scanPrincipal(tx.queryRow(`SELECT `+principalColumns+` FROM principals WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, probity.Errorf(probity.ENOTFOUND, "no principal %s", id)
	}
	return p, err
}

// PrincipalByExternal returns the principal bound to an identity
// provider's subject: the active one, or else the one last revoked;
// ENOTFOUND if none was ever bound to it.
func (tx *Tx) PrincipalByExternal(issuer, subject string) (*probity.Principal, error) {
	p, err := scanPrincipal(tx.queryRow(`SELECT `+principalColumns+` FROM principals WHERE issuer = ? AND external_subject = ? AND issuer <> ''
		ORDER BY CASE WHEN revoked_at = 0 THEN 0 ELSE 1 END, revoked_at DESC LIMIT 1`, issuer, subject))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, probity.Errorf(probity.ENOTFOUND, "no principal is bound to subject %s of issuer %s", probity.Quote(subject), issuer)
	}
	return p, err
}

// Principals returns every principal, oldest first.
func (tx *Tx) Principals() ([]probity.Principal, error) {
	rows, err := tx.query(`SELECT ` + principalColumns + ` FROM principals ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []probity.Principal{}
	for rows.Next() {
		p, err := scanPrincipal(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}

func scanPrincipal(row scanner) (*probity.Principal, error) {
	p := &probity.Principal{}
	var grants, subject []byte
	var created, expires, revoked int64
	if err := row.Scan(&p.ID, &p.Name, &p.Government, &grants, &p.SubjectToken, &subject, &p.SecretHash, &created, &p.CreatedBy, &expires, &revoked, &p.Issuer, &p.ExternalSubject); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(grants, &p.Grants); err != nil {
		return nil, err
	}
	if len(subject) == len(probity.Pseudonym{}) {
		p.Subject = new(probity.Pseudonym)
		copy(p.Subject[:], subject)
	}
	p.CreatedAt, p.ExpiresAt, p.RevokedAt = fromNanos(created), zeroOrTime(expires), zeroOrTime(revoked)
	return p, nil
}

func nanosOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func zeroOrTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return fromNanos(n)
}
