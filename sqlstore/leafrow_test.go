package sqlstore

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

// TestCompactLeafRow checks that a leaf row's compact public leaf and
// record rebuild the canonical bytes exactly, whatever the fields hold, and
// that a compact form cut short or with a wrong pseudonym is refused
// rather than read as something else.
func TestCompactLeafRow(t *testing.T) {
	var p probity.Pseudonym
	for i := range p {
		p[i] = byte(i * 7)
	}
	at := time.Date(2026, 12, 6, 3, 4, 5, 0, time.UTC)
	for name, l := range map[string]probity.AuditLeaf{
		"Read":        {Action: probity.ActionScoreRead, Actor: "principal:p1 (desk)", Domain: "acme.lending", Subject: &p, Purpose: "credit_application", Digest: strings.Repeat("ab", 32)},
		"Event":       {Action: probity.ActionEventAccepted, Actor: "principal:p2 (batch, 50%)", Domain: "acme.lending", Subject: &p, Ref: "L-1\t2", Digest: strings.Repeat("0f", 32)},
		"NoSubject":   {Action: probity.ActionSpecApplied, Actor: "local", Domain: "acme.lending", Ref: "3", Digest: "not a digest"},
		"UpperDigest": {Action: probity.ActionScoreRead, Actor: "a", Domain: "acme.lending", Subject: &p, Digest: strings.Repeat("AB", 32)},
		"Empty":       {Action: probity.ActionKeyCreated},
	} {
		t.Run(name, func(t *testing.T) {
			l.Log, l.Index, l.At = "acme.lending", 1234567, at
			if l.Domain == "" {
				l.Log = probity.InstallationLog
			}
			var pseudonym []byte
			if l.Subject != nil {
				pseudonym = l.Subject[:]
			}
			record, err := PrivateRecord(l.Log, int64(l.Index), l.Action, l.Domain, pseudonym, compactRecord(&l))
			if err != nil || !bytes.Equal(record, l.Record()) {
				t.Fatalf("record rebuilt as %q, %v; want %q", record, err, l.Record())
			}
			pub := probity.PublicLeaf{Log: l.Log, Index: l.Index, At: l.At, Action: l.Action, Commitment: probity.Commitment(make([]byte, 32), record)}
			data, err := PublicData(l.Log, int64(l.Index), l.Action, compactData(l.At, pub.Commitment))
			if err != nil || !bytes.Equal(data, pub.Data()) {
				t.Fatalf("data rebuilt as %q, %v; want %q", data, err, pub.Data())
			}
			// the canonical forms, as older rows hold them, read as they are
			if got, _ := PublicData(l.Log, int64(l.Index), l.Action, pub.Data()); !bytes.Equal(got, pub.Data()) {
				t.Fatalf("canonical data read as %q", got)
			}
			if got, _ := PrivateRecord(l.Log, int64(l.Index), l.Action, l.Domain, pseudonym, l.Record()); !bytes.Equal(got, l.Record()) {
				t.Fatalf("canonical record read as %q", got)
			}
		})
	}
	t.Run("ErrTruncated", func(t *testing.T) {
		l := probity.AuditLeaf{Action: probity.ActionScoreRead, Actor: "a", Domain: "d.x", Subject: &p, Digest: strings.Repeat("ab", 32)}
		rec := compactRecord(&l)
		for n := 1; n < len(rec); n++ {
			if _, err := PrivateRecord("d.x", 1, l.Action, l.Domain, p[:], rec[:n]); err == nil {
				t.Fatalf("a compact record cut to %d of %d bytes was read", n, len(rec))
			}
		}
		data := compactData(time.Unix(1, 0), [32]byte{})
		if _, err := PublicData("d.x", 1, l.Action, data[:len(data)-1]); err == nil {
			t.Fatal("a compact leaf cut short was read")
		}
		if _, err := PrivateRecord("d.x", 1, l.Action, l.Domain, p[:31], rec); err == nil {
			t.Fatal("a pseudonym of 31 bytes was read")
		}
	})
}

// TestBatchRecord: a batch leaf's stored record reads back as written, and
// one cut short or run long anywhere is refused, never read as another.
func TestBatchRecord(t *testing.T) {
	members := []probity.BatchMember{{Commitment: [32]byte{1}, Subject: probity.SubjectHint{2}}, {Commitment: [32]byte{3}}}
	rec := BatchRecord("principal:p1 (desk)", members, map[int]uint64{2: 40})
	actor, got, erased, err := ParseBatchRecord(rec)
	if err != nil || actor != "principal:p1 (desk)" || len(got) != 2 || got[0] != members[0] || got[1] != members[1] || len(erased) != 1 || erased[2] != 40 {
		t.Fatalf("ParseBatchRecord = %q, %v, %v, %v", actor, got, erased, err)
	}
	for cut := 0; cut < len(rec); cut++ {
		if _, _, _, err := ParseBatchRecord(rec[:cut]); err == nil {
			t.Fatalf("a record cut to %d of %d bytes was read", cut, len(rec))
		}
	}
	if _, _, _, err := ParseBatchRecord(append(rec, 0)); err == nil {
		t.Fatal("a record with a byte too many was read")
	}
	if _, _, _, err := ParseBatchRecord(BatchRecord("x", members, map[int]uint64{3: 40})); err == nil {
		t.Fatal("an erasure of a position the batch does not have was read")
	}
}
