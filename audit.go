package probity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	// is consent. The openings of the leaves about the subject are shredded
	// with it; their commitments stay, covered by this leaf.
	ActionSubjectErased = "subject.erased"
	// ActionOpeningsRead records a read of leaves' openings by an auditor
	// or a domain's admin.
	ActionOpeningsRead = "openings.read"
)

// ActionLogCheckpoint records, in the installation log, a domain log's
// checkpoint: following the installation log commits to every domain log.
const ActionLogCheckpoint = "log.checkpoint"

// InstallationLog names the log of installation events: keys, principals,
// refusals, and the domain logs' checkpoints. A domain id cannot take it
// (ids start with [a-z0-9]).
const InstallationLog = "_installation"

// LogOf names the log a leaf goes to: a domain's writes and reads go to the
// domain's own log; keys, principals, refusals and checkpoints of logs to
// the installation log.
func LogOf(l *AuditLeaf) string {
	switch l.Action {
	case ActionKeyCreated, ActionPrincipalCreated, ActionPrincipalRevoked, ActionAccessDenied, ActionLogCheckpoint:
		return InstallationLog
	}
	if l.Domain == "" {
		return InstallationLog
	}
	return l.Domain
}

// Formats of the audit log v2 (DESIGN.md, "The audit log (v2)").
const (
	// LeafFormat starts every public leaf: what the tree hashes.
	LeafFormat = "probity-leaf/2"
	// RecordFormat starts every private record.
	RecordFormat = "probity-record/2"
	// CommitmentTag separates commitments from every other use of SHA-256.
	CommitmentTag = "probity-commitment/2\x00"
	// SaltSize is the length of a commitment's random salt.
	SaltSize = 32
)

// AuditLeaf is one entry of the tamper-evident log: its public part (log,
// index, time, action) and its private record (actor, domain, subject,
// purpose, reference, digest). Only a commitment to the record is public,
// so leaves can be published without betraying anyone (P8). Digest binds
// the full content of what changed (or, for a read, of what was
// disclosed), so that a row edited or deleted behind Probity's back no
// longer matches its leaf.
type AuditLeaf struct {
	Index  uint64    `json:"index"`
	Log    string    `json:"log,omitempty"`
	At     time.Time `json:"at"`
	Action string    `json:"action"`

	Actor   string     `json:"actor"`
	Domain  string     `json:"domain,omitempty"`
	Subject *Pseudonym `json:"subject,omitempty"`
	Purpose string     `json:"purpose,omitempty"`
	// Ref names the row that changed: an event key, a spec version number.
	Ref    string `json:"ref,omitempty"`
	Digest string `json:"digest,omitempty"`
}

// Record returns the leaf's canonical private record: RecordFormat and the
// fields log, index, action, actor, domain, subject (hex pseudonym or
// empty), purpose, ref and digest, separated by tabs, each with '%', tab
// and newline percent-escaped. Log, index and action tie the record to one
// leaf, so one opening can never stand for another leaf.
func (l *AuditLeaf) Record() []byte {
	subject := ""
	if l.Subject != nil {
		subject = l.Subject.String()
	}
	return joinFields(RecordFormat, l.Log, strconv.FormatUint(l.Index, 10), l.Action,
		l.Actor, l.Domain, subject, l.Purpose, l.Ref, l.Digest)
}

// ParseRecord reads a private record. It is the inverse of Record: a record
// that does not parse, or does not re-encode to the same bytes, is not one
// Probity wrote.
func ParseRecord(record []byte) (*AuditLeaf, error) {
	f, err := splitFields(record, RecordFormat, 10)
	if err != nil {
		return nil, err
	}
	l := &AuditLeaf{Log: f[1], Action: f[3], Actor: f[4], Domain: f[5], Purpose: f[7], Ref: f[8], Digest: f[9]}
	if l.Index, err = strconv.ParseUint(f[2], 10, 64); err != nil {
		return nil, fmt.Errorf("index %q: %v", f[2], err)
	}
	if f[6] != "" {
		var p Pseudonym
		if err := p.UnmarshalText([]byte(f[6])); err != nil {
			return nil, fmt.Errorf("subject: %v", err)
		}
		l.Subject = &p
	}
	if string(l.Record()) != string(record) {
		return nil, fmt.Errorf("record is not in canonical form")
	}
	return l, nil
}

