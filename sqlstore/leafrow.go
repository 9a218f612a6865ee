package sqlstore

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/probity-dev/probity"
)

// A leaf row keeps nothing twice. Its log, index, action, domain and
// pseudonym are columns of their own, so its public leaf (data) and its
// private record are stored in a compact form that holds only the rest,
// and are rebuilt, byte for byte, when read: the public leaf from its time
// and commitment, the record from its actor, purpose, reference and digest
// (32 bytes when it is a SHA-256 in hex, as it nearly always is). About
// 300 of a leaf row's 670 bytes were the same values written again, in
// hex. A column that is changed changes what is rebuilt, and so no longer
// opens the leaf's commitment or hashes to its leaf hash: tampering shows
// as before. Rows in the canonical text forms (stored before this, or seal
// leaves' records, which SealRecord lets anyone recompute) are read as
// they are.

// compactTag starts a compact public leaf or record; the canonical forms
// start with their format's name.
const compactTag = 0x01

// digest forms in a compact record.
const (
	digestText   = 0 // a length and the text
	digestSHA256 = 1 // 32 bytes, written as 64 lower-case hex digits
)

// compactData is the stored form of a public leaf: its time and
// commitment.
func compactData(at time.Time, commitment [32]byte) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+32)
	b = append(b, compactTag)
	b = binary.AppendVarint(b, at.Unix())
	return append(b, commitment[:]...)
}

// compactRecord is the stored form of a private record: the fields that
// are not columns of the row.
func compactRecord(l *probity.AuditLeaf) []byte {
	b := make([]byte, 0, 8+len(l.Actor)+len(l.Purpose)+len(l.Ref)+32)
	b = append(b, compactTag)
	for _, f := range []string{l.Actor, l.Purpose, l.Ref} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	if d, err := hex.DecodeString(l.Digest); err == nil && len(d) == 32 && hex.EncodeToString(d) == l.Digest {
		return append(append(b, digestSHA256), d...)
	}
	b = append(b, digestText)
	b = binary.AppendUvarint(b, uint64(len(l.Digest)))
	return append(b, l.Digest...)
}

// publicLeaf returns a leaf row's public leaf and its canonical bytes:
// built from its compact form and the row's columns, or parsed from data
// as stored.
func publicLeaf(log string, idx int64, action string, data []byte) (*probity.PublicLeaf, []byte, error) {
	if len(data) == 0 || data[0] != compactTag {
		p, err := probity.ParsePublicLeaf(data)
		if err != nil {
			return nil, data, fmt.Errorf("data is not a leaf: %v", err)
		}
		return p, data, nil
	}
	at, n := binary.Varint(data[1:])
	if n <= 0 || len(data) != 1+n+32 {
		return nil, data, fmt.Errorf("data is not a compact leaf (%d bytes)", len(data))
	}
	p := &probity.PublicLeaf{Log: log, Index: uint64(idx), At: time.Unix(at, 0).UTC(), Action: action}
	copy(p.Commitment[:], data[1+n:])
	return p, p.Data(), nil
}

// PublicData returns the public leaf, the bytes its leaf hash is computed
// from, of a leaf row with columns log, idx, action and data, in canonical
// form: what anything reading the table must do with data.
func PublicData(log string, idx int64, action string, data []byte) ([]byte, error) {
	_, d, err := publicLeaf(log, idx, action, data)
	return d, err
}

// privateLeaf returns a leaf row's record and its canonical bytes: built
// from its compact form and the row's columns, or parsed from the record
// as stored. A shredded row (nil record) gives nil.
func privateLeaf(log string, idx int64, action, domain string, pseudonym, record []byte) (*probity.AuditLeaf, []byte, error) {
	if record == nil {
		return nil, nil, nil
	}
	if len(record) == 0 || record[0] != compactTag {
		l, err := probity.ParseRecord(record)
		return l, record, err
	}
	l := &probity.AuditLeaf{Log: log, Index: uint64(idx), Action: action, Domain: domain}
	if pseudonym != nil {
		var p probity.Pseudonym
		if len(pseudonym) != len(p) {
			return nil, nil, fmt.Errorf("its pseudonym is %d bytes, want %d", len(pseudonym), len(p))
		}
		copy(p[:], pseudonym)
		l.Subject = &p
	}
	r := bytes.NewReader(record[1:])
	for _, f := range []*string{&l.Actor, &l.Purpose, &l.Ref} {
		s, err := readString(r)
		if err != nil {
			return nil, nil, fmt.Errorf("record is not a compact record: %v", err)
		}
		*f = s
	}
	form, err := r.ReadByte()
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("record is not a compact record: no digest")
	case form == digestSHA256 && r.Len() == 32:
		d := make([]byte, 32)
		r.Read(d)
		l.Digest = hex.EncodeToString(d)
	case form == digestText:
		if l.Digest, err = readString(r); err != nil || r.Len() != 0 {
			return nil, nil, fmt.Errorf("record is not a compact record: its digest")
		}
	default:
		return nil, nil, fmt.Errorf("record is not a compact record: digest form %d with %d bytes", form, r.Len())
	}
	return l, l.Record(), nil
}

// PrivateRecord returns the record, in canonical form, of a leaf row with
// columns log, idx, action, domain, pseudonym and record (nil once
// shredded): what anything reading the table must do with record. A record
// stored in canonical form is returned as it is, unparsed.
func PrivateRecord(log string, idx int64, action, domain string, pseudonym, record []byte) ([]byte, error) {
	if len(record) == 0 || record[0] != compactTag {
		return record, nil
	}
	_, r, err := privateLeaf(log, idx, action, domain, pseudonym, record)
	return r, err
}

func readString(r *bytes.Reader) (string, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil || n > uint64(r.Len()) {
		return "", fmt.Errorf("a field runs past the end")
	}
	b := make([]byte, n)
	r.Read(b)
	return string(b), nil
}
