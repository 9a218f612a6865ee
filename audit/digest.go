package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"time"

	"github.com/probity-dev/probity"
)

// digest returns the hex SHA-256 of v's JSON encoding.
func digest(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only called with values that marshal
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// EventDigest binds the full content of a stored event: key, type, subject
// pseudonym, kind, times, fields and cures. Its points are derived from the
// fields and the spec, and are checked by recomputing them.
func EventDigest(e *probity.Event) string {
	return digest(struct {
		Domain     string         `json:"domain"`
		Key        string         `json:"key"`
		Type       string         `json:"type"`
		Subject    string         `json:"subject"`
		Kind       string         `json:"kind"`
		OccurredAt string         `json:"occurred_at"`
		RecordedAt string         `json:"recorded_at"`
		Fields     map[string]any `json:"fields"`
		Cures      string         `json:"cures"`
	}{e.Domain, e.Key, e.Type, e.Subject.String(), string(e.Kind), e.OccurredAt.UTC().Format(time.RFC3339Nano),
		e.RecordedAt.UTC().Format(time.RFC3339Nano), e.Fields, e.Cures})
}

// SpecDigest binds a stored spec version: its number, digest, times and spec.
func SpecDigest(v *probity.SpecVersion) string {
	return digest(struct {
		Domain      string        `json:"domain"`
		Version     int           `json:"version"`
		Digest      string        `json:"digest"`
		AppliedAt   string        `json:"applied_at"`
		EffectiveAt string        `json:"effective_at"`
		Spec        *probity.Spec `json:"spec"`
	}{v.Domain, v.Version, v.Digest, v.AppliedAt.UTC().Format(time.RFC3339Nano), v.EffectiveAt.UTC().Format(time.RFC3339Nano), v.Spec})
}

// ReadDigest binds what a read disclosed: the score or decision returned.
func ReadDigest(v any) string { return digest(v) }

// PrincipalDigest binds a principal as stored, its token's hash included:
// swapping in the hash of another secret would hand its roles to whoever
// holds that secret.
func PrincipalDigest(p *probity.Principal) string {
	subject := ""
	if p.Subject != nil {
		subject = p.Subject.String()
	}
	return digest(struct {
		*probity.Principal
		SecretHash string `json:"secret_hash"`
		Subject    string `json:"subject_pseudonym"`
	}{p, hex.EncodeToString(p.SecretHash), subject})
}

// OptOutDigest binds a subject's standing in a domain after an opt-out or
// opt-in: the opt-out row as it then is, or its absence.
func OptOutDigest(domain string, subject probity.Pseudonym, since time.Time, out bool) string {
	s := ""
	if out {
		s = since.UTC().Format(time.RFC3339Nano)
	}
	return digest(struct {
		Domain  string `json:"domain"`
		Subject string `json:"subject"`
		Out     bool   `json:"opted_out"`
		Since   string `json:"since"`
	}{domain, subject.String(), out, s})
}

// DisputeDigest binds a dispute as stored, its subject's pseudonym included.
func DisputeDigest(d *probity.Dispute) string {
	return digest(struct {
		*probity.Dispute
		Subject string `json:"subject"`
	}{d, d.Subject.String()})
}

// RetractionDigest binds the retraction of an entry.
func RetractionDigest(domain, key string, at time.Time) string {
	return digest([]string{domain, key, at.UTC().Format(time.RFC3339Nano)})
}

// TermDigest binds an official term as stored.
func TermDigest(t *probity.OfficialTerm) string {
	return digest(struct {
		*probity.OfficialTerm
		Subject string `json:"subject"`
	}{t, t.Subject.String()})
}

// ConsentDigest binds a consent grant as stored.
func ConsentDigest(g *probity.ConsentGrant) string {
	return digest(struct {
		*probity.ConsentGrant
		Subject string `json:"subject"`
	}{g, g.Subject.String()})
}

// OrderDigest binds a court order as stored.
func OrderDigest(o *probity.CourtOrder) string {
	return digest(struct {
		*probity.CourtOrder
		Subject string `json:"subject"`
	}{o, o.Subject.String()})
}

// ErasureDigest binds the leaves an erasure shredded: the domain, their
// indexes in order, then the batch members it erased. It is what a subject.erased leaf's digest holds, so
// that openings deleted without an erasure, or kept despite one, show.
type ErasureDigest struct{ h hash.Hash }

// NewErasureDigest starts the digest of an erasure in domain.
func NewErasureDigest(domain string) *ErasureDigest {
	d := &ErasureDigest{h: sha256.New()}
	fmt.Fprintf(d.h, "probity-erasure/2\n%s\n", domain)
	return d
}

// Add adds the index of a shredded leaf, in increasing order, before any
// member.
func (d *ErasureDigest) Add(index uint64) { fmt.Fprintf(d.h, "%d\n", index) }

// AddMember adds an erased member of a batch leaf (the leaf's index and
// the member's position), in increasing order, after every shredded leaf.
func (d *ErasureDigest) AddMember(index uint64, position int) {
	fmt.Fprintf(d.h, "%d.%d\n", index, position)
}

// Sum returns the hex digest.
func (d *ErasureDigest) Sum() string { return hex.EncodeToString(d.h.Sum(nil)) }