// Commitment is SHA-256(CommitmentTag || salt || record): it binds the
// record, and, the salt being random and private, reveals nothing about it
// however few values the record could take.
func Commitment(salt, record []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(CommitmentTag))
	h.Write(salt)
	h.Write(record)
	var c [32]byte
	h.Sum(c[:0])
	return c
}

// PublicLeaf is what the log's tree hashes and what anyone may download:
// format, log, index, time in seconds, action and the commitment to the
// private record. Nothing else.
type PublicLeaf struct {
	Log        string
	Index      uint64
	At         time.Time
	Action     string
	Commitment [32]byte
}

// Data returns the public leaf's canonical bytes, the input of its RFC 6962
// leaf hash: LeafFormat, log, index, Unix time in seconds, action and the
// hex commitment, separated by tabs. Cheap to parse (verification reads
// millions) and easy to recompute by hand.
func (p *PublicLeaf) Data() []byte {
	return joinFields(LeafFormat, p.Log, strconv.FormatUint(p.Index, 10), strconv.FormatInt(p.At.Unix(), 10),
		p.Action, hex.EncodeToString(p.Commitment[:]))
}

// ParsePublicLeaf reads a public leaf from its data, the inverse of Data.
func ParsePublicLeaf(data []byte) (*PublicLeaf, error) {
	f, err := splitFields(data, LeafFormat, 6)
	if err != nil {
		return nil, err
	}
	p := &PublicLeaf{Log: f[1], Action: f[4]}
	if p.Index, err = strconv.ParseUint(f[2], 10, 64); err != nil {
		return nil, fmt.Errorf("index %q: %v", f[2], err)
	}
	secs, err := strconv.ParseInt(f[3], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("time %q: %v", f[3], err)
	}
	p.At = time.Unix(secs, 0).UTC()
	if c, err := hex.DecodeString(f[5]); err != nil || len(c) != 32 {
		return nil, fmt.Errorf("commitment %q is not 64 hex digits", f[5])
	} else {
		copy(p.Commitment[:], c)
	}
	if string(p.Data()) != string(data) {
		return nil, fmt.Errorf("leaf is not in canonical form")
	}
	return p, nil
}

func joinFields(fields ...string) []byte {
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('\t')
		}
		b.WriteString(leafEscaper.Replace(f))
	}
	return []byte(b.String())
}

func splitFields(data []byte, format string, n int) ([]string, error) {
	fields := strings.Split(string(data), "\t")
	if len(fields) != n || fields[0] != format {
		return nil, fmt.Errorf("not a %s line (%d fields, want %d)", format, len(fields), n)
	}
	for i, f := range fields {
		if strings.IndexByte(f, '%') >= 0 {
			fields[i] = leafUnescaper.Replace(f)
		}
	}
	return fields, nil
}

var (
	leafEscaper   = strings.NewReplacer("%", "%25", "\t", "%09", "\n", "%0A")
	leafUnescaper = strings.NewReplacer("%25", "%", "%09", "\t", "%0A", "\n")
)

// Checkpoint is a signed statement of a log's size and root hash, a C2SP
// tlog-checkpoint. Every transaction that appends leaves to a log writes
// one, so a leaf beyond the latest checkpoint was not written by Probity.
type Checkpoint struct {
	Log  string `json:"log"`
	Size uint64 `json:"size"`
	Root []byte `json:"root"`
	// At is when the checkpoint was made; it is not signed (the note has
	// no extension lines).
	At time.Time `json:"at"`
	// Note is the signed note: origin, size, base64 root, a blank line and
	// the signature; witnesses' cosignatures follow where it is served
	// cosigned.
	Note string `json:"note"`
	// Range is the compact range of the tree at Size, from which the next
	// checkpoint is computed without reading every leaf.
	Range [][]byte `json:"-"`
}

