package probity

import (
	"encoding/hex"
	"fmt"
)

// SubjectKind is what kind of subject is rated. It follows from the scheme of
// the subject's identifier, never from what a reporter claims.
type SubjectKind string

// Subject kinds, the closed list a spec's `subjects` draws from.
const (
	KindPerson       SubjectKind = "person"
	KindOrganization SubjectKind = "organization"
	KindPublicBody   SubjectKind = "public_body"
)

// SubjectKinds lists every subject kind, in the order shown in errors.
var SubjectKinds = []SubjectKind{KindPerson, KindOrganization, KindPublicBody}

// Pseudonym is what the store keeps instead of a subject's identifier:
// HMAC-SHA256(domain key, canonical identifier). Two domains' pseudonyms of the
// same subject differ, so their tables cannot be joined.
type Pseudonym [32]byte

// String returns the pseudonym in lower-case hex.
func (p Pseudonym) String() string { return hex.EncodeToString(p[:]) }

// MarshalText encodes the pseudonym as hex.
func (p Pseudonym) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText decodes a hex pseudonym.
func (p *Pseudonym) UnmarshalText(b []byte) error {
	if hex.DecodedLen(len(b)) != len(p) {
		return fmt.Errorf("pseudonym: want %d hex characters, got %d", 2*len(p), len(b))
	}
	_, err := hex.Decode(p[:], b)
	return err
}

// Subject is a validated identifier: its canonical form `scheme:value` and the
// kind its scheme implies. It is held in memory only; nothing stores it.
type Subject struct {
	Scheme string
	Value  string
	Kind   SubjectKind
}

// String returns the canonical identifier, `scheme:value`.
func (s Subject) String() string { return s.Scheme + ":" + s.Value }
