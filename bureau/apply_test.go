package bureau_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

func readSpec(tb testing.TB, path string) string {
	tb.Helper()
	buf, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(buf)
}

func TestApplySpec(t *testing.T) {
	t.Run("FirstVersionAtOnce", func(t *testing.T) {
		f := newFixture(t)
		res := f.applyFile(t, lending)
		if res.Version != 1 || !res.EffectiveAt.Equal(t0) || !res.Changed {
			t.Fatalf("apply = %+v, want version 1 effective at %v", res, t0)
		}
	})
	t.Run("UnchangedChangesNothing", func(t *testing.T) {
		f := newFixture(t)
		f.applyFile(t, lending)
		f.clock.t = t0.Add(24 * time.Hour)
		res := f.applyFile(t, lending)
		if res.Changed || res.Version != 1 || !res.EffectiveAt.Equal(t0) {
			t.Fatalf("re-apply = %+v, want unchanged version 1", res)
		}
		d, err := f.Domain(local(), "acme.lending")
		if err != nil || len(d.Versions) != 1 {
			t.Fatalf("versions = %d, %v; want 1", len(d.Versions), err)
		}
	})
	t.Run("LaterVersionAfterNotice", func(t *testing.T) {
		f := newFixture(t)
		src := readSpec(t, lending)
		f.apply(t, src)
		f.mustIngest(t, "acme.lending", `{"key":"k1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-01-10","fields":{"amount":500}}`)
		f.clock.t = t0.Add(48 * time.Hour)
		v2 := strings.Replace(src, `points: "10.0 + (amount > 10000.0 ? 10.0 : 0.0)"`, `points: "30.0"`, 1)
		res := f.apply(t, v2)
		if want := f.clock.t.Add(30 * 24 * time.Hour); res.Version != 2 || !res.EffectiveAt.Equal(want) || res.Rescored != 1 {
			t.Fatalf("apply v2 = %+v, want version 2 effective %v with 1 event rescored", res, want)
		}
		// Before the notice runs out the old rules apply; after, the new (P9).
		before := f.score(t, "acme.lending", alice, res.EffectiveAt.Add(-time.Second))
		after := f.score(t, "acme.lending", alice, res.EffectiveAt)
		if before.SpecVersion != 1 || after.SpecVersion != 2 {
			t.Fatalf("versions = %d, %d; want 1 then 2", before.SpecVersion, after.SpecVersion)
		}
		if got, want := before.Contributions[0].Raw, 10.0; got != want {
			t.Fatalf("raw under v1 = %v, want %v", got, want)
		}
		if got, want := after.Contributions[0].Raw, 30.0; got != want {
			t.Fatalf("raw under v2 = %v, want %v", got, want)
		}
		// An event recorded now gets points under the pending version too.
		f.mustIngest(t, "acme.lending", `{"key":"k2","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-01-11","fields":{"amount":500}}`)
		later := f.score(t, "acme.lending", alice, res.EffectiveAt.Add(time.Hour))
		if got, want := len(later.Contributions), 2; got != want {
			t.Fatalf("contributions under v2 = %d, want %d", got, want)
		}
	})
	t.Run("ErrIncompatibleVersion", func(t *testing.T) {
		f := newFixture(t)
		src := readSpec(t, lending)
		f.apply(t, src)
		f.mustIngest(t, "acme.lending", `{"key":"k1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-01-10","fields":{"amount":500}}`)
		v2 := strings.Replace(src, "fields: {amount: number}\n    points: \"10.0", "fields: {amount: number, term: int}\n    points: \"10.0", 1)
		_, err := f.ApplySpec(local(), "", []byte(v2))
		if probity.ErrorCode(err) != probity.EINVALID || !strings.Contains(probity.ErrorMessage(err), "loan_repaid") {
			t.Fatalf("err = %v, want EINVALID naming loan_repaid", err)
		}
		d, _ := f.Domain(local(), "acme.lending")
		if len(d.Versions) != 1 {
			t.Fatalf("versions = %d, want 1: a failed apply stored a version", len(d.Versions))
		}
	})
	t.Run("ErrIDMismatch", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.ApplySpec(local(), "other.domain", []byte(readSpec(t, lending)))
		if probity.ErrorCode(err) != probity.EINVALID {
			t.Fatalf("err = %v, want EINVALID", err)
		}
	})
	t.Run("ErrInvalidSpecStoresNothing", func(t *testing.T) {
		f := newFixture(t)
		bad := strings.Replace(readSpec(t, lending), "basis: repayment", "basis: political_opinion", 1)
		if _, err := f.ApplySpec(local(), "", []byte(bad)); probity.ErrorCode(err) != probity.EINVALID {
			t.Fatalf("err = %v, want EINVALID", err)
		}
		if ds, _ := f.Domains(local()); len(ds) != 0 {
			t.Fatalf("domains = %v, want none", ds)
		}
	})
}

// TestHarsherRulesWaitForNotice (P9): a harsher spec version changes no score
// before it takes effect, and scores from then on.
func TestHarsherRulesWaitForNotice(t *testing.T) {
	f := newFixture(t)
	src := readSpec(t, lending)
	f.apply(t, src)
	f.mustIngest(t, "acme.lending", `{"key":"r","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-01-01","fields":{"amount":100}}
{"key":"l","type":"payment_late","subject":"`+alice+`","occurred_at":"2026-02-01","fields":{"days_late":100}}`)
	before := *f.score(t, "acme.lending", alice, time.Time{}).Score
	harsh := strings.Replace(src, `points: "days_late >= 90 ? -80.0 : (days_late >= 30 ? -40.0 : -15.0)"`, `points: "days_late >= 90 ? -160.0 : (days_late >= 30 ? -80.0 : -30.0)"`, 1)
	res := f.apply(t, harsh)
	for _, at := range []time.Time{t0, t0.Add(24 * time.Hour), res.EffectiveAt.Add(-time.Second)} {
		if got := *f.score(t, "acme.lending", alice, at).Score; got != before && at.Equal(t0) {
			t.Fatalf("as of %s: %d, want %d: the harsher rules applied before their notice ran out", at, got, before)
		}
		if s := f.score(t, "acme.lending", alice, at); s.SpecVersion != 1 {
			t.Fatalf("as of %s: version %d in effect, want 1", at, s.SpecVersion)
		}
	}
	if after := f.score(t, "acme.lending", alice, res.EffectiveAt); after.SpecVersion != 2 || after.Contributions[1].Raw != -160 {
		t.Fatalf("from %s: version %d, raw %v; want the harsher version 2", res.EffectiveAt, after.SpecVersion, after.Contributions[1].Raw)
	}
}
