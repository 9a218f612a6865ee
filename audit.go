package probity

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Audit actions: what a leaf records. Every change and every read of
// personal data is one leaf (P8).
const (
	ActionKeyCreated       = "key.created"
	ActionSpecApplied      = "spec.applied"
	ActionEventAccepted    = "event.accepted"
	ActionScoreRead        = "score.read"
	ActionDecisionRead     = "decision.read"
	ActionPrincipalCreated = "principal.created"
	ActionPrincipalRevoked = "principal.revoked"
	ActionAccessDenied     = "access.denied"
	// ActionSubjectErased erases a subject's data from a domain whose basis
	// is consent; the digests in the log stay.
	ActionSubjectErased = "subject.erased"
)

// AuditLeaf is one entry of the tamper-evident log. It carries no raw
// identifier, so leaves can be published. Digest binds the full content of
// what changed (or, for a read, of what was disclosed), so that a row edited
// or deleted behind Probity's back no longer matches its leaf.
type AuditLeaf struct {
	Index   uint64     `json:"index"`
	At      time.Time  `json:"at"`
	Actor   string     `json:"actor"`
	Action  string     `json:"action"`
	Domain  string     `json:"domain,omitempty"`
	Subject *Pseudonym `json:"subject,omitempty"`
	Purpose string     `json:"purpose,omitempty"`
	// Ref names the row that changed: an event key, a spec version number.
	Ref    string `json:"ref,omitempty"`
	Digest string `json:"digest,omitempty"`
}

// leafVersion starts every leaf's data, naming its format.
const leafVersion = "probity-leaf/1"

// Data returns the leaf's canonical bytes, the input of its RFC 6962 leaf
// hash: the format name and the fields in their declared order, separated
// by tabs, each with '%', tab and newline percent-escaped. It is cheap to
// parse (verification reads millions) and easy to recompute by hand.
func (l *AuditLeaf) Data() []byte {
	subject := ""
	if l.Subject != nil {
		subject = l.Subject.String()
	}
	fields := []string{leafVersion, strconv.FormatUint(l.Index, 10), l.At.UTC().Format(time.RFC3339Nano),
		l.Actor, l.Action, l.Domain, subject, l.Purpose, l.Ref, l.Digest}
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('\t')
		}
		b.WriteString(leafEscaper.Replace(f))
	}
	return []byte(b.String())
}

var (
	leafEscaper   = strings.NewReplacer("%", "%25", "\t", "%09", "\n", "%0A")
	leafUnescaper = strings.NewReplacer("%25", "%", "%09", "\t", "%0A", "\n")
)

// ParseLeaf reads a leaf from its data. It is the inverse of Data: a leaf
// whose data does not parse, or does not re-encode to the same bytes, is not
// a leaf Probity wrote.
func ParseLeaf(data []byte) (*AuditLeaf, error) {
	fields := strings.Split(string(data), "\t")
	if len(fields) != 10 || fields[0] != leafVersion {
		return nil, fmt.Errorf("not a %s leaf (%d fields)", leafVersion, len(fields))
	}
	for i, f := range fields {
		if strings.IndexByte(f, '%') >= 0 {
			fields[i] = leafUnescaper.Replace(f)
		}
	}
	l := &AuditLeaf{Actor: fields[3], Action: fields[4], Domain: fields[5], Purpose: fields[7], Ref: fields[8], Digest: fields[9]}
	var err error
	if l.Index, err = strconv.ParseUint(fields[1], 10, 64); err != nil {
		return nil, fmt.Errorf("index %q: %v", fields[1], err)
	}
	if l.At, err = time.Parse(time.RFC3339Nano, fields[2]); err != nil {
		return nil, fmt.Errorf("time %q: %v", fields[2], err)
	}
	if fields[6] != "" {
		var p Pseudonym
		if err := p.UnmarshalText([]byte(fields[6])); err != nil {
			return nil, fmt.Errorf("subject: %v", err)
		}
		l.Subject = &p
	}
	return l, nil
}

// Checkpoint is a signed statement of the log's size and root hash, in the
// C2SP signed-note format. Every transaction that appends leaves writes one,
// so a leaf beyond the latest checkpoint was not written by Probity.
type Checkpoint struct {
	Size uint64    `json:"size"`
	Root []byte    `json:"root"`
	At   time.Time `json:"at"`
	// Note is the signed note: origin, size, base64 root, the previous
	// checkpoint's size, a blank line and the signature.
	Note string `json:"note"`
	// Range is the compact range of the tree at Size, from which the next
	// checkpoint is computed without reading every leaf.
	Range [][]byte `json:"-"`
}

// AuditEntry is a stored leaf with its data (the exact bytes hashed, see
// AuditLeaf.Data) and its RFC 6962 leaf hash.
type AuditEntry struct {
	AuditLeaf
	Data string `json:"data"`
	Hash []byte `json:"hash"`
	// Invalid says why a stored row is not a valid leaf (its data does not
	// parse, or its columns contradict it); empty for a valid one.
	Invalid string `json:"invalid,omitempty"`
}

// Proof is an RFC 6962 inclusion or consistency proof.
type Proof struct {
	Index  uint64   `json:"index,omitempty"`
	From   uint64   `json:"from,omitempty"`
	Size   uint64   `json:"size"`
	Hashes [][]byte `json:"hashes"`
}

// AuditService publishes the log: leaves carry no raw identifier, so anyone
// may read them and check the proofs.
type AuditService interface {
	// Checkpoint returns the latest signed checkpoint.
	Checkpoint(ctx context.Context) (*Checkpoint, error)
	// Entries returns the leaves with index in [start, end), at most
	// MaxAuditEntries of them.
	Entries(ctx context.Context, start, end uint64) ([]AuditEntry, error)
	// InclusionProof proves that the leaf at index is in the tree of size.
	InclusionProof(ctx context.Context, index, size uint64) (*Proof, error)
	// ConsistencyProof proves that the tree of size from is a prefix of the
	// tree of size to.
	ConsistencyProof(ctx context.Context, from, to uint64) (*Proof, error)
	// PublicKey returns the note verifier key of the checkpoints.
	PublicKey() string
}

// MaxAuditEntries bounds one page of leaves.
const MaxAuditEntries = 1000

// EventRow is an event row as stored, for verification: the event as read,
// its fields column byte for byte, and why the row cannot be read, if so.
type EventRow struct {
	PointedEvent
	FieldsJSON  []byte
	RetractedAt time.Time // zero unless the entry was retracted
	Invalid     string
}

// SpecRow is a spec version row as stored, for verification.
type SpecRow struct {
	SpecVersion
	SpecJSON []byte
	Invalid  string
}
