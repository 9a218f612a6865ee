package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/spec"
)

// eventRows checks every event row against its leaf, and its stored points
// against the points recomputed under every version that must have them.
func (v *verifier) eventRows() error {
	compiled := map[string]*spec.Compiled{}
	noSpec := map[string]bool{}
	return pipelined(v.tx.EventRows, func(r *probity.EventRow) {
		e := &r.PointedEvent
		v.report.Events++
		row := fmt.Sprintf("event %s/%s", e.Domain, e.Key)
		if r.Invalid != "" {
			v.report.problem("%s: %s", row, r.Invalid)
			delete(v.rows, rowRef{probity.ActionEventAccepted, e.Domain, e.Key})
			return
		}
		v.claim(rowRef{probity.ActionEventAccepted, e.Domain, e.Key}, EventDigest(&e.Event), row)
		v.checkRetraction(r, row)
		if canonical, err := json.Marshal(e.Fields); err != nil || !bytes.Equal(canonical, r.FieldsJSON) {
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
}

// checkPoints recomputes an event's points: it must have points under the
// version in effect when it was recorded and every later one, and each must
// be, bit for bit, what that version's rule gives.
func (v *verifier) checkPoints(e *probity.PointedEvent, row string, compiled map[string]*spec.Compiled) {
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

// compiledSpec compiles a version once; one that does not compile is
// reported on every event that needs it (a nil entry remembers it).
func compiledSpec(cache map[string]*spec.Compiled, sv *probity.SpecVersion) (*spec.Compiled, error) {
	key := fmt.Sprintf("%s\x00%d", sv.Domain, sv.Version)
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

// checkRetraction checks that an entry is retracted exactly when, and since
// when, a leaf says so.
func (v *verifier) checkRetraction(r *probity.EventRow, row string) {
	key := r.Domain + "/" + r.Key
	b, ok := v.retractions[key]
	delete(v.retractions, key)
	switch {
	case r.RetractedAt.IsZero() && ok:
		v.report.problem("%s: %s retracted it, but the row counts again", row, b.name())
	case !r.RetractedAt.IsZero() && !ok:
		v.report.problem("%s: retracted, but no leaf records its retraction", row)
	case ok && b.digest != RetractionDigest(r.Domain, r.Key, r.RetractedAt):
		v.report.problem("%s: its retraction does not match %s", row, b.name())
	}
}
