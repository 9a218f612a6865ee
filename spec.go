package probity

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Spec is a domain's public definition: who it rates, on what lawful basis,
// which events it accepts and how each one moves the score. Specs are parsed
// and validated by package spec; a *Spec that exists has passed validation.
type Spec struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Owner       string            `json:"owner"`
	Category    string            `json:"category"`
	LegalBasis  string            `json:"legal_basis"`
	LawfulBasis string            `json:"lawful_basis"`
	Subjects    []SubjectKind     `json:"subjects"`
	Penalties   string            `json:"penalties"`
	OptOut      string            `json:"opt_out"`
	Notice      Duration          `json:"notice"`
	DisputeSLA  Duration          `json:"dispute_sla"`
	Purposes    []string          `json:"purposes"`
	Score       ScoreRange        `json:"score"`
	Grades      []GradeBand       `json:"grades"`
	Officials   *Officials        `json:"officials,omitempty"`
	Events      []EventRule       `json:"events"`
	Benefits    map[string]string `json:"benefits,omitempty"`
	// Limits bound the work one subject can cost the domain; nil means
	// the defaults (DefaultEventsPerSubject, DefaultEntriesPerPage).
	Limits *Limits `json:"limits,omitempty"`
	// Statements say how long a statement of standing may be valid; nil
	// means DefaultStatementValidity.
	Statements *StatementRules `json:"statements,omitempty"`
}

// StatementMaxValidity is the longest validity, in days, a subject may ask
// of a statement of their standing in the domain.
func (s *Spec) StatementMaxValidity() Duration {
	if s.Statements != nil && s.Statements.MaxValidity > 0 {
		return s.Statements.MaxValidity
	}
	return DefaultStatementValidity
}

// Limits bound what one subject costs a domain, so that no reporter (by
// mistake or on purpose) can make one subject's score or report slow for
// every reader: a score is computed over every stored event of the subject,
// and a read shows at most one page of its entries.
type Limits struct {
	// EventsPerSubject is the most events the domain stores about one
	// subject, retracted ones included (they stay on the record). An
	// upload that would take a subject past it is refused.
	EventsPerSubject int `json:"events_per_subject,omitempty"`
	// EntriesPerPage is the most entries of each list a score or report
	// shows in one read; the rest are read page by page.
	EntriesPerPage int `json:"entries_per_page,omitempty"`
}

// Defaults and bounds of Limits. Ten thousand events is decades of monthly
// reports on several accounts; a page of 100 entries is what a person reads.
const (
	DefaultEventsPerSubject = 10_000
	MaxEventsPerSubject     = 100_000
	DefaultEntriesPerPage   = 100
	MaxEntriesPerPage       = 1000
)

// EventsPerSubject returns the domain's limit on events per subject, or
// DefaultEventsPerSubject when the spec sets none.
func (s *Spec) EventsPerSubject() int {
	if s.Limits == nil || s.Limits.EventsPerSubject <= 0 {
		return DefaultEventsPerSubject
	}
	return s.Limits.EventsPerSubject
}

// EntriesPerPage returns how many entries a read shows at once, or
// DefaultEntriesPerPage when the spec sets none.
func (s *Spec) EntriesPerPage() int {
	if s.Limits == nil || s.Limits.EntriesPerPage <= 0 {
		return DefaultEntriesPerPage
	}
	return s.Limits.EntriesPerPage
}

// The closed lists a spec draws from. Anything outside them is rejected.
var (
	Categories   = []string{"finance", "tax", "judicial", "utility", "housing", "commerce", "public_integrity", "education", "transport"}
	Bases        = []string{"repayment", "contract", "tax", "court_judgment", "regulatory", "verified_fraud", "rent", "utility", "public_duty"}
	LawfulBases  = []string{"consent", "contract", "legal_obligation", "public_task"}
	PenaltyModes = []string{PenaltiesAll, PenaltiesOrganizationsOnly}
	OptOutModes  = []string{OptOutAllowed, OptOutNotAllowed}
	FieldTypes   = []string{FieldNumber, FieldInt, FieldBool, FieldString, FieldDate}
)

// Values of Spec.Penalties, Spec.OptOut and EventRule.Fields.
const (
	PenaltiesAll               = "all"
	PenaltiesOrganizationsOnly = "organizations_only"
	OptOutAllowed              = "allowed"
	OptOutNotAllowed           = "not_allowed"

	FieldNumber = "number" // a float64
	FieldInt    = "int"    // an int64
	FieldBool   = "bool"
	FieldString = "string"
	FieldDate   = "date" // a time.Time at midnight UTC
)

