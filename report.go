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
}

// DomainReport is one domain's part of a Report.
type DomainReport struct {
	Domain     string `json:"domain"`
	Name       string `json:"name"`
	Owner      string `json:"owner"`
	LegalBasis string `json:"legal_basis"`
	OptOut     string `json:"opt_out"`
	Score      *Score `json:"score"`
	// Entries are the facts the domain holds, as reported, fields included.
	Entries   []Event          `json:"entries"`
	Retracted []RetractedEvent `json:"retracted_entries"`
	Disputes  []Dispute        `json:"disputes"`
	Consents  []ConsentGrant   `json:"consents"`
	Orders    []CourtOrder     `json:"court_orders"`
	Terms     []OfficialTerm   `json:"official_terms"`
	Inquiries []Inquiry        `json:"inquiries"`
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
