package sqlstore

import (
	"database/sql"
	"errors"

	"github.com/probity-dev/probity"
)

// InsertSession stores a new session, and deletes the sessions that
// expired before the transaction's time.
func (tx *Tx) InsertSession(s *probity.Session) error {
	if _, err := tx.exec(`DELETE FROM sessions WHERE expires_at < ?`, tx.now.UnixNano()); err != nil {
		return err
	}
	_, err := tx.exec(`INSERT INTO sessions (id_hash, sealed, created_at, expires_at, ended_at) VALUES (?, ?, ?, ?, 0)`,
		s.IDHash, s.Sealed, s.CreatedAt.UnixNano(), s.ExpiresAt.UnixNano())
	return err
}

// Session returns the session whose id hashes to idHash; ENOTFOUND if
// there is none.
func (tx *Tx) Session(idHash []byte) (*probity.Session, error) {
	s := &probity.Session{IDHash: idHash}
	var created, expires, ended int64
	err := tx.queryRow(`SELECT sealed, created_at, expires_at, ended_at FROM sessions WHERE id_hash = ?`, idHash).Scan(&s.Sealed, &created, &expires, &ended)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, probity.Errorf(probity.ENOTFOUND, "no such session")
	} else if err != nil {
		return nil, err
	}
	s.CreatedAt, s.ExpiresAt, s.EndedAt = fromNanos(created), fromNanos(expires), zeroOrTime(ended)
	return s, nil
}

// EndSession ends a session at the transaction's time; ENOTFOUND if there
// is none. Ending an ended session does nothing.
func (tx *Tx) EndSession(idHash []byte) error {
	res, err := tx.exec(`UPDATE sessions SET ended_at = ? WHERE id_hash = ? AND ended_at = 0`, tx.now.UnixNano(), idHash)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		_, err := tx.Session(idHash)
		return err
	}
	return nil
}
