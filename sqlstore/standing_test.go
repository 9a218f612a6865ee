package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/sqlstore"
)

// TestSubjectStanding checks that the one statement a score asks instead
// of three answers what OptedOut, SubjectDisputes and SubjectTerms would,
// for subjects with none, each one and all of them, in their domain only.
func TestSubjectStanding(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return t0 }
	none, out, disputed, termed, all := probity.Pseudonym{1}, probity.Pseudonym{2}, probity.Pseudonym{3}, probity.Pseudonym{4}, probity.Pseudonym{5}
	err := db.Update(ctx, func(tx probity.Tx) error {
		for i, p := range []probity.Pseudonym{out, all} {
			if err := tx.SetOptOut("a.test", p); err != nil {
				return err
			}
			d := &probity.Dispute{ID: "d" + string(rune('0'+i)), Domain: "a.test", Subject: disputed, EventKey: "k", Reason: "wrong",
				FiledAt: t0, DueAt: t0.Add(time.Hour), Status: probity.DisputeOpen}
			if i == 1 {
				d.Subject = all
			}
			if err := tx.InsertDispute(d); err != nil {
				return err
			}
			term := &probity.OfficialTerm{ID: "t" + string(rune('0'+i)), Domain: "a.test", Subject: termed, Office: "mayor", From: t0}
			if i == 1 {
				term.Subject = all
			}
			if err := tx.InsertTerm(term); err != nil {
				return err
			}
		}
		// another domain's rows are not the subject's standing here
		if err := tx.SetOptOut("b.test", none); err != nil {
			return err
		}
		return tx.InsertTerm(&probity.OfficialTerm{ID: "t9", Domain: "b.test", Subject: none, Office: "mayor", From: t0})
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                string
		subject             probity.Pseudonym
		out, disputes, term bool
	}{
		{"None", none, false, false, false},
		{"OptedOut", out, true, false, false},
		{"Disputed", disputed, false, true, false},
		{"OfficialTerm", termed, false, false, true},
		{"All", all, true, true, true},
	}
	err = db.View(ctx, func(tx probity.ReadTx) error {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				since, out, disputes, terms, err := tx.(*sqlstore.Tx).SubjectStanding("a.test", tt.subject)
				if err != nil {
					t.Fatal(err)
				}
				if out != tt.out || disputes != tt.disputes || terms != tt.term {
					t.Fatalf("SubjectStanding = out %v, disputes %v, terms %v; want %v, %v, %v", out, disputes, terms, tt.out, tt.disputes, tt.term)
				}
				wantSince, wantOut, err := tx.OptedOut("a.test", tt.subject)
				if err != nil {
					t.Fatal(err)
				}
				if out != wantOut || !since.Equal(wantSince) {
					t.Fatalf("SubjectStanding opt-out = %v since %v, OptedOut %v since %v", out, since, wantOut, wantSince)
				}
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
