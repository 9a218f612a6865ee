package bureau

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/identity"
	"github.com/probity-dev/probity/scoring"
	"github.com/probity-dev/probity/spec"
)

// Score computes a subject's score with its full explanation. The read is
// recorded in the log, with its purpose, in the same transaction (P8).
func (b *Bureau) Score(ctx context.Context, req probity.ScoreRequest) (*probity.Score, error) {
	score, _, err := b.scoreRead(ctx, req)
	return score, err
}

// ScoreJSON is Score with the answer encoded as compact JSON: the bytes
// whose digest the read's leaf holds, encoded once for both.
func (b *Bureau) ScoreJSON(ctx context.Context, req probity.ScoreRequest) ([]byte, error) {
	_, body, err := b.scoreRead(ctx, req)
	return body, err
}

func (b *Bureau) scoreRead(ctx context.Context, req probity.ScoreRequest) (*probity.Score, []byte, error) {
	var score *probity.Score
	body, err := b.read(ctx, probity.ActionScoreRead, req, func(s *probity.Score, _ *spec.Compiled) (any, error) {
		score = s
		return s, nil
	}, nil)
	return score, body, err
}

// Decide answers whether a subject qualifies for a benefit. An unrated or
// opted-out subject is evaluated exactly as the domain's neutral base (P6).
func (b *Bureau) Decide(ctx context.Context, req probity.DecisionRequest) (*probity.Decision, error) {
	d, _, err := b.decisionRead(ctx, req)
	return d, err
}

// DecideJSON is Decide with the answer encoded as compact JSON: the bytes
// whose digest the read's leaf holds, encoded once for both.
func (b *Bureau) DecideJSON(ctx context.Context, req probity.DecisionRequest) ([]byte, error) {
	_, body, err := b.decisionRead(ctx, req)
	return body, err
}

func (b *Bureau) decisionRead(ctx context.Context, req probity.DecisionRequest) (*probity.Decision, []byte, error) {
	var d *probity.Decision
	sreq := probity.ScoreRequest{Domain: req.Domain, Subject: req.Subject, Purpose: req.Purpose}
	actor := probity.ActorFromContext(ctx)
	body, err := b.read(ctx, probity.ActionDecisionRead, sreq, func(score *probity.Score, c *spec.Compiled) (any, error) {
		var err error
		if d, err = decide(score, c, req); err == nil && !d.Allowed {
			d.AdverseAction = adverseAction(d, score, c.Spec(), decider(actor))
		}
		return d, err
	}, func() string { return decisionRef(d) })
	return d, body, err
}

// decisionRef is what a decision's leaf names: the benefit and the
// outcome ("benefit/deposit_waived/refused"), so that the subject's
// record can show an adverse-action notice for each refusal.
func decisionRef(d *probity.Decision) string {
	if d == nil {
		return ""
	}
	outcome := "allowed"
	if !d.Allowed {
		outcome = "refused"
	}
	return "benefit/" + d.Benefit + "/" + outcome
}

// decider names who decided: the institution's principal.
func decider(a probity.Actor) string {
	if a.Principal != nil && a.Principal.Name != "" {
		return a.Principal.Name
	}
	return a.ID
}

// adverseAction is the notice of a refusal: the score and its range, the
// date, who decided, at most four key factors in plain words, and the
// subject's rights.
func adverseAction(d *probity.Decision, score *probity.Score, s *probity.Spec, by string) *probity.AdverseAction {
	a := &probity.AdverseAction{Benefit: d.Benefit, Date: score.AsOf.UTC().Format(time.DateOnly), DecidedBy: by, Score: d.Score, Min: s.Score.Min, Max: s.Score.Max,
		Grade: d.Grade, AsBase: d.AsBase, KeyFactors: []string{}, Rights: probity.AdverseRights}
	for _, r := range score.Reasons {
		if len(a.KeyFactors) == probity.MaxKeyFactors {
			break
		}
		a.KeyFactors = append(a.KeyFactors, fmt.Sprintf("%s (%+.0f points)", r.Text, r.Impact))
	}
	if d.AsBase {
		a.KeyFactors = append(a.KeyFactors[:0], "not rated: decided as the domain's base score, "+strconv.Itoa(s.Score.Base))
	}
	return a
}

