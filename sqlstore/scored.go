package sqlstore

import (
	"time"

	"github.com/probity-dev/probity"
)

// queryScoredEvents is querySubjectEvents without the fields column.
const queryScoredEvents = `SELECT pseudonym, key, type, kind, occurred_at, recorded_at, cures, points FROM events
	WHERE domain = ? AND pseudonym = ? AND recorded_at <= ? AND retracted_at = 0 ORDER BY occurred_at, key`

// ScoredEvents is SubjectEvents without the events' fields (Fields is
// nil): what a score needs, since it shows no field, without reading and
// decoding every event's fields JSON.
func (tx *Tx) ScoredEvents(domain string, subject probity.Pseudonym, version int, recordedBy time.Time) ([]probity.PointedEvent, error) {
	return tx.subjectEvents(queryScoredEvents, domain, subject, version, recordedBy)
}

// scanScoredEvent scans a row of queryScoredEvents: scanEvent's columns
// but the fields.
func scanScoredEvent(row scanner, e *probity.Event, points *[]byte) error {
	var pseudonym []byte
	var occurred, recorded int64
	var kind string
	if err := row.Scan(&pseudonym, &e.Key, &e.Type, &kind, &occurred, &recorded, &e.Cures, points); err != nil {
		return err
	}
	return setEventColumns(e, pseudonym, kind, occurred, recorded)
}
