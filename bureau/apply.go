package bureau

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/identity"
	"github.com/probity-dev/probity/spec"
)

// ApplySpec validates a spec completely and stores it as a new version,
// computing every stored event's points under it in the same transaction.
func (b *Bureau) ApplySpec(ctx context.Context, id string, source []byte) (*probity.ApplyResult, error) {
	if id != "" {
		// who may apply comes before what is applied
		if err := b.mayApply(ctx, id); err != nil {
			return nil, err
		}
	}
	s, err := spec.Parse(source)
	if err != nil {
		return nil, err
	}
	if id != "" && s.ID != id {
		return nil, probity.Errorf(probity.EINVALID, "id: the spec's id %q does not match the domain %q it is applied to", s.ID, id)
	}
	if err := b.mayApply(ctx, s.ID); err != nil {
		return nil, err
	}
	if err := screenSpec(s); err != nil {
		return nil, err
	}
	compiled, err := spec.Compile(s)
	if err != nil {
		return nil, err
	}
	digest := spec.Digest(s)
	var res *probity.ApplyResult
	err = b.store.Update(ctx, func(tx probity.Tx) error {
		versions, err := tx.SpecVersions(s.ID)
		if err != nil {
			return err
		}
		if n := len(versions); n > 0 && versions[n-1].Spec.Category != s.Category {
			return probity.Errorf(probity.EINVALID, "category: %s cannot change from %s to %s; it decides who may hold roles in the domain (P10), so a new category needs a new domain",
				s.ID, versions[n-1].Spec.Category, s.Category)
		}
		if n := len(versions); n > 0 && versions[n-1].Digest == digest {
			last := versions[n-1]
			res = &probity.ApplyResult{ID: s.ID, Version: last.Version, EffectiveAt: last.EffectiveAt}
			return nil
		}
		v := newVersion(s, digest, versions, tx)
		if err := tx.InsertSpecVersion(v); err != nil {
			return err
		}
		n, err := rescore(tx, v, compiled)
		if err != nil {
			return err
		}
		if err := b.log.Record(tx, probity.AuditLeaf{Actor: probity.ActorFromContext(ctx).ID, Action: probity.ActionSpecApplied,
			Domain: v.Domain, Ref: strconv.Itoa(v.Version), Digest: audit.SpecDigest(v)}); err != nil {
			return err
		}
		res = &probity.ApplyResult{ID: s.ID, Version: v.Version, EffectiveAt: v.EffectiveAt, Changed: true, Rescored: n}
		return nil
	})
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.compiled[digest] = compiled
	b.mu.Unlock()
	return res, nil
}

// newVersion numbers a new version and sets when it takes effect: the first
// at once; a later one after the notice period of the version in effect now
// (the notice subjects were promised), and never before an earlier pending
// version, so that versions take effect in order (P9).
func newVersion(s *probity.Spec, digest string, versions []probity.SpecVersion, tx probity.ReadTx) *probity.SpecVersion {
	now := tx.Now()
	v := &probity.SpecVersion{Domain: s.ID, Version: 1, Digest: digest, AppliedAt: now, EffectiveAt: now, Spec: s}
	if len(versions) == 0 {
		return v
	}
	last := versions[len(versions)-1]
	cur := probity.VersionAt(versions, now)
	if cur == nil {
		cur = &last
	}
	v.Version = last.Version + 1
	v.EffectiveAt = now.Add(cur.Spec.Notice.Std())
	if v.EffectiveAt.Before(last.EffectiveAt) {
		v.EffectiveAt = last.EffectiveAt
	}
	return v
}