func decide(score *probity.Score, c *spec.Compiled, req probity.DecisionRequest) (*probity.Decision, error) {
	s := c.Spec()
	if req.Benefit == "" {
		return nil, probity.Errorf(probity.EINVALID, "benefit: required; name one of the benefits of %s: %s", req.Domain, benefitList(s))
	}
	if _, ok := s.Benefits[req.Benefit]; !ok {
		return nil, probity.Errorf(probity.EINVALID, "benefit: %s is not a benefit of %s; benefits: %s", probity.Quote(req.Benefit), req.Domain, benefitList(s))
	}
	d := &probity.Decision{Domain: req.Domain, Benefit: req.Benefit, Status: score.Status, Reasons: score.Reasons}
	if score.Status == probity.StatusRated {
		d.Score, d.Grade = *score.Score, s.GradeFor(*score.Score)
	} else {
		d.Score, d.Grade, d.AsBase = s.Score.Base, s.GradeFor(s.Score.Base), true
		d.Reasons = []probity.Reason{}
	}
	var err error
	d.Allowed, err = c.Benefit(req.Benefit, d.Score, d.Grade)
	return d, err
}

// read computes a score in a write transaction, lets finish turn it into
// what the caller is shown, and records that disclosure in the log. It
// returns what is shown encoded as JSON (json.Marshal's bytes), the bytes
// whose digest the leaf holds (audit.ReadDigest of what is shown).
func (b *Bureau) read(ctx context.Context, action string, req probity.ScoreRequest, finish func(*probity.Score, *spec.Compiled) (any, error), ref func() string) ([]byte, error) {
	actor := probity.ActorFromContext(ctx)
	own := actor.Subject != nil && req.Subject != "" && ownRecord(actor.Subject, req.Subject)
	if !own {
		if err := b.authorize(ctx, "reading scores", role(probity.RoleReader, req.Domain)); err != nil {
			return nil, err
		}
	}
	switch {
	case own && req.Purpose == "":
		req.Purpose = SubjectPurpose // the subject reading their own record
	case req.Purpose == "" && actor.Local:
		// The installation's own command line holds the keys and could read
		// the database directly; its reads without a purpose are still
		// inquiries, logged under this name.
		req.Purpose = LocalPurpose
	case req.Purpose == "":
		return nil, b.deny(ctx, "reading scores", req.Domain, probity.Errorf(probity.EINVALID,
			"purpose: required; every read of a score states why, one of the domain's purposes (GET /v1/domains/%s lists them)", req.Domain))
	}
	if req.Subject == "" {
		return nil, probity.Errorf(probity.EINVALID, "subject: required, as scheme:value (cn-rid, person, uscc, org or gov)")
	}
	if req.Page < 0 {
		return nil, probity.Errorf(probity.EINVALID, "page: %d is not a page; pages are numbered from 1", req.Page)
	}
	if req.AsOf.IsZero() && req.AsOfText != "" {
		t, err := ParseTime(req.AsOfText)
		if err != nil {
			return nil, prefixed("as_of", err)
		}
		req.AsOf = t
	}
	subject, err := identity.Parse(req.Subject)
	if err != nil {
		return nil, prefixed("subject", err)
	}
	pseudonym := b.keys.Pseudonym(req.Domain, subject)
	leaf := func(body []byte) probity.AuditLeaf {
		l := probity.AuditLeaf{Actor: actor.ID, Action: action, Domain: req.Domain,
			Subject: &pseudonym, Purpose: req.Purpose, Digest: encodedDigest(body)}
		if ref != nil {
			l.Ref = ref()
		}
		return l
	}
	// Most reads compute on a snapshot and share their leaves' transaction
	// with other reads (readLog); a subject with a dispute past its SLA is
	// read in a write transaction that settles the dispute first.
	var body []byte
	settle := false
	err = b.store.View(ctx, func(tx probity.ReadTx) error {
		st, overdue, err := readStanding(tx, req.Domain, pseudonym)
		if err != nil || overdue {
			settle = overdue
			return err
		}
		body, err = b.disclose(ctx, tx, req, subject, pseudonym, st, actor, own, finish)
		return err
	})
	switch {
	case err == nil && settle:
		err = b.store.Update(ctx, func(tx probity.Tx) error {
			batch := b.log.Begin(tx)
			suspended, err := b.settleDisputes(tx, batch, req.Domain, pseudonym)
			if err != nil {
				return err
			}
			if body, err = b.disclose(ctx, tx, req, subject, pseudonym, standing{suspended: suspended}, actor, own, finish); err != nil {
				return err
			}
			if err := batch.Add(leaf(body)); err != nil {
				return err
			}
			return batch.Commit()
		})
	case err == nil:
		err = b.reads.record(ctx, leaf(body))
	}
	if _, ok := errors.AsType[*purposeError](err); ok {
		return nil, b.deny(ctx, "reading scores", req.Domain, err)
	}
	if err != nil {
		return nil, err
	}
	return body, nil
}

