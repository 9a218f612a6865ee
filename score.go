package probity

import (
	"context"
	"time"
)

// Status is whether a subject is rated in a domain.
type Status string

// Statuses. Unrated and opted-out subjects are treated exactly like the
// domain's neutral base in every decision (P6).
const (
	StatusRated    Status = "rated"
	StatusUnrated  Status = "unrated"
	StatusOptedOut Status = "opted_out"
)

// Score is a subject's score in one domain at one time with its full
// explanation (P3). Score and Grade are nil unless Status is rated.
type Score struct {
	Domain        string       `json:"domain"`
	SpecVersion   int          `json:"spec_version"`
	AsOf          time.Time    `json:"as_of"`
	Status        Status       `json:"status"`
	Score         *int         `json:"score"`
	Grade         *string      `json:"grade"`
	Base          int          `json:"base"`
	EventsCounted int          `json:"events_counted"`
	MinEvents     int          `json:"min_events"`
	Reasons       []Reason     `json:"reasons"`
	Contributions []Entry      `json:"contributions"`
	Pending       []Entry      `json:"pending"`
	Suspended     []Entry      `json:"suspended"`
	Cured         []Entry      `json:"cured"`
	Types         []TypeTotal  `json:"types"`
	Projection    []Projection `json:"projection"`
	// Page says which entries of the explanation this Score shows, when it
	// shows one page of them; nil when it shows them all.
	Page *EntryPage `json:"page,omitempty"`
}

// EntryPage is one page of a long explanation (P3 without unbounded
// reads). The score is always computed over every entry; a page shows up to
// PerPage of them, taking the lists Contributions, Pending, Suspended and
// Cured together in that order, so that every entry is on exactly one page
// of a score at one as_of.
type EntryPage struct {
	// Page is the page shown, from 1; Pages is how many there are (at
	// least 1).
	Page  int `json:"page"`
	Pages int `json:"pages"`
	// PerPage is the domain's limits.entries_per_page.
	PerPage int `json:"per_page"`
	// Entries is how many entries all the pages hold together.
	Entries int `json:"entries"`
}

// Entry explains one event's part in a score.
type Entry struct {
	Key        string    `json:"key"`
	Type       string    `json:"type"`
	Code       string    `json:"code"`
	OccurredAt time.Time `json:"occurred_at"`
	// Raw is the points of the event's rule; Points is Raw after the
	// person and official adjustments and the half weight of a late cure.
	Raw          float64 `json:"raw"`
	Points       float64 `json:"points"`
	Weight       float64 `json:"weight"`
	Contribution float64 `json:"contribution"`
	// CountsFrom is when a pending entry starts to count (end of grace).
	CountsFrom *time.Time `json:"counts_from,omitempty"`
	// CountsUntil is when the entry stops counting (expiry); nil if never set.
	CountsUntil *time.Time `json:"counts_until,omitempty"`
	CuredBy     string     `json:"cured_by,omitempty"`
	CuredAt     *time.Time `json:"cured_at,omitempty"`
	// CureWith lists the event types that cure a pending entry.
	CureWith []string `json:"cure_with,omitempty"`
	Note     string   `json:"note,omitempty"`
}

// Reason is an adverse reason code with the summed impact of its entries.
type Reason struct {
	Code   string  `json:"code"`
	Text   string  `json:"text"`
	Impact float64 `json:"impact"`
}

// TypeTotal is the sum of one event type's contributions before and after its cap.
type TypeTotal struct {
	Type   string  `json:"type"`
	Sum    float64 `json:"sum"`
	Total  float64 `json:"total"`
	Capped bool    `json:"capped"`
}

// Projection is the score at a later time if no new events arrive.
type Projection struct {
	At     time.Time `json:"at"`
	Status Status    `json:"status"`
	Score  *int      `json:"score"`
	Grade  *string   `json:"grade"`
}

// ScoreRequest asks for a subject's score. The subject travels in the body,
// never in a URL. A zero AsOf means now.
type ScoreRequest struct {
	Domain  string    `json:"-"`
	Subject string    `json:"subject"`
	AsOf    time.Time `json:"-"`
	// AsOfText is as_of as the caller wrote it (YYYY-MM-DD or RFC 3339),
	// read by the service when AsOf is zero, after the caller is authorized.
	AsOfText string `json:"as_of,omitempty"`
	Purpose  string `json:"purpose,omitempty"`
	// Page is the page of the explanation to show, from 1 (0 means 1).
	// Pass the first page's as_of with the others to page through one
	// record.
	Page int `json:"page,omitempty"`
}

// DecisionRequest asks whether a subject qualifies for one of a domain's benefits.
type DecisionRequest struct {
	Domain  string `json:"-"`
	Subject string `json:"subject"`
	Benefit string `json:"benefit"`
	Purpose string `json:"purpose,omitempty"`
}

// Decision is the answer to a DecisionRequest. An unrated or opted-out subject
// is evaluated as if its score were the domain's base (P6); AsBase says so.
type Decision struct {
	Domain  string   `json:"domain"`
	Benefit string   `json:"benefit"`
	Allowed bool     `json:"allowed"`
	Status  Status   `json:"status"`
	Score   int      `json:"score"`
	Grade   string   `json:"grade"`
	AsBase  bool     `json:"evaluated_as_base"`
	Reasons []Reason `json:"reasons"`
	// AdverseAction is the notice a refusal comes with; nil when allowed.
	AdverseAction *AdverseAction `json:"adverse_action,omitempty"`
}

// AdverseAction is the notice of a decision that refuses a benefit, as
// the law in most places requires one (FCRA §1681m, §1681g(f)): the score
// used and its range, the date, who decided, the key factors, and the
// subject's rights. Probity's scores never count inquiries, so the number
// of inquiries, which must be given where they are a key factor, is never
// one here.
type AdverseAction struct {
	Benefit string `json:"benefit"`
	// Date is the day of the decision (2026-12-06).
	Date      string `json:"date"`
	DecidedBy string `json:"decided_by"`
	Score     int    `json:"score"`
	Min       int    `json:"score_min"`
	Max       int    `json:"score_max"`
	Grade     string `json:"grade"`
	// AsBase says the subject is unrated or opted out and was decided as
	// the domain's base score (P6).
	AsBase bool `json:"evaluated_as_base"`
	// KeyFactors are at most four, in plain words, the most adverse first.
	KeyFactors []string `json:"key_factors"`
	Rights     string   `json:"rights"`
}

// AdverseRights is what every adverse-action notice tells the subject they
// may do, and how.
const AdverseRights = "You may see your full record, free of charge, in your portal (/portal) or with GET /v1/me/report, " +
	"and dispute any entry you believe is wrong: with the Dispute button beside it, or POST /v1/me/disputes. " +
	"A disputed entry stops counting at once, until a named reviewer decides within the domain's dispute period; " +
	"if no one decides in time, it is resolved for you."

// MaxKeyFactors is how many key factors an adverse-action notice lists.
const MaxKeyFactors = 4

// ScoreService computes scores and decisions.
type ScoreService interface {
	Score(ctx context.Context, req ScoreRequest) (*Score, error)
	Decide(ctx context.Context, req DecisionRequest) (*Decision, error)
}
