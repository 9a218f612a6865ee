package bureau

import (
	"github.com/probity-dev/probity"
)

// domainSubjects lists the subjects a domain holds entries about, with
// their kinds, in pseudonym order. The scan ends before any subject is
// read: a backend may not run a query while another's rows are open.
func domainSubjects(tx probity.ReadTx, id string) ([]probity.Pseudonym, []probity.SubjectKind, error) {
	var subjects []probity.Pseudonym
	var kinds []probity.SubjectKind
	err := tx.ScanEvents(id, func(e *probity.Event) error {
		if n := len(subjects); n == 0 || subjects[n-1] != e.Subject {
			subjects, kinds = append(subjects, e.Subject), append(kinds, e.Kind)
		}
		return nil
	})
	return subjects, kinds, err
}

// disputeCounts returns the entries each subject's open disputes suspend,
// and the domain's disputes filed, open, upheld, rejected and expired (an
// open dispute past its SLA counts as expired, as in DisputeFigures).
func disputeCounts(tx probity.ReadTx, id string) (map[probity.Pseudonym]map[string]bool, [5]int, error) {
	var counts [5]int
	suspended := map[probity.Pseudonym]map[string]bool{}
	all, err := tx.DomainDisputes(id)
	if err != nil {
		return nil, counts, err
	}
	for _, d := range all {
		counts[0]++
		switch {
		case d.Status == probity.DisputeOpen && !tx.Now().Before(d.DueAt):
			counts[4]++
		case d.Status == probity.DisputeOpen:
			counts[1]++
			if suspended[d.Subject] == nil {
				suspended[d.Subject] = map[string]bool{}
			}
			suspended[d.Subject][d.EventKey] = true
		case d.Status == probity.DisputeUpheld:
			counts[2]++
		case d.Status == probity.DisputeRejected:
			counts[3]++
		case d.Status == probity.DisputeExpired:
			counts[4]++
		}
	}
	return suspended, counts, nil
}
