package probity

import (
	"context"
	"time"
)

// ActionReportRead is the log action of a subject's report being read.
const ActionReportRead = "report.read"

// Report is everything a domain holds about one subject, as the subject is
// shown it (P3, P8): per domain the score with its explanation and every
// inquiry made into the record.
type Report struct {
	Kind    SubjectKind    `json:"kind"`
	AsOf    time.Time      `json:"as_of"`
	Domains []DomainReport `json:"domains"`
	// Log holds the openings of the log's leaves about the subject, in
	// every domain, with inclusion proofs to its signed checkpoint.
	Log *OpeningBundle `json:"log,omitempty"`
	// Page is the page of every long list this report shows, from 1, and
	// Pages how many pages the longest list of any domain takes; both are
	// 0 when the report shows everything.
	Page  int `json:"page,omitempty"`
	Pages int `json:"pages,omitempty"`
}

// ReportOptions chooses the part of a long record a report shows.
type ReportOptions struct {
	// Page is the page to show, from 1 (0 means 1).
	Page int
	// Export pages by each domain's limits.events_per_subject instead of
	// its limits.entries_per_page: the subject's full copy, in one page
	// for any record within the domain's limit.
	Export bool
}

// DomainPage says which part of a domain's long lists a report shows: up
// to PerPage of the entries, retracted entries, inquiries and log openings
// each (page Page of each list), and of the score's explanation
// (Score.Page); Pages is how many pages the longest of them takes.
type DomainPage struct {
	Page    int `json:"page"`
	Pages   int `json:"pages"`
	PerPage int `json:"per_page"`
	// How many items each list holds on all pages together.
	Entries   int `json:"entries"`
	Retracted int `json:"retracted_entries"`
	Inquiries int `json:"inquiries"`
	Openings  int `json:"openings"`
}

// DomainReport is one domain's part of a Report.
type DomainReport struct {
	Domain     string `json:"domain"`
	Name       string `json:"name"`
	Owner      string `json:"owner"`
	LegalBasis string `json:"legal_basis"`
	OptOut     string `json:"opt_out"`
	Score      *Score `json:"score"`
	// Benefits says, for each decision the domain's readers may ask for,
	// what it would be for the subject now (unrated and opted-out subjects
	// are decided as the base score, P6): what the score means.
	Benefits []BenefitOutcome `json:"benefits"`
	// Notices are what concerns the subject ahead in this domain, newest
	// first: what needs doing (a late payment to cure before a date),
	// disputes, court orders, rule changes, entries that stop counting.
	Notices []Notice `json:"notices"`
	// Entries are the facts the domain holds, as reported, fields included.
	Entries   []Event          `json:"entries"`
	Retracted []RetractedEvent `json:"retracted_entries"`
	Disputes  []Dispute        `json:"disputes"`
	Consents  []ConsentGrant   `json:"consents"`
	Orders    []CourtOrder     `json:"court_orders"`
	Terms     []OfficialTerm   `json:"official_terms"`
	Inquiries []Inquiry        `json:"inquiries"`
	// Page says which part of the long lists is shown; nil when all is.
	Page *DomainPage `json:"page,omitempty"`
}

// BenefitOutcome is a benefit of a domain and whether the subject's score
// today would get it.
type BenefitOutcome struct {
	Benefit string `json:"benefit"`
	Allowed bool   `json:"allowed"`
}

// Inquiry is one read of a subject's record: who, why and when.
type Inquiry struct {
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"`
	Purpose string    `json:"purpose"`
	Leaf    uint64    `json:"leaf"`
}

// ReportService shows subjects their records.
type ReportService interface {
	// Report returns the record of the subject of the caller's subject
	// token (or, at the installation's command line, of subject).
	Report(ctx context.Context, subject string) (*Report, error)
	// ReportPage is Report showing one page of each long list: what a
	// subject reads and downloads over the network, where one read must
	// not cost the server the whole of a long record.
	ReportPage(ctx context.Context, subject string, opts ReportOptions) (*Report, error)
	// Notices returns what concerns the subject ahead, newest first.
	Notices(ctx context.Context, subject string) ([]Notice, error)
}

// Notice tells a subject something ahead that concerns them: an adverse
// entry in its grace period (and how to cure it), a dispute's progress, a
// spec version ahead, an entry about to stop counting.
type Notice struct {
	Kind   string    `json:"kind"` // adverse_entry, dispute, spec_change, expiry
	Domain string    `json:"domain"`
	At     time.Time `json:"at"` // when it happens or happened
	Key    string    `json:"key,omitempty"`
	Text   string    `json:"text"`
}

// RetractedEvent is an entry that no longer counts (retracted, corrected or
// upheld in a dispute), kept for the record.
type RetractedEvent struct {
	Event
	RetractedAt time.Time `json:"retracted_at"`
}
