package audit_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/eventfile"
)

// TestVerifyErasure: an erasure shreds the openings of the leaves about the
// subject, and the log still verifies; an opening deleted without an
// erasure, one shredded beyond what the erasure recorded, or a shred
// pointed at another leaf shows.
func TestVerifyErasure(t *testing.T) {
	const rent = "city.rent-utilities"
	const firstShred = `(SELECT MIN(idx) FROM log_leaves WHERE log = 'city.rent-utilities' AND erased_by IS NOT NULL)`
	for _, tt := range []struct {
		name, tamper, want string
	}{
		{"None", ``, ``},
		{"Unmark", `UPDATE log_leaves SET erased_by = NULL WHERE log = 'city.rent-utilities' AND idx = ` + firstShred, "opening (salt and record) is missing"},
		{"ShredMore", `UPDATE log_leaves SET salt = NULL, record = NULL, pseudonym = NULL,
			erased_by = (SELECT MAX(idx) FROM log_leaves WHERE log = 'city.rent-utilities' AND action = 'subject.erased')
			WHERE log = 'city.rent-utilities' AND idx = (SELECT MIN(idx) FROM log_leaves WHERE domain = 'city.rent-utilities' AND pseudonym IS NOT NULL AND action = 'score.read')`,
			"not the ones it recorded"},
		{"Retarget", `UPDATE log_leaves SET erased_by = erased_by - 1 WHERE log = 'city.rent-utilities' AND idx = ` + firstShred, "not an erasure"},
		{"KeepSubject", `UPDATE log_leaves SET pseudonym = x'00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff' WHERE log = 'city.rent-utilities' AND idx = ` + firstShred, "still stored"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			in := openInstallation(t, dir)
			ctx := probity.NewContextWithActor(context.Background(), probity.Actor{ID: "test", Local: true})
			if err := in.bureau.Init(ctx); err != nil {
				t.Fatal(err)
			}
			src, err := os.ReadFile("../examples/domains/city-rent-utilities.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := in.bureau.ApplySpec(ctx, "", src); err != nil {
				t.Fatal(err)
			}
			ingestNDJSON(t, in, ctx, rent, `{"key":"rent-0001","type":"rent_paid","subject":"person:tenant-a91","occurred_at":"2025-01-05","fields":{"amount":900}}
{"key":"rent-0002","type":"rent_paid","subject":"person:tenant-a91","occurred_at":"2025-02-05","fields":{"amount":900}}
{"key":"rent-0003","type":"rent_paid","subject":"person:tenant-b73","occurred_at":"2025-01-05","fields":{"amount":900}}`)
			for _, s := range []string{"person:tenant-a91", "person:tenant-b73", "person:tenant-a91"} {
				if _, err := in.bureau.Score(ctx, probity.ScoreRequest{Domain: rent, Subject: s, Purpose: "account_review"}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := in.bureau.SetOptOut(ctx, rent, "person:tenant-a91", true); err != nil {
				t.Fatal(err)
			}
			if n, err := in.bureau.Erase(ctx, rent, "person:tenant-a91"); err != nil || n != 2 {
				t.Fatalf("Erase = %d, %v; want its 2 entries", n, err)
			}
			in.db.Close()
			if r := verify(t, dir); !r.OK() {
				t.Fatalf("after an erasure: %v", r.Problems)
			}
			db := mustOpenRaw(t, dir)
			var shredded, kept int
			if err := db.QueryRow(`SELECT COUNT(*) FROM log_leaves WHERE erased_by IS NOT NULL AND salt IS NULL AND record IS NULL AND pseudonym IS NULL`).Scan(&shredded); err != nil {
				t.Fatal(err)
			}
			// two reads and the opt-out of the subject who left; their two
			// entries are members of the batch leaf, erased there
			if shredded != 3 {
				t.Fatalf("%d leaves shredded, want 3", shredded)
			}
			if err := db.QueryRow(`SELECT COUNT(*) FROM log_leaves WHERE salt IS NOT NULL AND domain = 'city.rent-utilities' AND action = 'score.read'`).Scan(&kept); err != nil {
				t.Fatal(err)
			}
			if kept != 1 {
				t.Fatalf("%d read openings of the other subject kept, want 1", kept)
			}
			if batch := batchLeafOf(t, dir, rent); len(batch.MemberErasures) != 2 || batch.Members[0].Subject != (probity.SubjectHint{}) ||
				batch.Members[2].Subject == (probity.SubjectHint{}) {
				t.Fatalf("the batch leaf marks %v erased, members %v; want positions 1 and 2, their subjects gone, the other's kept", batch.MemberErasures, batch.Members)
			}
			if tt.tamper == "" {
				db.Close()
				return
			}
			if res, err := db.Exec(tt.tamper); err != nil {
				t.Fatal(err)
			} else if n, _ := res.RowsAffected(); n != 1 {
				t.Fatalf("the tamper changed %d rows, want 1", n)
			}
			db.Close()
			r := verify(t, dir)
			if r.OK() || !strings.Contains(strings.Join(r.Problems, "\n"), tt.want) {
				t.Fatalf("tampered erasure: %v, want a problem saying %q", r.Problems, tt.want)
			}
		})
	}
}

// ingestNDJSON ingests events as the command line would.
func ingestNDJSON(tb testing.TB, in *installation, ctx context.Context, domain, ndjson string) {
	tb.Helper()
	r, err := eventfile.NewReader(strings.NewReader(ndjson))
	if err != nil {
		tb.Fatal(err)
	}
	if sum, err := in.bureau.Ingest(ctx, domain, r, probity.IngestOptions{}); err != nil || sum.Accepted == 0 {
		tb.Fatalf("ingest: %v %+v", err, sum)
	}
}

// batchLeafOf returns the first batch leaf of a domain's log.
func batchLeafOf(tb testing.TB, dir, domain string) *probity.AuditEntry {
	tb.Helper()
	in := openInstallation(tb, dir)
	defer in.db.Close()
	var found *probity.AuditEntry
	err := in.db.View(context.Background(), func(tx probity.ReadTx) error {
		size, err := tx.LogSize(domain)
		if err != nil {
			return err
		}
		return tx.Leaves(domain, 0, size, func(e *probity.AuditEntry) error {
			if e.Action == probity.ActionEventsAccepted && found == nil {
				found = e
			}
			return nil
		})
	})
	if err != nil || found == nil || found.Invalid != "" {
		tb.Fatalf("no valid batch leaf in %s: %v %+v", domain, err, found)
	}
	return found
}