// encodedDigest is the read digest of an answer encoded by json.Marshal:
// audit.ReadDigest of the value, computed from the bytes the caller is sent
// rather than by encoding the value a second time.
func encodedDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// disclose computes the score and turns it into what the caller is shown,
// one page of its explanation, encoded as JSON.
func (b *Bureau) disclose(ctx context.Context, tx probity.ReadTx, req probity.ScoreRequest, subject probity.Subject, pseudonym probity.Pseudonym, st standing, actor probity.Actor, own bool, finish func(*probity.Score, *spec.Compiled) (any, error)) ([]byte, error) {
	score, c, err := b.scoreWith(ctx, tx, req, subject, pseudonym, st, actor.Local || own)
	if err != nil {
		return nil, err
	}
	if score.Status == probity.StatusOptedOut && !actor.Local && !own {
		withhold(score) // P6: leaving costs nothing, and shows nothing
	}
	if p := score.Page; p != nil && p.Page > p.Pages {
		return nil, probity.Errorf(probity.EINVALID, "page: %d is past the last page of this explanation (%d of %d entries each)", p.Page, p.Pages, p.PerPage)
	}
	shown, err := finish(score, c)
	if err != nil {
		return nil, err
	}
	return json.Marshal(shown)
}

// purposeError is a read refused for its purpose: a denied attempt, logged.
type purposeError struct{ err *probity.Error }

func (e *purposeError) Error() string { return e.err.Error() }
func (e *purposeError) Unwrap() error { return e.err }

// ownRecord reports whether a subject token's subject is the one asked for.
func ownRecord(s *probity.Subject, asked string) bool {
	parsed, err := identity.Parse(asked)
	return err == nil && parsed.String() == s.String()
}

func (b *Bureau) score(ctx context.Context, tx probity.ReadTx, req probity.ScoreRequest, subject probity.Subject, pseudonym probity.Pseudonym, suspended map[string]bool, local bool) (*probity.Score, *spec.Compiled, error) {
	return b.scoreWith(ctx, tx, req, subject, pseudonym, standing{suspended: suspended}, local)
}

func (b *Bureau) scoreWith(ctx context.Context, tx probity.ReadTx, req probity.ScoreRequest, subject probity.Subject, pseudonym probity.Pseudonym, st standing, local bool) (*probity.Score, *spec.Compiled, error) {
	versions, err := domainVersions(tx, req.Domain)
	if err != nil {
		return nil, nil, err
	}
	asOf := req.AsOf.UTC()
	if req.AsOf.IsZero() {
		asOf = tx.Now()
	}
	v := probity.VersionAt(versions, asOf)
	if v == nil {
		// Before the domain existed nothing was recorded: the subject is
		// unrated under the first version (step 1).
		v = &versions[0]
	}
	if err := checkScoreRequest(v.Spec, subject, req.Purpose, local); err != nil {
		return nil, nil, err
	}
	compiled, err := b.compile(v)
	if err != nil {
		return nil, nil, err
	}
	pg := paging{page: req.Page, perPage: v.Spec.EntriesPerPage()}
	score, _, err := computeWith(ctx, tx, versions, v, subject.Kind, pseudonym, st, asOf, pg, false)
	if err != nil {
		return nil, nil, err
	}
	return score, compiled, nil
}

