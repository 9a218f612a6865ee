package probity

import (
	"context"
	"encoding/json"
	"time"
)

// Audit actions: what a leaf records. Every change and every read of
// personal data is one leaf (P8).
const (
	ActionKeyCreated    = "key.created"
	ActionSpecApplied   = "spec.applied"
	ActionEventAccepted = "event.accepted"
	ActionScoreRead     = "score.read"
	ActionDecisionRead  = "decision.read"
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

// Data returns the leaf's canonical bytes, the input of its RFC 6962 leaf
// hash: its JSON encoding, whose field order is fixed.
func (l *AuditLeaf) Data() []byte {
	b, err := json.Marshal(l)
	if err != nil {
		panic(err) // cannot happen: every field marshals
	}
	return b
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

// AuditEntry is a stored leaf with its data and hash.
type AuditEntry struct {
	AuditLeaf
	Data []byte `json:"data"`
	Hash []byte `json:"hash"`
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
