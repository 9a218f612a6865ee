package audit

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"strings"
	"unsafe"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/spec"
)

// Event rows are read in the table's order (domain, subject, key) and
// matched with the event.accepted and event.retracted leaves sorted the
// same way, by the subject and key their records name. A row and a leaf
// that do not meet there (the row's subject changed, say) meet again in a
// second, small sort by domain and key alone (late), as a map by key would
// have matched them.

// Flags of the entries of the late sort: what each is, in the order they
// are needed within one key.
const (
	lateAccepted uint8 = iota
	lateRetraction
	lateRow     // a valid row: digest, and extra the retraction digest if retracted
	lateInvalid // a row that cannot be read: its leaf is not reported missing
)

// cmpLate orders the late sort by domain, key, flag and leaf.
func cmpLate(a, b *entry) int {
	return cmp.Or(strings.Compare(a.domain, b.domain), strings.Compare(a.ref, b.ref), cmp.Compare(a.flag, b.flag), cmp.Compare(a.index, b.index))
}

// eventRows checks every event row against its leaf and its retraction
// leaf, and its stored points against the points recomputed under every
// version that must have them.
func (v *verifier) eventRows(accepted *binder) error {
	late := newSpool(cmpLate, smallBudget)
	defer late.close()
	retractions, err := v.retractions.sorted()
	if err != nil {
		return err
	}
	retracted := &binder{v: v, c: retractions, group: groupEvent}
	accepted.leftover = func(e *entry) error { e.flag = lateAccepted; return late.add(*e) }
	retracted.leftover = func(e *entry) error { e.flag = lateRetraction; return late.add(*e) }
	compiled := map[specKey]*spec.Compiled{}
	noSpec := map[string]bool{}
	var lateErr error
	var digester eventDigester
	scan := func(fn func(fieldsRow) error) error {
		return v.tx.EventRows(func(r *probity.EventRow) error { return fn(decodeFields(r)) })
	}
	err = pipelined(scan, func(r fieldsRow) {
		e := &r.PointedEvent
		v.report.Events++
		row := eventName{e.Domain, e.Key}
		key := entry{group: groupEvent, domain: e.Domain, subject: unsafe.String(&e.Subject[0], len(e.Subject)), ref: e.Key}
		if r.Invalid != "" {
			v.report.problem("%s: %s", row, r.Invalid)
			if _, ok := accepted.take(&key); !ok {
				lateErr = cmp.Or(lateErr, late.add(entry{flag: lateInvalid, domain: e.Domain, ref: e.Key}))
			}
			return
		}
		canonical, err := r.canonical, r.err
		var digest string
		if err == nil {
			digest = digester.digest(&e.Event, canonical)
		} else {
			digest = EventDigest(&e.Event)
		}
		if e.Slot != nil {
			// logged in a batch leaf: matched with its member (matchMembers)
			lateErr = cmp.Or(lateErr, v.claimMember(&e.Event, digest))
			t, ok := retracted.take(&key)
			v.checkRetraction(row, retractionDigest(r.EventRow), &t, ok)
		} else if l, ok := accepted.take(&key); ok {
			v.matchEvent(row, digest, &l, true)
			t, ok := retracted.take(&key)
			v.checkRetraction(row, retractionDigest(r.EventRow), &t, ok)
		} else {
			lateErr = cmp.Or(lateErr, late.add(entry{flag: lateRow, domain: e.Domain, ref: e.Key, digest: digest, extra: retractionDigest(r.EventRow)}))
		}
		if err != nil || !bytes.Equal(canonical, r.FieldsJSON) {
			v.report.problem("%s: stored fields are not the fields Probity wrote (not in canonical form)", row)
		}
		if len(v.specs[e.Domain]) == 0 {
			if !noSpec[e.Domain] {
				noSpec[e.Domain] = true
				v.report.problem("domain %s: has events but no spec version", e.Domain)
			}
			return
		}
		v.checkPoints(e, row, compiled)
	})
	if err = cmp.Or(err, lateErr, accepted.rest(), retracted.rest()); err != nil {
		return err
	}
	return v.lateEvents(late)
}

// eventName names an event row in a problem ("event acme.lending/L-1"),
// formatted only when a problem is reported.
type eventName struct{ domain, key string }

func (n eventName) String() string { return "event " + n.domain + "/" + n.key }

