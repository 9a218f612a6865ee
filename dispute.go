package probity

import (
	"context"
	"time"
)

// Audit actions of due process.
const (
	ActionDisputeFiled    = "dispute.filed"
	ActionDisputeResolved = "dispute.resolved"
	ActionEventRetracted  = "event.retracted"
	// ActionEntryRead is a reviewer's read of a disputed entry, with the
	// purpose ReviewPurpose: an inquiry the subject sees.
	ActionEntryRead = "entry.read"
)

// ReviewPurpose is the purpose of a reviewer's read of a disputed entry.
const ReviewPurpose = "dispute_review"

// Dispute statuses. An open dispute suspends its entry (the entry does not
// count) until a named reviewer resolves it, or the domain's dispute_sla runs
// out, which resolves it for the subject (P4).
const (
	DisputeOpen     = "open"
	DisputeUpheld   = "upheld"   // the entry is retracted
	DisputeRejected = "rejected" // with a written reason shown to the subject
	DisputeExpired  = "expired"  // not resolved in time: resolved for the subject
)

// Dispute is a subject's challenge of one entry.
type Dispute struct {
	ID         string    `json:"id"`
	Domain     string    `json:"domain"`
	Subject    Pseudonym `json:"-"`
	EventKey   string    `json:"event_key"`
	Reason     string    `json:"reason"`
	FiledAt    time.Time `json:"filed_at"`
	DueAt      time.Time `json:"due_at"`
	Status     string    `json:"status"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	Reviewer   string    `json:"reviewer,omitempty"`
	Resolution string    `json:"resolution,omitempty"`
}

// DisputeRequest files a dispute of one of the subject's entries.
type DisputeRequest struct {
	Domain   string `json:"domain"`
	EventKey string `json:"key"`
	Reason   string `json:"reason"`
	// Subject is given only at the installation's command line; a subject
	// token names its own subject.
	Subject string `json:"-"`
}

// Resolution is a reviewer's decision on a dispute.
type Resolution struct {
	Outcome string `json:"outcome"` // upheld or rejected
	Reason  string `json:"reason"`
}

// DisputedEntry is what a reviewer sees to decide a dispute: the entry as
// it was reported (type, dates, fields), the rule it falls under, who
// reported it, and its history in the log (reported, corrected,
// retracted, disputed, resolved). The subject's identifier is not in it,
// nor their pseudonym: a reviewer decides on the facts.
type DisputedEntry struct {
	Dispute    Dispute        `json:"dispute"`
	Type       string         `json:"type"`
	OccurredAt time.Time      `json:"occurred_at"`
	RecordedAt time.Time      `json:"recorded_at"`
	Fields     map[string]any `json:"fields"`
	Cures      string         `json:"cures,omitempty"`
	// Basis, Code and Reason are the rule's: its lawful basis and the
	// reason code and text a score shows for it.
	Basis  string `json:"basis"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
	// Retracted says the entry no longer counts (retracted or corrected).
	Retracted bool `json:"retracted"`
	// ReportedBy is the principal whose report logged the entry.
	ReportedBy string      `json:"reported_by"`
	History    []EntryStep `json:"history"`
}

// EntryStep is one leaf of an entry's history.
type EntryStep struct {
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	Actor  string    `json:"actor"`
	Leaf   uint64    `json:"leaf"`
}

// DisputeFigures are a domain's public dispute figures: how many were filed,
// upheld, rejected, expired (resolved for the subject by the SLA) and are
// open, and the median time from filing to resolution.
type DisputeFigures struct {
	Domain        string        `json:"domain"`
	Filed         int           `json:"filed"`
	Open          int           `json:"open"`
	Upheld        int           `json:"upheld"`
	Rejected      int           `json:"rejected"`
	Expired       int           `json:"expired"`
	MedianResolve time.Duration `json:"-"`
	// MedianResolveHours is MedianResolve in hours, for JSON.
	MedianResolveHours float64 `json:"median_hours_to_resolve"`
}

// DisputeService runs disputes: subjects file, reviewers resolve.
type DisputeService interface {
	FileDispute(ctx context.Context, req DisputeRequest) (*Dispute, error)
	// Disputes returns a domain's open disputes, oldest first: the
	// reviewers' queue. Disputes past their SLA are resolved for the
	// subject first.
	Disputes(ctx context.Context, domain string) ([]Dispute, error)
	ResolveDispute(ctx context.Context, domain, id string, r Resolution) (*Dispute, error)
	// DisputedEntry shows a reviewer of the domain the entry a dispute is
	// about; the read is logged as an inquiry with the purpose
	// ReviewPurpose, which the subject sees. It must return ENOTFOUND for a
	// dispute the domain does not have, and EFORBIDDEN to any caller
	// without the reviewer role in the domain.
	DisputedEntry(ctx context.Context, domain, id string) (*DisputedEntry, error)
	// DisputeFigures returns a domain's public dispute figures.
	DisputeFigures(ctx context.Context, domain string) (*DisputeFigures, error)
}
