package bureau_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

func TestScore(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	f.mustIngest(t, "acme.lending", `{"key":"a1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-06-01","fields":{"amount":20000}}
{"key":"a2","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-06-01","fields":{"amount":100}}
{"key":"b1","type":"loan_repaid","subject":"`+bob+`","occurred_at":"2026-06-01","fields":{"amount":100}}`)
	t.Run("OK", func(t *testing.T) {
		s := f.score(t, "acme.lending", alice, time.Time{})
		// 600 + 20 + 10 at weight 1 (occurred at the evaluation day, 12h ago: 0.5^(0.5/730)).
		if s.Status != probity.StatusRated || s.Score == nil || *s.Score != 630 || *s.Grade != "C" {
			t.Fatalf("score = %v %v %v, want rated 630 C", s.Status, s.Score, s.Grade)
		}
		if got, want := len(s.Projection), 5; got != want {
			t.Fatalf("projection = %d points, want %d", got, want)
		}
	})
	t.Run("ThinFileUnrated", func(t *testing.T) {
		s := f.score(t, "acme.lending", bob, time.Time{})
		if s.Status != probity.StatusUnrated || s.Score != nil {
			t.Fatalf("bob = %v %v, want unrated with no score (min_events 2)", s.Status, s.Score)
		}
	})
	t.Run("UnknownSubjectUnrated", func(t *testing.T) {
		if s := f.score(t, "acme.lending", "person:nobody", time.Time{}); s.Status != probity.StatusUnrated {
			t.Fatalf("status = %v, want unrated", s.Status)
		}
	})
	t.Run("OtherSubjectsDoNotMatter", func(t *testing.T) {
		before := f.score(t, "acme.lending", alice, time.Time{})
		f.mustIngest(t, "acme.lending", `{"key":"b2","type":"payment_late","subject":"`+bob+`","occurred_at":"2026-01-01","fields":{"days_late":120}}`)
		after := f.score(t, "acme.lending", alice, time.Time{})
		if *before.Score != *after.Score {
			t.Fatalf("alice's score moved from %d to %d with bob's events", *before.Score, *after.Score)
		}
	})
	errs := []struct {
		name string
		req  probity.ScoreRequest
		code string
		want string
	}{
		{"ErrBadSubject", probity.ScoreRequest{Domain: "acme.lending", Subject: "cn-rid:123", Purpose: "collection"}, probity.EINVALID, "subject:"},
		{"ErrKind", probity.ScoreRequest{Domain: "acme.lending", Subject: city, Purpose: "collection"}, probity.EINVALID, "does not rate public_body"},
		{"ErrPurpose", probity.ScoreRequest{Domain: "acme.lending", Subject: alice, Purpose: "curiosity"}, probity.EINVALID, "credit_application"},
		{"ErrDomain", probity.ScoreRequest{Domain: "no.such", Subject: alice, Purpose: "collection"}, probity.ENOTFOUND, "no.such"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.Score(local(), tt.req)
			if probity.ErrorCode(err) != tt.code || !strings.Contains(probity.ErrorMessage(err), tt.want) {
				t.Fatalf("err = %v, want %s containing %q", err, tt.code, tt.want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	f.mustIngest(t, "acme.lending", `{"key":"a1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-06-01","fields":{"amount":20000}}
{"key":"a2","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-06-01","fields":{"amount":100}}`)
	t.Run("Rated", func(t *testing.T) {
		d, err := f.Decide(local(), probity.DecisionRequest{Domain: "acme.lending", Subject: alice, Benefit: "overdraft_eligible", Purpose: "credit_application"})
		if err != nil {
			t.Fatal(err)
		}
		if !d.Allowed || d.Score != 630 || d.Grade != "C" || d.AsBase {
			t.Fatalf("decision = %+v, want allowed at 630 C", d)
		}
	})
	t.Run("UnratedIsBase", func(t *testing.T) {
		d, err := f.Decide(local(), probity.DecisionRequest{Domain: "acme.lending", Subject: "person:new-customer", Benefit: "overdraft_eligible", Purpose: "credit_application"})
		if err != nil {
			t.Fatal(err)
		}
		// base 600 < 620: not allowed, exactly like a rated subject at 600.
		if d.Allowed || d.Score != 600 || d.Grade != "C" || !d.AsBase || d.Status != probity.StatusUnrated {
			t.Fatalf("decision = %+v, want evaluated as base 600 C, not allowed", d)
		}
	})
	t.Run("ErrUnknownBenefit", func(t *testing.T) {
		_, err := f.Decide(local(), probity.DecisionRequest{Domain: "acme.lending", Subject: alice, Benefit: "free_money", Purpose: "credit_application"})
		if probity.ErrorCode(err) != probity.EINVALID || !strings.Contains(probity.ErrorMessage(err), "deposit_waived") {
			t.Fatalf("err = %v, want EINVALID listing the benefits", err)
		}
	})
}

// TestScoreAsOfBeforeRecording checks step 1: events recorded after as_of
// are not known at as_of, even if they occurred before it.
func TestScoreAsOfBeforeRecording(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	f.clock.t = t0.Add(time.Hour)
	f.mustIngest(t, "acme.lending", `{"key":"a1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-01-01","fields":{"amount":20000}}
{"key":"a2","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-01-02","fields":{"amount":100}}`)
	if s := f.score(t, "acme.lending", alice, t0.Add(30*time.Minute)); s.Status != probity.StatusUnrated || len(s.Contributions) != 0 {
		t.Fatalf("as of before recording: %v with %d contributions, want unrated with none", s.Status, len(s.Contributions))
	}
	if s := f.score(t, "acme.lending", alice, t0.Add(time.Hour)); s.Status != probity.StatusRated {
		t.Fatalf("as of recording: %v, want rated", s.Status)
	}
}

// TestScoreReadsStoredPoints checks that points are evaluated once, when the
// event is accepted, and read from the store by every score: changing the
// stored points changes the score, with no CEL evaluated at query time.
func TestScoreReadsStoredPoints(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	f.mustIngest(t, "acme.lending", `{"key":"a1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-06-01","fields":{"amount":20000}}
{"key":"a2","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-06-01","fields":{"amount":100}}`)
	if s := f.score(t, "acme.lending", alice, time.Time{}); s.Contributions[0].Raw+s.Contributions[1].Raw != 30 {
		t.Fatalf("raw points %v and %v, want 20 and 10", s.Contributions[0].Raw, s.Contributions[1].Raw)
	}
	err := f.db.Update(local(), func(tx probity.Tx) error {
		e, err := tx.EventByKey("acme.lending", "a1")
		if err != nil {
			return err
		}
		return tx.SetPoints("acme.lending", e.Subject, "a1", probity.Points{Version: 1, Raw: 70})
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := f.score(t, "acme.lending", alice, time.Time{}); *s.Score != 680 {
		t.Fatalf("score = %d, want 680 from the stored points (600 + 70 + 10)", *s.Score)
	}
}

// TestScoreBeforeFirstSpec: before the domain existed nothing was recorded,
// so a subject is unrated rather than an error.
func TestScoreBeforeFirstSpec(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	f.mustIngest(t, "acme.lending", `{"key":"a1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-06-01","fields":{"amount":20000}}`)
	if s := f.score(t, "acme.lending", alice, t0.Add(-24*time.Hour)); s.Status != probity.StatusUnrated || s.Score != nil {
		t.Fatalf("score before the domain existed: %v %v, want unrated", s.Status, s.Score)
	}
}

// TestProjectionFollowsAnnouncedVersion: a version applied but not yet in
// effect governs the projection from the day it takes effect (P9, step 11).
func TestProjectionFollowsAnnouncedVersion(t *testing.T) {
	f := newFixture(t)
	src := readSpec(t, lending)
	f.apply(t, src)
	f.mustIngest(t, "acme.lending", `{"key":"a1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-05-01","fields":{"amount":100}}
{"key":"a2","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-05-02","fields":{"amount":100}}`)
	res := f.apply(t, strings.Replace(src, `points: "10.0 + (amount > 10000.0 ? 10.0 : 0.0)"`, `points: "60.0"`, 1))
	s := f.score(t, "acme.lending", alice, time.Time{})
	if s.SpecVersion != 1 || *s.Score > 620 {
		t.Fatalf("today: version %d score %d, want version 1 at most 620", s.SpecVersion, *s.Score)
	}
	for _, p := range s.Projection {
		direct := f.score(t, "acme.lending", alice, p.At)
		if *p.Score != *direct.Score {
			t.Errorf("projection at %s = %d, but the score then is %d (version %d)", p.At.Format(time.DateOnly), *p.Score, *direct.Score, direct.SpecVersion)
		}
		if p.At.Equal(res.EffectiveAt) && *p.Score < 700 {
			t.Errorf("projection at %s = %d ignores version 2 (in effect from %s)", p.At.Format(time.DateOnly), *p.Score, res.EffectiveAt.Format(time.DateOnly))
		}
	}
}

// TestInquiriesNeverChangeAScore: reading a score is logged, never counted.
func TestInquiriesNeverChangeAScore(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	f.mustIngest(t, "acme.lending", `{"key":"a1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-05-01","fields":{"amount":20000}}
{"key":"a2","type":"payment_late","subject":"`+alice+`","occurred_at":"2026-01-02","fields":{"days_late":40}}`)
	first := f.score(t, "acme.lending", alice, time.Time{})
	for range 20 {
		f.score(t, "acme.lending", alice, time.Time{})
	}
	if last := f.score(t, "acme.lending", alice, time.Time{}); *last.Score != *first.Score || last.EventsCounted != first.EventsCounted {
		t.Fatalf("score moved from %d to %d after 20 inquiries", *first.Score, *last.Score)
	}
}

// TestConcurrentReadsEachLeaveALeaf: reads from many callers at once share
// transactions, yet each returns only once its own leaf is committed, and
// the log verifies afterwards.
func TestConcurrentReadsEachLeaveALeaf(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	f.mustIngest(t, "acme.lending", `{"key":"r1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-01-10","fields":{"amount":1}}`)
	const readers = 40
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	for range readers {
		wg.Go(func() {
			if _, err := f.Score(local(), probity.ScoreRequest{Domain: "acme.lending", Subject: alice, Purpose: "account_review"}); err != nil {
				errs <- err
				return
			}
			// Our own leaf is committed by now: the subject sees the read.
			r, err := f.Report(local(), alice)
			if err != nil {
				errs <- err
				return
			}
			if len(r.Domains) == 0 || len(r.Domains[0].Inquiries) == 0 {
				errs <- fmt.Errorf("a score returned before its read was in the log")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	reads := 0
	err := f.db.View(local(), func(tx probity.ReadTx) error {
		size, err := tx.LogSize("acme.lending")
		if err != nil {
			return err
		}
		return tx.Leaves("acme.lending", 0, size, func(e *probity.AuditEntry) error {
			if e.Action == probity.ActionScoreRead {
				reads++
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if reads != readers {
		t.Fatalf("%d score reads in the log, want %d", reads, readers)
	}
	if r, err := audit.Verify(context.Background(), f.db, f.signer.Verifier(), f.KeyDigests()); err != nil || !r.OK() {
		t.Fatalf("verify after concurrent reads: %v %v", r, err)
	}
}
