package sqlstore

import "github.com/probity-dev/probity"

const termColumns = `domain, pseudonym, id, office, from_at, to_at`

// InsertTerm stores an official term.
func (tx *Tx) InsertTerm(t *probity.OfficialTerm) error {
	_, err := tx.exec(`INSERT INTO official_terms (`+termColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
		t.Domain, t.Subject[:], t.ID, t.Office, t.From.UnixNano(), nanosOrZero(t.To))
	return err
}

func (tx *Tx) terms(query string, args ...any) ([]probity.OfficialTerm, error) {
	return queryAll(tx, `SELECT `+termColumns+` FROM official_terms `+query, args, scanTerm)
}

func scanTerm(row scanner) (*probity.OfficialTerm, error) {
	var t probity.OfficialTerm
	var p []byte
	var from, to int64
	if err := row.Scan(&t.Domain, &p, &t.ID, &t.Office, &from, &to); err != nil {
		return nil, err
	}
	copy(t.Subject[:], p)
	t.From, t.To = fromNanos(from), zeroOrTime(to)
	return &t, nil
}

// SubjectTerms returns a subject's official terms in a domain.
func (tx *Tx) SubjectTerms(domain string, subject probity.Pseudonym) ([]probity.OfficialTerm, error) {
	return tx.terms(subjectTermsWhere, domain, subject[:])
}

// DomainTerms returns a domain's official terms, oldest first.
func (tx *Tx) DomainTerms(domain string) ([]probity.OfficialTerm, error) {
	return tx.terms(`WHERE domain = ? ORDER BY from_at, id`, domain)
}

// TermRows calls fn for every official term, in domain and id order.
func (tx *Tx) TermRows(fn func(*probity.OfficialTerm) error) error {
	all, err := tx.terms(`ORDER BY domain, id`)
	return each(all, err, fn)
}
