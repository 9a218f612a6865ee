package storetest

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

func hash(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

// appendLeaves appends each leaf to its log (probity.LogOf), locking the
// logs as writers do, and returns the entries in order.
func appendLeaves(tx probity.Tx, leaves []probity.AuditLeaf, hash func([]byte) []byte) ([]probity.AuditEntry, error) {
	var out []probity.AuditEntry
	for start := 0; start < len(leaves); {
		log := probity.LogOf(&leaves[start])
		end := start + 1
		for end < len(leaves) && probity.LogOf(&leaves[end]) == log {
			end++
		}
		if err := tx.LockLog(log, "test/"+log); err != nil {
			return nil, err
		}
		entries, err := tx.AppendLeaves(log, leaves[start:end], hash)
		if err != nil {
			return nil, err
		}
		out = append(out, entries...)
		start = end
	}
	return out, nil
}

func testAuditLog(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	view(t, s, func(tx probity.ReadTx) error {
		if n, err := tx.LogSize("a.test"); err != nil || n != 0 {
			t.Fatalf("LogSize of a new store = %d, %v; want 0", n, err)
		}
		if c, err := tx.LatestCheckpoint("a.test"); err != nil || c != nil {
			t.Fatalf("LatestCheckpoint of a new store = %v, %v; want nil, nil", c, err)
		}
		return nil
	})
	p := probity.Pseudonym{7}
	update(t, s, func(tx probity.Tx) error {
		leaves := make([]probity.AuditLeaf, 250)
		for i := range leaves {
			leaves[i] = probity.AuditLeaf{At: t0, Actor: "a\tb", Action: probity.ActionScoreRead, Domain: "a.test", Subject: &p, Purpose: "review"}
		}
		entries, err := appendLeaves(tx, leaves, hash)
		if err != nil {
			return err
		}
		if entries[249].Index != 249 || !bytes.Equal(entries[3].Hash, hash([]byte(entries[3].Data))) {
			t.Fatalf("AppendLeaves numbered the last leaf %d, want 249, or hashed wrongly", entries[249].Index)
		}
		more, err := appendLeaves(tx, []probity.AuditLeaf{{At: t0, Actor: "x", Action: probity.ActionConsentGranted, Domain: "a.test", Ref: "k"}}, hash)
		if err != nil || more[0].Index != 250 {
			t.Fatalf("second AppendLeaves = %v, %v; want index 250", more, err)
		}
		// Another log numbers its leaves from 0: logs never wait for each other.
		other, err := appendLeaves(tx, []probity.AuditLeaf{{At: t0, Actor: "x", Action: probity.ActionKeyCreated, Ref: "k"}}, hash)
		if err != nil || other[0].Index != 0 || other[0].Log != probity.InstallationLog {
			t.Fatalf("AppendLeaves to the installation log = %v, %v; want its leaf 0", other, err)
		}
		c := &probity.Checkpoint{Log: "a.test", Size: 251, Root: hash([]byte("root")), At: t0, Note: "note\n", Range: [][]byte{hash([]byte("a")), hash([]byte("b"))}}
		if err := tx.InsertCheckpoint(c); err != nil {
			return err
		}
		if err := tx.InsertCheckpoint(c); probity.ErrorCode(err) != probity.ECONFLICT {
			t.Fatalf("InsertCheckpoint(same size) = %v, want ECONFLICT", err)
		}
		return tx.InsertCheckpoint(&probity.Checkpoint{Log: "a.test", Size: 10, Root: hash(nil), At: t0, Note: "old\n"})
	})
	view(t, s, func(tx probity.ReadTx) error {
		if n, err := tx.LogSize("a.test"); err != nil || n != 251 {
			t.Fatalf("LogSize = %d, %v; want 251", n, err)
		}
		var got []*probity.AuditEntry
		if err := tx.Leaves("a.test", 248, 260, func(e *probity.AuditEntry) error { got = append(got, e); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0].Index != 248 || got[0].Actor != "a\tb" || *got[0].Subject != p || got[2].Ref != "k" || !got[0].At.Equal(t0.Truncate(time.Second)) {
			t.Fatalf("Leaves(248, 260) = %d leaves, first %+v", len(got), got[0])
		}
		c, err := tx.LatestCheckpoint("a.test")
		if err != nil || c.Size != 251 || c.Note != "note\n" || len(c.Range) != 2 || !c.At.Equal(t0) {
			t.Fatalf("LatestCheckpoint = %+v, %v; want size 251 with its range", c, err)
		}
		var sizes []uint64
		tx.Checkpoints("a.test", func(c *probity.Checkpoint) error { sizes = append(sizes, c.Size); return nil })
		if len(sizes) != 2 || sizes[0] != 10 || sizes[1] != 251 {
			t.Fatalf("Checkpoints = %v, want [10 251]", sizes)
		}
		return nil
	})
}

func testRows(t *testing.T, open Open) {
	s := open(t, fixed(t0))
	update(t, s, func(tx probity.Tx) error {
		for _, d := range []string{"b.test", "a.test"} {
			v := &probity.SpecVersion{Domain: d, Version: 1, Digest: "d", AppliedAt: t0, EffectiveAt: t0, Spec: testSpec(d)}
			if err := tx.InsertSpecVersion(v); err != nil {
				return err
			}
		}
		e := testEvent("k", 1, t0.Add(-time.Hour))
		_, err := tx.InsertEvents([]*probity.Event{e}, [][]probity.Points{{{Version: 1, Raw: 2}, {Version: 2, Raw: 3}}})
		return err
	})
	view(t, s, func(tx probity.ReadTx) error {
		var domains []string
		tx.SpecRows(func(v *probity.SpecRow) error { domains = append(domains, v.Domain); return nil })
		if len(domains) != 2 || domains[0] != "a.test" {
			t.Fatalf("SpecRows order = %v, want a.test first", domains)
		}
		n := 0
		err := tx.EventRows(func(e *probity.EventRow) error {
			n++
			if r, ok := e.RawUnder(2); !ok || r != 3 || e.Domain != "a.test" || len(e.Points) != 2 || e.Invalid != "" || len(e.FieldsJSON) == 0 {
				t.Fatalf("EventRows = %+v, want both versions' points", e)
			}
			return nil
		})
		if err != nil || n != 1 {
			t.Fatalf("EventRows = %d rows, %v", n, err)
		}
		return nil
	})
}
