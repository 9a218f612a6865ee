package sqlstore

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/probity-dev/probity"
)

// ScanEventFields calls fn for every event of a domain in the table's order
// (subject, key) with only Domain, Subject, Key, Type and Fields set: a
// rescoring reads every event and needs nothing else. The event passed to fn
// is reused for the next row, with a fresh Fields map each time: fn must
// copy what it keeps of it but may keep Fields.
func (tx *Tx) ScanEventFields(domain string, fn func(*probity.Event) error) error {
	rows, err := tx.query(`SELECT pseudonym, key, type, fields FROM events WHERE domain = ? ORDER BY pseudonym, key`, domain)
	if err != nil {
		return err
	}
	defer rows.Close()
	// A domain has few event types: one string each, not one per row.
	types := map[string]string{}
	var pseudonym, typ, fields sql.RawBytes
	e := &probity.Event{Domain: domain}
	for rows.Next() {
		if err := rows.Scan(&pseudonym, &e.Key, &typ, &fields); err != nil {
			return err
		}
		if len(pseudonym) != len(e.Subject) {
			return fmt.Errorf("event %s/%s: pseudonym of %d bytes", domain, e.Key, len(pseudonym))
		}
		copy(e.Subject[:], pseudonym)
		t, ok := types[string(typ)]
		if !ok {
			t = string(typ)
			types[t] = t
		}
		e.Type = t
		// decoded as ScanEvents decodes them, numbers as json.Number, so
		// that points come out exactly the same
		e.Fields = nil
		dec := json.NewDecoder(bytes.NewReader(fields))
		dec.UseNumber()
		if err := dec.Decode(&e.Fields); err != nil {
			return fmt.Errorf("event %s/%s: fields: %w", domain, e.Key, err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}
