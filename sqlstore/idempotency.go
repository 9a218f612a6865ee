package sqlstore

import (
	"database/sql"
	"errors"

	"github.com/probity-dev/probity"
)

// ClaimIdempotencyKey stores r as running unless a request of its scope is
// stored, which it then returns; it deletes the expired ones first.
func (tx *Tx) ClaimIdempotencyKey(r *probity.IdempotentRequest) (*probity.IdempotentRequest, error) {
	if _, err := tx.exec(`DELETE FROM idempotency_keys WHERE created_at < ?`, tx.now.Add(-probity.IdempotencyWindow).UnixNano()); err != nil {
		return nil, err
	}
	res, err := tx.exec(`INSERT INTO idempotency_keys (scope, request, status, body, created_at) VALUES (?, ?, 0, NULL, ?) ON CONFLICT DO NOTHING`,
		r.Scope, r.Request, tx.now.UnixNano())
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, err
	} else if n == 1 {
		return nil, nil
	}
	prev := &probity.IdempotentRequest{Scope: r.Scope}
	var created int64
	err = tx.queryRow(`SELECT request, status, body, created_at FROM idempotency_keys WHERE scope = ?`, r.Scope).Scan(&prev.Request, &prev.Status, &prev.Body, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, probity.Errorf(probity.ECONFLICT, "a request with this Idempotency-Key ended while this one started; send it again")
	} else if err != nil {
		return nil, err
	}
	prev.CreatedAt = fromNanos(created)
	return prev, nil
}

// FinishIdempotencyKey stores the answer of a running request.
func (tx *Tx) FinishIdempotencyKey(scope []byte, status int, body []byte) error {
	_, err := tx.exec(`UPDATE idempotency_keys SET status = ?, body = ? WHERE scope = ?`, status, body, scope)
	return err
}

// ReleaseIdempotencyKey deletes a running request.
func (tx *Tx) ReleaseIdempotencyKey(scope []byte) error {
	_, err := tx.exec(`DELETE FROM idempotency_keys WHERE scope = ? AND status = 0`, scope)
	return err
}