// ScoreRange is a domain's neutral base, its bounds and how many counted
// events a subject needs to be rated rather than unrated.
type ScoreRange struct {
	Base      int `json:"base"`
	Min       int `json:"min"`
	Max       int `json:"max"`
	MinEvents int `json:"min_events"`
}

// GradeBand is one grade and the lowest score that reaches it.
type GradeBand struct {
	Grade string `json:"grade"`
	Min   int    `json:"min"`
}

// Officials holds the stricter treatment of officials' adverse entries.
type Officials struct {
	PenaltyFactor float64 `json:"penalty_factor"`
}

// EventRule is how one event type is declared and scored.
type EventRule struct {
	Type     string            `json:"type"`
	Basis    string            `json:"basis"`
	Fields   map[string]string `json:"fields,omitempty"`
	Points   string            `json:"points"`
	HalfLife Duration          `json:"half_life,omitempty"`
	Expires  Duration          `json:"expires,omitempty"`
	Grace    Duration          `json:"grace,omitempty"`
	CuredBy  []string          `json:"cured_by,omitempty"`
	Cap      float64           `json:"cap,omitempty"`
	Code     string            `json:"code"`
	Reason   string            `json:"reason"`
}

// Rule returns the rule of an event type, or nil if the spec declares none.
func (s *Spec) Rule(typ string) *EventRule {
	for i := range s.Events {
		if s.Events[i].Type == typ {
			return &s.Events[i]
		}
	}
	return nil
}

// Rates reports whether the domain may rate subjects of kind k.
func (s *Spec) Rates(k SubjectKind) bool { return slices.Contains(s.Subjects, k) }

// HasPurpose reports whether p is one of the domain's declared purposes.
func (s *Spec) HasPurpose(p string) bool { return slices.Contains(s.Purposes, p) }

// GradeFor returns the first grade band whose min the score reaches, or "" if
// the score is below every band.
func (s *Spec) GradeFor(score int) string {
	for _, g := range s.Grades {
		if score >= g.Min {
			return g.Grade
		}
	}
	return ""
}

// Duration is a whole number of days, written `Nd` or `Ny` (365 days) in specs.
// The zero Duration means "not set".
type Duration int

// MaxDuration is the longest duration a spec may hold (100y): a time of
// the installation plus it stays within LastYear (CheckTime) until 2100, so
// an effective date, a grace end or an expiry computed from it can be stored.
const MaxDuration Duration = 36500

// ParseDuration parses `Nd` or `Ny` with N a whole number from 0 to
// MaxDuration days.
func ParseDuration(s string) (Duration, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("%q is not a duration: write Nd (days) or Ny (365-day years), e.g. 30d or 7y", s)
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n < 0 || strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("%q is not a duration: write Nd (days) or Ny (365-day years), e.g. 30d or 7y", s)
	}
	switch s[len(s)-1] {
	case 'd':
	case 'y':
		n = min(n, int(MaxDuration)+1) * 365 // no overflow: 50539024328600000y is not -193770551616d
	default:
		return 0, fmt.Errorf("%q is not a duration: write Nd (days) or Ny (365-day years), e.g. 30d or 7y", s)
	}
	if n > int(MaxDuration) {
		return 0, fmt.Errorf("%q is too long: at most 100y (36500d)", s)
	}
	return Duration(n), nil
}

// Days returns the duration in days.
func (d Duration) Days() float64 { return float64(d) }

// Std returns the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) * 24 * time.Hour }

// String writes the duration as `Ny` when it is whole years and `Nd` otherwise.
func (d Duration) String() string {
	if d != 0 && d%365 == 0 {
		return strconv.Itoa(int(d/365)) + "y"
	}
	return strconv.Itoa(int(d)) + "d"
}

// MarshalJSON writes the duration as a string such as "30d".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a duration string such as "30d".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := ParseDuration(s)
	*d = v
	return err
}

// SpecVersion is one applied version of a domain's spec. Versions are numbered
// from 1 and never change once applied; a version governs scores from
// EffectiveAt until the next version's EffectiveAt.
type SpecVersion struct {
	Domain      string    `json:"domain"`
	Version     int       `json:"version"`
	Digest      string    `json:"digest"` // hex SHA-256 of the canonical JSON of Spec
	AppliedAt   time.Time `json:"applied_at"`
	EffectiveAt time.Time `json:"effective_at"`
	Spec        *Spec     `json:"spec"`
}

// VersionAt returns the version in effect at t among versions sorted by
// version number, or nil if none was in effect yet.
func VersionAt(versions []SpecVersion, t time.Time) *SpecVersion {
	var in *SpecVersion
	for i := range versions {
		if !versions[i].EffectiveAt.After(t) {
			in = &versions[i]
		}
	}
	return in
}
