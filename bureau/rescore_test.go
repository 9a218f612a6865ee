package bureau_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/bureau"
	"github.com/probity-dev/probity/identity"
	"github.com/probity-dev/probity/sqlstore"
)

// pathStore runs a fixture's store with the transactions of Update wrapped,
// to choose the rescoring path a test exercises.
type pathStore struct {
	*sqlstore.DB
	wrap func(tx probity.Tx) probity.Tx
}

func (s *pathStore) Update(ctx context.Context, fn func(tx probity.Tx) error) error {
	return s.DB.Update(ctx, func(tx probity.Tx) error { return fn(s.wrap(tx)) })
}

// plainTx hides every method but probity.Tx's, so that rescoring takes the
// path any store has: ScanEvents.
type plainTx struct{ probity.Tx }

// countedTx is the store's own transaction, counting the narrow scans.
type countedTx struct {
	*sqlstore.Tx
	scans *int
}

func (tx countedTx) ScanEventFields(domain string, fn func(*probity.Event) error) error {
	*tx.scans++
	return tx.Tx.ScanEventFields(domain, fn)
}

// rescorePopulation gives two domains a population with cures, disputes
// (open and upheld), officials and opt-outs, then applies a second version
// of each, which rescores every stored event.
func rescorePopulation(t *testing.T, f *fixture, subjects []string) {
	t.Helper()
	f.applyFile(t, lending)
	integrity := readSpec(t, "../examples/domains/public-integrity.yaml")
	f.apply(t, integrity)
	var lend, pub strings.Builder
	for i, s := range subjects {
		fmt.Fprintf(&lend, `{"key":"r%d","type":"loan_repaid","subject":"%s","occurred_at":"2026-01-0%d","fields":{"amount":%d}}`+"\n", i, s, 1+i%9, 500+i*4000)
		fmt.Fprintf(&lend, `{"key":"l%d","type":"payment_late","subject":"%s","occurred_at":"2026-02-0%d","fields":{"days_late":%d}}`+"\n", i, s, 1+i%9, 10+i*25)
		fmt.Fprintf(&lend, `{"key":"m%d","type":"payment_late","subject":"%s","occurred_at":"2026-03-0%d","fields":{"days_late":%d}}`+"\n", i, s, 1+i%9, 95)
		if i%2 == 0 {
			fmt.Fprintf(&lend, `{"key":"s%d","type":"payment_settled","subject":"%s","occurred_at":"2026-02-2%d","cures":"l%d"}`+"\n", i, s, i%9, i)
		}
		fmt.Fprintf(&pub, `{"key":"f%d","type":"audit_finding","subject":"%s","occurred_at":"2025-06-01","fields":{"amount":%d}}`+"\n", i, s, 1000+i*400000)
		fmt.Fprintf(&pub, `{"key":"a%d","type":"audit_passed","subject":"%s","occurred_at":"2025-01-01","fields":{"findings":%d}}`+"\n", i, s, i%2)
		fmt.Fprintf(&pub, `{"key":"b%d","type":"audit_passed","subject":"%s","occurred_at":"2025-02-01","fields":{"findings":0}}`+"\n", i, s)
		if i%3 == 0 {
			fmt.Fprintf(&pub, `{"key":"g%d","type":"finding_remedied","subject":"%s","occurred_at":"2025-06-20","cures":"f%d"}`+"\n", i, s, i)
		}
	}
	f.mustIngest(t, "acme.lending", lend.String())
	f.mustIngest(t, "gov.public-integrity", pub.String())
	for i, s := range subjects {
		switch i % 4 {
		case 1:
			d, err := f.FileDispute(local(), probity.DisputeRequest{Domain: "acme.lending", Subject: s, EventKey: fmt.Sprintf("m%d", i), Reason: "paid on time"})
			if err != nil {
				t.Fatal(probity.ErrorMessage(err))
			}
			if i%8 == 1 {
				if _, err := f.ResolveDispute(local(), "acme.lending", d.ID, probity.Resolution{Outcome: "upheld", Reason: "the bank confirmed the payment"}); err != nil {
					t.Fatal(probity.ErrorMessage(err))
				}
			}
		case 2:
			if _, err := f.SetOptOut(local(), "acme.lending", s, true); err != nil {
				t.Fatal(probity.ErrorMessage(err))
			}
		}
		if i%3 == 1 {
			if _, err := f.RecordTerm(local(), probity.TermRequest{Domain: "gov.public-integrity", Subject: s, Office: "mayor", From: "2024-01-01", To: "2026-01-01"}); err != nil {
				t.Fatal(probity.ErrorMessage(err))
			}
		}
	}
	for _, change := range []struct{ source, from, to string }{
		{readSpec(t, lending), `points: "10.0 + (amount > 10000.0 ? 10.0 : 0.0)"`, `points: "12.0 + (amount > 9000.0 ? 11.0 : 0.0)"`},
		{integrity, `points: "amount > 1000000.0 ? -90.0 : -35.0"`, `points: "amount > 800000.0 ? -70.0 : -45.0"`},
	} {
		v2 := strings.Replace(change.source, change.from, change.to, 1)
		if v2 == change.source {
			t.Fatalf("the change %q is not in the spec", change.from)
		}
		if res := f.apply(t, v2); res.Version != 2 || res.Rescored == 0 {
			t.Fatalf("version 2: %+v, want version 2 rescoring the stored events", res)
		}
	}
}