func checkScoreRequest(s *probity.Spec, subject probity.Subject, purpose string, local bool) error {
	if !s.Rates(subject.Kind) {
		return probity.Errorf(probity.EINVALID, "subject: %s does not rate %s subjects; it rates: %s", s.ID, subject.Kind, kindList(s.Subjects))
	}
	if !s.HasPurpose(purpose) && !((purpose == LocalPurpose || purpose == SubjectPurpose) && local) {
		return &purposeError{probity.Errorf(probity.EINVALID, "purpose: %q is not a purpose of %s; allowed: %s", truncate(purpose, 64), s.ID, strings.Join(s.Purposes, ", "))}
	}
	return nil
}

func benefitList(s *probity.Spec) string {
	if len(s.Benefits) == 0 {
		return "none declared"
	}
	names := make([]string, 0, len(s.Benefits))
	for n := range s.Benefits {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// laterVersions returns the versions that follow v, each with the events'
// points under it, for the projection.
func laterVersions(versions []probity.SpecVersion, v *probity.SpecVersion, events []probity.PointedEvent) ([]scoring.Later, error) {
	var later []scoring.Later
	for _, lv := range versions {
		if lv.Version <= v.Version || !lv.EffectiveAt.After(v.EffectiveAt) {
			continue
		}
		raw := make(map[string]float64, len(events))
		for i := range events {
			r, ok := events[i].RawUnder(lv.Version)
			if !ok {
				return nil, probity.Errorf(probity.EINTERNAL, "event %s/%s has no points under spec version %d", lv.Domain, events[i].Key, lv.Version)
			}
			raw[events[i].Key] = r
		}
		later = append(later, scoring.Later{Version: lv.Version, From: lv.EffectiveAt, Spec: lv.Spec, Raw: raw})
	}
	return later, nil
}

// Purposes of reads that are not an institution's: a read at the
// installation's own command line without --purpose, and a subject reading
// their own record with a subject token.
const (
	LocalPurpose   = "local_inspection"
	SubjectPurpose = "subject_access"
)

// withhold empties the explanation of an opted-out subject's score for a
// reader: they learn the status, nothing of the record left behind.
func withhold(s *probity.Score) {
	s.EventsCounted = 0
	if s.Page != nil {
		s.Page = &probity.EntryPage{Page: s.Page.Page, Pages: 1, PerPage: s.Page.PerPage}
	}
	s.Reasons, s.Contributions, s.Pending, s.Suspended, s.Cured, s.Types = []probity.Reason{}, []probity.Entry{}, []probity.Entry{}, []probity.Entry{}, []probity.Entry{}, []probity.TypeTotal{}
}

// paging is which page of a long explanation or report a read shows: page
// from 1 (0 means 1) of perPage entries per list; perPage 0 shows them all.
type paging struct{ page, perPage int }

// window returns the first and last-but-one index of a list of n entries
// that the page shows.
func (p paging) window(n int) (int, int) {
	if p.perPage <= 0 {
		return 0, n
	}
	page := max(p.page, 1)
	return min((page-1)*p.perPage, n), min(page*p.perPage, n)
}

// shows reports whether the page shows the entry at index i of a list.
func (p paging) shows(i int) bool {
	if p.perPage <= 0 {
		return true
	}
	page := max(p.page, 1)
	return i >= (page-1)*p.perPage && i < page*p.perPage
}

// pages returns how many pages a list of n entries takes, at least 1.
func (p paging) pages(n int) int {
	if p.perPage <= 0 {
		return 1
	}
	return max(1, (n+p.perPage-1)/p.perPage)
}

// scoredEvents is a store that reads a subject's events without their
// fields, which a score never shows: decoding every event's fields JSON was
// a good part of a score read's cost.
type scoredEvents interface {
	// ScoredEvents is SubjectEvents with every event's Fields nil.
	ScoredEvents(domain string, subject probity.Pseudonym, version int, recordedBy time.Time) ([]probity.PointedEvent, error)
}

// compute gathers what a subject's score in a domain depends on (the events
// known at asOf, the versions announced after v, the opt-out, the official
// terms) and computes it, showing the page pg of its explanation; it
// returns the events too, with their fields, for the report. It returns
// ctx.Err() as soon as the caller has left, not only between store calls.
func compute(ctx context.Context, tx probity.ReadTx, versions []probity.SpecVersion, v *probity.SpecVersion, kind probity.SubjectKind,
	pseudonym probity.Pseudonym, suspended map[string]bool, asOf time.Time, pg paging) (*probity.Score, []probity.PointedEvent, error) {
	return computeWith(ctx, tx, versions, v, kind, pseudonym, standing{suspended: suspended}, asOf, pg, true)
}

// computeWith is compute with what st already holds of the subject, whose
// events lack their fields unless fields is set.
func computeWith(ctx context.Context, tx probity.ReadTx, versions []probity.SpecVersion, v *probity.SpecVersion, kind probity.SubjectKind,
	pseudonym probity.Pseudonym, st standing, asOf time.Time, pg paging, fields bool) (*probity.Score, []probity.PointedEvent, error) {
	var events []probity.PointedEvent
	var err error
	if se, ok := tx.(scoredEvents); ok && !fields {
		events, err = se.ScoredEvents(v.Domain, pseudonym, v.Version, asOf)
	} else {
		events, err = tx.SubjectEvents(v.Domain, pseudonym, v.Version, asOf)
	}
	if err != nil {
		return nil, nil, err
	}
	later, err := laterVersions(versions, v, events)
	if err != nil {
		return nil, nil, err
	}
	since, out, terms, err := st.rest(tx, v.Domain, pseudonym)
	if err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	score, err := scoring.ComputeContext(ctx, scoring.Input{
		Domain: v.Domain, Version: v.Version, Spec: v.Spec, Kind: kind,
		Events: events, AsOf: asOf, Later: later, OptedOut: out && !since.After(asOf), Suspended: st.suspended, Terms: terms,
		Page: pg.page, PerPage: pg.perPage,
	})
	if err != nil {
		return nil, nil, err
	}
	return score, events, nil
}

// subjectStanding is a store that tells in one statement what OptedOut,
// SubjectDisputes and SubjectTerms would: a score read then asks the last
// two only of the few subjects that have any.
type subjectStanding interface {
	// SubjectStanding returns what OptedOut returns, and whether
	// SubjectDisputes and SubjectTerms would return anything.
	SubjectStanding(domain string, subject probity.Pseudonym) (since time.Time, out, disputes, terms bool, err error)
}

// standing is what a score reads of a subject besides its events: the
// entries its open disputes suspend and, once probed, its opt-out and
// whether it has official terms to read.
type standing struct {
	suspended map[string]bool
	probed    bool
	since     time.Time
	out       bool
	terms     bool
}

// readStanding reads a subject's standing for a score read, probing first
// where the store can, and reports whether a dispute is past its SLA (the
// read must then settle it in a write transaction).
func readStanding(tx probity.ReadTx, domain string, pseudonym probity.Pseudonym) (standing, bool, error) {
	var st standing
	disputes := true
	if p, ok := tx.(subjectStanding); ok {
		var err error
		if st.since, st.out, disputes, st.terms, err = p.SubjectStanding(domain, pseudonym); err != nil {
			return st, false, err
		}
		st.probed = true
	}
	if !disputes {
		st.suspended = map[string]bool{}
		return st, false, nil
	}
	suspended, overdue, err := openDisputes(tx, domain, pseudonym)
	st.suspended = suspended
	return st, overdue, err
}

// rest returns the subject's opt-out and official terms, from the store
// unless the probe already answered.
func (st standing) rest(tx probity.ReadTx, domain string, pseudonym probity.Pseudonym) (time.Time, bool, []probity.OfficialTerm, error) {
	if !st.probed {
		since, out, err := tx.OptedOut(domain, pseudonym)
		if err != nil {
			return time.Time{}, false, nil, err
		}
		terms, err := tx.SubjectTerms(domain, pseudonym)
		return since, out, terms, err
	}
	if !st.terms {
		return st.since, st.out, []probity.OfficialTerm{}, nil
	}
	terms, err := tx.SubjectTerms(domain, pseudonym)
	return st.since, st.out, terms, err
}
