package probity

import (
	"context"
	"time"
)

// MaxClockSkew is how far in the future an event's occurred_at may lie before
// it is rejected: reporters' clocks drift, facts from the future do not exist.
const MaxClockSkew = 5 * time.Minute

// Event is a fact a domain reports about a subject, as stored: the subject is
// a pseudonym and the fields are typed by the spec (float64, int64, bool,
// string, or time.Time for dates).
type Event struct {
	Domain     string         `json:"domain"`
	Key        string         `json:"key"`
	Type       string         `json:"type"`
	Subject    Pseudonym      `json:"subject"`
	Kind       SubjectKind    `json:"kind"`
	OccurredAt time.Time      `json:"occurred_at"`
	RecordedAt time.Time      `json:"recorded_at"`
	Fields     map[string]any `json:"fields"`
	Cures      string         `json:"cures,omitempty"`
	// Slot places the event in the batch leaf that logged it, for a store
	// to keep beside the row; nil for an event logged in a leaf of its own.
	Slot *BatchSlot `json:"-"`
}

// Points is the raw points of one event under one spec version. Points are
// computed once, when the event is accepted or the version applied, and never
// at query time.
type Points struct {
	Version int
	Raw     float64
}

// EventPoints is the raw points of one stored event, named by its subject
// and key, under a version given alongside: what rescoring stores.
type EventPoints struct {
	Subject Pseudonym
	Key     string
	Raw     float64
}

// PointedEvent is a stored event with its raw points under the spec version a
// score is computed with, and under every version it was pointed under.
type PointedEvent struct {
	Event
	Raw    float64
	Points []Points
}

// RawUnder returns the event's raw points under a version, and whether it
// has any.
func (e *PointedEvent) RawUnder(version int) (float64, bool) {
	for _, p := range e.Points {
		if p.Version == version {
			return p.Raw, true
		}
	}
	return 0, false
}

// OfficialTerm is a period in which a subject held public office. Adverse
// entries that occur in office are multiplied by the spec's officials factor.
// A zero To means the term is ongoing.
type OfficialTerm struct {
	ID      string    `json:"id"`
	Domain  string    `json:"domain"`
	Subject Pseudonym `json:"-"`
	Office  string    `json:"office"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to,omitzero"`
}

// ActionTermRecorded is the log action of an official term recorded.
const ActionTermRecorded = "official_term.recorded"

// TermRequest records that a subject held an office in a domain.
type TermRequest struct {
	Domain  string `json:"-"`
	Subject string `json:"subject"`
	Office  string `json:"office"`
	From    string `json:"from"`
	To      string `json:"to,omitempty"`
}

// OfficialService keeps a domain's roster of officials.
type OfficialService interface {
	// RecordTerm records an official term; the domain's admins only.
	RecordTerm(ctx context.Context, req TermRequest) (*OfficialTerm, error)
	// Terms returns a domain's roster, oldest first, without identifiers.
	Terms(ctx context.Context, domain string) ([]OfficialTerm, error)
}

// InOffice reports whether t falls within the term.
func (o OfficialTerm) InOffice(t time.Time) bool {
	return !t.Before(o.From) && (o.To.IsZero() || t.Before(o.To))
}

// EventInput is one event as a reporter submits it, before validation: the
// subject is still a raw identifier and the fields untyped. Line is its
// position in the input (1-based), used in every error about it.
type EventInput struct {
	Line       int
	Key        string
	Type       string
	Subject    string
	OccurredAt string
	Fields     map[string]any
	// FieldsAsText is set when every field value is a string to be parsed
	// by its declared type (CSV).
	FieldsAsText bool
	Cures        string
	// Err is set when the line could not be decoded at all.
	Err error
}

// EventReader yields event inputs one at a time. Next returns io.EOF after the
// last one; a line that cannot be decoded is returned with Err set, so that
// every bad line can be reported.
type EventReader interface {
	Next() (EventInput, error)
}

// IngestOptions controls how a batch is applied.
type IngestOptions struct {
	// SkipInvalid applies the good lines and lists the bad ones. Without it,
	// one bad line means nothing from the input is applied.
	SkipInvalid bool
	// Progress, when set, is called with the number of lines read so far.
	Progress func(lines int)
}

// IngestSummary reports what became of each line of an input.
type IngestSummary struct {
	Accepted   int           `json:"accepted"`
	Duplicates int           `json:"duplicates"`
	Rejected   int           `json:"rejected"`
	Applied    bool          `json:"applied"`
	Errors     []LineError   `json:"errors"`
	Elapsed    time.Duration `json:"-"`
}

// LineError says why one input line was rejected.
type LineError struct {
	Line    int    `json:"line"`
	Key     string `json:"key,omitempty"`
	Message string `json:"message"`
}

// MaxLineErrors bounds how many line errors a summary lists; the count of
// rejected lines is always exact.
const MaxLineErrors = 1000

// EventService accepts events reported by a domain.
type EventService interface {
	// Retract withdraws an entry reported in error: it stops counting and
	// stays for the record; ECONFLICT if it is retracted already.
	Retract(ctx context.Context, domain, key, reason string) error
	// Correct rectifies an entry: a new entry of the same subject that
	// supersedes the old one, retracted in the same transaction.
	Correct(ctx context.Context, domain, oldKey string, correction EventInput, reason string) (*Event, error)
	// Ingest validates every input and applies them in one transaction. It
	// returns an EINVALID error together with the summary when any line is bad
	// and opts.SkipInvalid is false; nothing is applied then.
	Ingest(ctx context.Context, domain string, r EventReader, opts IngestOptions) (*IngestSummary, error)
}