// AuditEntry is a stored leaf: its public data (the exact bytes hashed),
// its RFC 6962 leaf hash and, privately, its opening. It is never served
// as it is; PublicEntry and Opening are what callers see.
type AuditEntry struct {
	// AuditLeaf holds the public fields, and the record's when the opening
	// is there.
	AuditLeaf
	Commitment [32]byte
	Data       string
	Hash       []byte
	// Salt and RecordData are the opening; both nil once shredded.
	Salt       []byte
	RecordData []byte
	// ErasedBy is the index of the subject.erased leaf that shredded the
	// opening, when Shredded.
	Shredded bool
	ErasedBy uint64
	// Batch places the record of a member entry (one event of a batch
	// leaf, whose public fields the entry carries) in the leaf's tree.
	Batch *BatchPath
	// Members are a batch leaf's members, from position 1, and
	// MemberErasures the members an erasure deleted: position to the
	// erasure leaf's index.
	Members        []BatchMember
	MemberErasures map[int]uint64
	// Invalid says why a stored row is not a valid leaf (its data does not
	// parse, its opening does not open its commitment, or its columns
	// contradict it); empty for a valid one.
	Invalid string
}

// Public returns what anyone may see of the entry.
func (e *AuditEntry) Public() PublicEntry {
	return PublicEntry{Index: e.Index, Log: e.Log, At: e.At, Action: e.Action,
		Commitment: hex.EncodeToString(e.Commitment[:]), Data: e.Data, Hash: e.Hash}
}

// Opening returns the entry's opening, or nil once shredded.
func (e *AuditEntry) Opening() *Opening {
	if e.Shredded || e.Salt == nil {
		return nil
	}
	o := &Opening{Index: e.Index, Leaf: e.Data, Salt: e.Salt, Record: string(e.RecordData), Batch: e.Batch}
	if e.Batch == nil && e.Members != nil {
		// a batch leaf's own opening: its header, at position 0; its
		// events' openings are their own entries'
		h := Commitment(e.Salt, e.RecordData)
		o.Batch = &BatchPath{Position: 0, Size: len(e.Members) + 1, Path: BatchMemberPath(h, e.Members, 0)}
	}
	return o
}

// PublicEntry is a leaf as the public log serves it.
type PublicEntry struct {
	Index      uint64    `json:"index"`
	Log        string    `json:"log"`
	At         time.Time `json:"at"`
	Action     string    `json:"action"`
	Commitment string    `json:"commitment"`
	// Data is the exact bytes hashed (see PublicLeaf.Data).
	Data string `json:"data"`
	Hash []byte `json:"hash"`
}

// Opening shows what a leaf commits to, to those entitled to see it: the
// subject it is about, the domain's admins and auditors, the
// installation's auditors. With the public leaf it proves the record:
// Commitment(Salt, Record) is the leaf's commitment.
type Opening struct {
	Index  uint64 `json:"index"`
	Leaf   string `json:"leaf"`
	Salt   []byte `json:"salt,omitempty"`
	Record string `json:"record,omitempty"`
	// ErasedBy is set instead of Salt and Record once an erasure (the
	// leaf at that index) shredded the opening.
	ErasedBy *uint64 `json:"erased_by,omitempty"`
	// Batch is set when the record is one member of a batch leaf: the
	// commitment of Salt and Record is then at Batch.Position of the tree
	// whose root is the leaf's commitment.
	Batch *BatchPath `json:"batch,omitempty"`
	// Inclusion proves the leaf is in the tree of the checkpoint it comes
	// with.
	Inclusion [][]byte `json:"inclusion,omitempty"`
}

// BatchPath proves a member record's commitment is in a batch leaf's tree
// (DESIGN.md, "Batches"): Path is its RFC 6962 inclusion path at Position
// of a tree of Size commitments.
// The header (position 0: the leaf's own record, naming its log, index,
// actor and the batch's id) comes opened with its own path, so that the
// member is proved to be of this leaf and reported by that actor.
type BatchPath struct {
	Position   int      `json:"position"`
	Size       int      `json:"size"`
	Path       [][]byte `json:"path"`
	HeaderSalt []byte   `json:"header_salt,omitempty"`
	Header     string   `json:"header,omitempty"`
	HeaderPath [][]byte `json:"header_path,omitempty"`
}