// rescore computes the points of every stored event of the domain under a
// new version. An event the new version cannot score (a field it now
// requires is missing, a type changed) makes the whole apply fail, naming
// the event type and how many events are affected: a version that cannot
// score the record it inherits is not a valid version. Events of a type the
// new version no longer declares get 0 points and do not count.
func rescore(tx probity.Tx, v *probity.SpecVersion, c *spec.Compiled) (int, error) {
	n := 0
	failures := map[string]int{}
	first := map[string]string{}
	var points []probity.EventPoints
	scan := tx.ScanEvents
	if narrow, ok := tx.(fieldScanner); ok {
		scan = narrow.ScanEventFields
	}
	err := scan(v.Domain, func(e *probity.Event) error {
		n++
		raw, err := c.EventPoints(e.Type, e.Fields, false)
		if err != nil {
			if failures[e.Type] == 0 {
				first[e.Type] = probity.ErrorMessage(err)
			}
			failures[e.Type]++
			return nil
		}
		points = append(points, probity.EventPoints{Subject: e.Subject, Key: e.Key, Raw: raw})
		return nil
	})
	if err != nil {
		return 0, err
	}
	if len(failures) > 0 {
		return 0, rescoreError(v, failures, first)
	}
	// ScanEvents walks the table's order, (subject, key), and so do the
	// updates.
	if err := tx.AddPoints(v.Domain, v.Version, points); err != nil {
		return 0, err
	}
	return n, nil
}

// fieldScanner is the narrow scan a store may offer beside probity.Tx
// (sqlstore does) for rescoring: ScanEvents with only Subject, Key, Type
// and Fields read and set, on an event reused from row to row, which is
// all that points need. A store without it rescores through ScanEvents,
// with the same points.
type fieldScanner interface {
	ScanEventFields(domain string, fn func(*probity.Event) error) error
}

func rescoreError(v *probity.SpecVersion, failures map[string]int, first map[string]string) error {
	types := make([]string, 0, len(failures))
	for t := range failures {
		types = append(types, t)
	}
	sort.Strings(types)
	var lines []string
	for _, t := range types {
		lines = append(lines, fmt.Sprintf("%d stored %s events cannot be scored under the new spec (first: %s)", failures[t], t, first[t]))
	}
	return probity.Errorf(probity.EINVALID, "events: version %d of %s would not score the events already reported; keep their fields compatible:\n%s",
		v.Version, v.Domain, strings.Join(lines, "\n"))
}

// mayApply checks that the caller may apply a spec of the domain: the
// operator creates domains, and the operator or the domain's admin applies
// later versions.
func (b *Bureau) mayApply(ctx context.Context, domain string) error {
	return b.authorize(ctx, "applying a spec of "+domain, operator(), role(probity.RoleAdmin, domain))
}

// screenSpec refuses a spec that holds an identifier in any of its texts or
// names (P1): a spec is stored and published, and its id keys every row of
// the domain. Only the CEL expressions (points, benefits) and the values of
// closed lists are left out. Every offending path is listed, like the spec
// package's own problems.
func screenSpec(s *probity.Spec) error {
	var problems []string
	screen := func(path, text string) {
		if err := identity.ScreenText(path, text); err != nil {
			problems = append(problems, probity.ErrorMessage(err))
		}
	}
	screen("id", s.ID)
	screen("name", s.Name)
	screen("owner", s.Owner)
	screen("legal_basis", s.LegalBasis)
	for i, p := range s.Purposes {
		screen(fmt.Sprintf("purposes[%d]", i), p)
	}
	for i, g := range s.Grades {
		screen(fmt.Sprintf("grades[%d].grade", i), g.Grade)
	}
	for i, r := range s.Events {
		path := fmt.Sprintf("events[%d]", i)
		screen(path+".type", r.Type)
		for _, name := range sortedNames(r.Fields) {
			screen(path+".fields."+name, name)
		}
		screen(path+".code", r.Code)
		screen(path+".reason", r.Reason)
	}
	for _, name := range sortedNames(s.Benefits) {
		screen("benefits."+name, name)
	}
	if len(problems) == 0 {
		return nil
	}
	return probity.Errorf(probity.EINVALID, "%s", strings.Join(problems, "\n"))
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