// retractionDigest is what the retraction leaf of a row must hold, or ""
// if the row is not retracted.
func retractionDigest(r *probity.EventRow) string {
	if r.RetractedAt.IsZero() {
		return ""
	}
	return RetractionDigest(r.Domain, r.Key, r.RetractedAt)
}

// matchEvent checks an event row's digest against its leaf, if found.
func (v *verifier) matchEvent(row eventName, digest string, l *entry, ok bool) {
	switch {
	case !ok:
		v.report.problem("%s: no leaf records it; it was not written by Probity", row)
	case l.digest != digest:
		v.report.problem("%s: does not match %s (changed behind Probity's back)", row, l.leaf())
	}
}

// checkRetraction checks that an entry is retracted exactly when, and since
// when, a leaf says so; want is "" if the row is not retracted.
func (v *verifier) checkRetraction(row eventName, want string, t *entry, ok bool) {
	switch {
	case want == "" && ok:
		v.report.problem("%s: %s retracted it, but the row counts again", row, t.leaf())
	case want != "" && !ok:
		v.report.problem("%s: retracted, but no leaf records its retraction", row)
	case ok && t.digest != want:
		v.report.problem("%s: its retraction does not match %s", row, t.leaf())
	}
}

// lateEvents matches the rows and leaves that did not meet in the table's
// order, by domain and key, one key at a time.
func (v *verifier) lateEvents(late *spool) error {
	c, err := late.sorted()
	if err != nil {
		return err
	}
	for p := c.peek(); p != nil; p = c.peek() {
		domain, key := p.domain, p.ref
		var accepted, retraction *entry
		var rows []entry
		for ; p != nil && p.domain == domain && p.ref == key; p = c.peek() {
			e := *p
			switch e.flag {
			case lateAccepted:
				accepted = &e // the latest leaf binds the row
			case lateRetraction:
				retraction = &e
			default:
				rows = append(rows, e)
			}
			c.next()
		}
		row := eventName{domain, key}
		for _, r := range rows {
			if r.flag == lateRow {
				v.matchEvent(row, r.digest, accepted, accepted != nil)
				v.checkRetraction(row, r.extra, retraction, retraction != nil)
			}
			accepted = nil // claimed, or its row cannot be read
		}
		if accepted != nil {
			v.report.problem("%s: its row (%s %s %s) is missing", accepted.leaf(), groupNames[groupEvent], domain, key)
		}
	}
	return c.err
}

// checkPoints recomputes an event's points: it must have points under the
// version in effect when it was recorded and every later one, and each must
// be, bit for bit, what that version's rule gives.
func (v *verifier) checkPoints(e *probity.PointedEvent, row eventName, compiled map[specKey]*spec.Compiled) {
	want := 0
	versions := v.specs[e.Domain]
	for i := range versions {
		sv := &versions[i]
		if i+1 < len(versions) && !versions[i+1].EffectiveAt.After(e.RecordedAt) {
			continue // superseded before the event was recorded
		}
		want++
		raw, ok := e.RawUnder(sv.Version)
		if !ok {
			v.report.problem("%s: has no points under spec version %d", row, sv.Version)
			continue
		}
		c, err := compiledSpec(compiled, sv)
		if err != nil {
			v.report.problem("spec %s version %d: does not compile: %v", sv.Domain, sv.Version, err)
			return
		}
		got, err := c.EventPoints(e.Type, e.Fields, false)
		if err != nil {
			v.report.problem("%s: its fields no longer score under version %d: %s", row, sv.Version, probity.ErrorMessage(err))
		} else if math.Float64bits(got) != math.Float64bits(raw) {
			v.report.problem("%s: stored points %g under version %d, but its fields give %g", row, raw, sv.Version, got)
		}
	}
	if len(e.Points) != want {
		v.report.problem("%s: has points under %d versions, want %d", row, len(e.Points), want)
	}
}

// specKey names a spec version in the cache of compiled ones.
type specKey struct {
	domain  string
	version int
}

// compiledSpec compiles a version once; one that does not compile is
// reported on every event that needs it (a nil entry remembers it).
func compiledSpec(cache map[specKey]*spec.Compiled, sv *probity.SpecVersion) (*spec.Compiled, error) {
	key := specKey{sv.Domain, sv.Version}
	if c, ok := cache[key]; ok {
		if c == nil {
			return nil, fmt.Errorf("see the first problem with it")
		}
		return c, nil
	}
	c, err := spec.Compile(sv.Spec)
	if err != nil {
		c = nil
	}
	cache[key] = c
	return c, err
}