// OpeningBundle is openings with every proof they lead through, up to one
// installation checkpoint: all anyone needs to check them offline (see
// audit.CheckBundle). A leaf of a domain's log is included in a checkpoint
// of that log, which a leaf of the installation log records, which is
// included in the installation checkpoint, which witnesses cosigned.
type OpeningBundle struct {
	Installation InstallationCheckpoint `json:"installation"`
	// Logs holds, by log, the checkpoint the openings of that log are
	// proved against, and where the installation log records it.
	Logs map[string]LogProof `json:"logs"`
	// Key is the note verifier key of the installation log; every log is
	// signed by the same key, each under its own origin.
	Key      string    `json:"key"`
	Openings []Opening `json:"openings"`
	// Next is the index to ask from for the next page, if there may be one.
	Next *uint64 `json:"next,omitempty"`
}

// InstallationCheckpoint is the installation checkpoint a bundle's proofs
// lead to.
type InstallationCheckpoint struct {
	// Checkpoint is its signed note, with the witnesses' cosignatures.
	Checkpoint string `json:"checkpoint"`
	// Witnessed says the witness policy's quorum cosigned it; false where
	// the installation has no witnesses (only the operator signed it).
	Witnessed bool `json:"witnessed"`
	// Behind is how many leaves the installation log holds beyond it.
	Behind uint64 `json:"behind"`
}

// LogProof ties one log's checkpoint to the installation checkpoint.
type LogProof struct {
	// Checkpoint is the log's signed checkpoint the openings are proved
	// against (for the installation log, the installation checkpoint).
	Checkpoint string `json:"checkpoint"`
	// Seal is the public line of the installation log's leaf that records
	// this checkpoint, at index SealIndex; its record is public (zero
	// salt: audit.SealRecord), so its commitment can be recomputed from
	// the checkpoint. Empty for the installation log itself.
	Seal      string   `json:"seal,omitempty"`
	SealIndex uint64   `json:"seal_index,omitempty"`
	Inclusion [][]byte `json:"seal_inclusion,omitempty"`
	// Behind is how many leaves the log holds beyond the checkpoint (not
	// yet recorded in a witnessed installation checkpoint).
	Behind uint64 `json:"behind"`
}

// Proof is an RFC 6962 inclusion or consistency proof.
type Proof struct {
	Index  uint64   `json:"index,omitempty"`
	From   uint64   `json:"from,omitempty"`
	Size   uint64   `json:"size"`
	Hashes [][]byte `json:"hashes"`
}

// LogInfo describes one log, for those who follow it.
type LogInfo struct {
	Name   string `json:"name"`
	Origin string `json:"origin"`
	// Key is the note verifier key of its checkpoints.
	Key  string `json:"key"`
	Size uint64 `json:"size"`
}

// AuditService publishes the logs: public leaves carry only commitments, so
// anyone may read them and check the proofs. Every method taking a log
// returns ENOTFOUND for a log that does not exist.
type AuditService interface {
	// Logs lists the logs: the installation log first, then each domain's.
	Logs(ctx context.Context) ([]LogInfo, error)
	// Checkpoint returns the latest signed checkpoint of a log.
	Checkpoint(ctx context.Context, log string) (*Checkpoint, error)
	// Entries returns the public leaves of a log with index in [start,
	// end), at most MaxAuditEntries of them.
	Entries(ctx context.Context, log string, start, end uint64) ([]PublicEntry, error)
	// InclusionProof proves that the leaf at index is in the tree of size.
	InclusionProof(ctx context.Context, log string, index, size uint64) (*Proof, error)
	// ConsistencyProof proves that the tree of size from is a prefix of the
	// tree of size to.
	ConsistencyProof(ctx context.Context, log string, from, to uint64) (*Proof, error)
	// PublicKey returns the note verifier key of a log's checkpoints.
	PublicKey(log string) string
	// Openings returns the openings of a log's leaves with index from
	// start, at most limit of them, with inclusion proofs to its latest
	// checkpoint. The installation's auditors and operators may read every
	// log's; a domain's admins their domain's log; EFORBIDDEN otherwise. The
	// read is itself a leaf.
	Openings(ctx context.Context, log string, start uint64, limit int) (*OpeningBundle, error)
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
