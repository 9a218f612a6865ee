package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/probity-dev/probity"
)

// SpecRows calls fn for every stored spec version, parsed afresh.
func (tx *Tx) SpecRows(fn func(*probity.SpecRow) error) error {
	rows, err := tx.query(`SELECT domain, version, digest, applied_at, effective_at, spec FROM spec_versions ORDER BY domain, version`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r := &probity.SpecRow{}
		v := &r.SpecVersion
		var applied, effective int64
		if err := rows.Scan(&v.Domain, &v.Version, &v.Digest, &applied, &effective, &r.SpecJSON); err != nil {
			return err
		}
		v.AppliedAt, v.EffectiveAt = fromNanos(applied), fromNanos(effective)
		v.Spec = new(probity.Spec)
		if err := json.Unmarshal(r.SpecJSON, v.Spec); err != nil {
			r.Invalid = fmt.Sprintf("stored spec is not a spec: %v", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// EventRows calls fn for every stored event with all its points. The
// fields are left to the caller, in FieldsJSON: the verifier decodes them
// and checks their canonical form in one pass, cheaper than a
// json.Decoder here and json.Marshal there.
func (tx *Tx) EventRows(fn func(*probity.EventRow) error) error {
	rows, err := tx.query(`SELECT domain, ` + eventColumns + `, points, retracted_at, salt, batch, slot FROM events ORDER BY domain, pseudonym, key`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r := &probity.EventRow{}
		e := &r.Event
		var pseudonym, points []byte
		var occurred, recorded, retracted int64
		var kind string
		var salt []byte
		var batch, slot sql.NullInt64
		if err := rows.Scan(&e.Domain, &pseudonym, &e.Key, &e.Type, &kind, &occurred, &recorded, &r.FieldsJSON, &e.Cures, &points, &retracted, &salt, &batch, &slot); err != nil {
			return err
		}
		if batch.Valid || slot.Valid || salt != nil {
			e.Slot = &probity.BatchSlot{Batch: batch.Int64, Position: int(slot.Int64), Salt: salt}
			if !batch.Valid || !slot.Valid || salt == nil {
				r.Invalid = "its place in a batch leaf (salt, batch and slot) is partly missing"
			}
		}
		r.RetractedAt = zeroOrTime(retracted)
		e.Kind, e.OccurredAt, e.RecordedAt = probity.SubjectKind(kind), fromNanos(occurred), fromNanos(recorded)
		if len(pseudonym) != len(e.Subject) {
			r.Invalid = fmt.Sprintf("pseudonym of %d bytes, want %d", len(pseudonym), len(e.Subject))
		}
		copy(e.Subject[:], pseudonym)
		if r.Points, err = decodePoints(points); err != nil {
			r.Invalid = err.Error()
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}