// bureauOver is a bureau like the fixture's over another view of its store,
// with its keys.
func bureauOver(t *testing.T, f *fixture, store probity.Store) *bureau.Bureau {
	t.Helper()
	master, err := identity.LoadOrCreateMasterKey(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	b := bureau.New(store, identity.NewKeyRing(master), audit.NewLog(f.signer))
	if err := b.Init(local()); err != nil {
		t.Fatal(err)
	}
	return b
}

// scoreFacts is what must not depend on the rescoring path: everything a
// score says but the dispute ids.
func scoreFacts(s *probity.Score) string {
	entries := func(es []probity.Entry) string {
		var b strings.Builder
		for _, e := range es {
			fmt.Fprintf(&b, "%s/%s raw %v points %v weight %v contribution %v cured by %q %q;", e.Key, e.Type, e.Raw, e.Points, e.Weight, e.Contribution, e.CuredBy, e.Note)
		}
		return b.String()
	}
	score, grade := "nil", "nil"
	if s.Score != nil {
		score = fmt.Sprint(*s.Score)
	}
	if s.Grade != nil {
		grade = *s.Grade
	}
	return fmt.Sprintf("v%d %s score %s grade %s counted %d\ncontributions %s\npending %s\nsuspended %s\ncured %s\ntypes %+v",
		s.SpecVersion, s.Status, score, grade, s.EventsCounted, entries(s.Contributions), entries(s.Pending), entries(s.Suspended), entries(s.Cured), s.Types)
}

// TestRescoreNarrowScanSameScores: rescoring through the store's narrow
// scan (ScanEventFields) gives every subject exactly the scores that
// rescoring through ScanEvents gives, with cures, disputes, officials and
// opt-outs in the population.
func TestRescoreNarrowScanSameScores(t *testing.T) {
	subjects := make([]string, 24)
	for i := range subjects {
		subjects[i] = fmt.Sprintf("person:subject-%04d", i)
	}
	scans := 0
	narrow, plain := newFixture(t), newFixture(t)
	narrow.Bureau = bureauOver(t, narrow, &pathStore{DB: narrow.db, wrap: func(tx probity.Tx) probity.Tx {
		return countedTx{Tx: tx.(*sqlstore.Tx), scans: &scans}
	}})
	plain.Bureau = bureauOver(t, plain, &pathStore{DB: plain.db, wrap: func(tx probity.Tx) probity.Tx { return plainTx{tx} }})
	rescorePopulation(t, narrow, subjects)
	rescorePopulation(t, plain, subjects)
	if scans != 4 {
		t.Fatalf("%d narrow scans, want one per version applied (4)", scans)
	}
	// after the notice, version 2 is in effect
	asOf := t0.Add(400 * 24 * time.Hour)
	changed := 0
	seen := map[string]bool{}
	for _, domain := range []string{"acme.lending", "gov.public-integrity"} {
		for _, s := range subjects {
			got, want := narrow.score(t, domain, s, asOf), plain.score(t, domain, s, asOf)
			if got.SpecVersion != 2 {
				t.Fatalf("%s %s: scored under version %d, want 2", domain, s, got.SpecVersion)
			}
			if g, w := scoreFacts(got), scoreFacts(want); g != w {
				t.Fatalf("%s %s:\nnarrow scan: %s\nScanEvents:  %s", domain, s, g, w)
			}
			seen["opted out"] = seen["opted out"] || got.Status == probity.StatusOptedOut
			seen["suspended"] = seen["suspended"] || len(got.Suspended) > 0
			seen["cured"] = seen["cured"] || len(got.Cured) > 0
			for _, e := range got.Contributions {
				seen["official"] = seen["official"] || e.Note != ""
			}
			if v1 := plain.score(t, domain, s, t0); !reflect.DeepEqual(v1.Score, got.Score) {
				changed++
			}
		}
	}
	for _, kind := range []string{"opted out", "suspended", "cured", "official"} {
		if !seen[kind] {
			t.Errorf("no score has a subject %s: the population lacks what the test is about", kind)
		}
	}
	if changed == 0 {
		t.Fatal("no score changed under version 2: the test compares nothing the rescoring computed")
	}
}
