package bureau

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/eventfile"
	"github.com/probity-dev/probity/identity"
	"github.com/probity-dev/probity/storetest"
)

// TestFiguresIncremental (issue 18): after one full count the figures are
// brought up to date by scoring only the subjects the log says were
// written to (and a slice of the others in turn), not every subject; and
// they are the figures a full count gives.
func TestFiguresIncremental(t *testing.T) {
	dir := t.TempDir()
	db, err := storetest.OpenDir(t, context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	master, err := identity.LoadOrCreateMasterKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	signer, _, err := audit.LoadOrCreateSigner(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := New(db, identity.NewKeyRing(master), audit.NewLog(signer))
	local := probity.NewContextWithActor(context.Background(), probity.Actor{ID: "test", Local: true})
	if err := b.Init(local); err != nil {
		t.Fatal(err)
	}
	spec, err := os.ReadFile("../examples/domains/acme-lending.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.ApplySpec(local, "", spec); err != nil {
		t.Fatal(err)
	}
	ingest := func(lines string) {
		t.Helper()
		r, err := eventfile.NewReader(strings.NewReader(lines))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Ingest(local, "acme.lending", r, probity.IngestOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var lines strings.Builder
	for i := range 60 {
		for k := range 2 + i%3 { // rated: at least two entries each
			fmt.Fprintf(&lines, `{"key":"k%d-%d","type":"loan_repaid","subject":"person:p%d","occurred_at":"2025-0%d-10","fields":{"amount":%d}}`+"\n", i, k, i, 1+(i+k)%9, 1000*i)
		}
	}
	ingest(lines.String())
	refresh := func() (probity.DomainTransparency, int) {
		t.Helper()
		busy := make(chan struct{})
		b.figures.mu.Lock()
		b.figures.busy = busy
		b.figures.mu.Unlock()
		b.computeFigures(context.Background(), busy)
		if len(b.figures.figures) != 1 {
			t.Fatalf("figures %+v", b.figures.figures)
		}
		return b.figures.figures[0], b.figures.scored
	}
	same := func(got probity.DomainTransparency) {
		t.Helper()
		full, err := b.Transparency(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got.AsOf = full[0].AsOf
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(full[0])
		if string(g) != string(w) {
			t.Fatalf("incremental figures\n%s\nwant what a full count gives\n%s", g, w)
		}
	}
	first, scored := refresh()
	if scored != 60 || first.Subjects.N != 60 {
		t.Fatalf("the first count scored %d subjects and counts %d; want all 60", scored, first.Subjects.N)
	}
	same(first)
	// a new subject, a late payment of another, and reads with a purpose
	ingest(`{"key":"new-1","type":"loan_repaid","subject":"person:new","occurred_at":"2025-06-10","fields":{"amount":5}}
{"key":"new-2","type":"loan_repaid","subject":"person:new","occurred_at":"2025-07-10","fields":{"amount":50000}}
{"key":"late-7","type":"payment_late","subject":"person:p7","occurred_at":"2025-06-10","fields":{"days_late":95}}
`)
	for i := range 6 {
		if _, err := b.Score(local, probity.ScoreRequest{Domain: "acme.lending", Subject: fmt.Sprintf("person:p%d", i), Purpose: "account_review"}); err != nil {
			t.Fatal(err)
		}
	}
	second, scored := refresh()
	if scored > 3 || second.Subjects.N != 61 {
		t.Fatalf("the update scored %d subjects (want the 2 written to and 1 of the sweep) and counts %d (want 61)", scored, second.Subjects.N)
	}
	same(second)
}
