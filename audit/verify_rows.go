package audit

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/spec"
)

// Groups of the leaves that bind rows, in the order the rows are checked:
// the bindings spool holds them sorted by group, then by the order in
// which the store reads each group's rows.
const (
	groupSpec uint8 = iota
	groupEvent
	groupPrincipal
	groupDispute
	groupTerm
	groupConsent
	groupOrder
	groupOptOut
)

// groupNames name each group in a problem about a leaf whose row is
// missing.
var groupNames = [...]string{
	groupSpec:      probity.ActionSpecApplied,
	groupEvent:     probity.ActionEventAccepted,
	groupPrincipal: "principal",
	groupDispute:   "dispute",
	groupTerm:      "official_term",
	groupConsent:   "consent",
	groupOrder:     "court_order",
	groupOptOut:    "opt_out",
}

// groupOf is the action-to-table map: the group of the rows each action's
// leaves bind. The latest leaf of a row binds it as it is now.
var groupOf = map[string]uint8{
	probity.ActionSpecApplied:      groupSpec,
	probity.ActionEventAccepted:    groupEvent,
	probity.ActionPrincipalCreated: groupPrincipal,
	probity.ActionPrincipalRevoked: groupPrincipal,
	probity.ActionDisputeFiled:     groupDispute,
	probity.ActionDisputeResolved:  groupDispute,
	probity.ActionTermRecorded:     groupTerm,
	probity.ActionConsentGranted:   groupConsent,
	probity.ActionConsentRevoked:   groupConsent,
	probity.ActionOrderIssued:      groupOrder,
	probity.ActionOrderFulfilled:   groupOrder,
	probity.ActionOptOut:           groupOptOut,
	probity.ActionOptIn:            groupOptOut,
}

// cmpBinding orders bindings as the store reads their rows: by group, then
// domain, then subject (events, opt-outs), then reference (spec versions
// by number), then leaf.
func cmpBinding(a, b *entry) int {
	if c := cmpRow(a, b); c != 0 {
		return c
	}
	return cmp.Compare(a.index, b.index)
}

// cmpRow compares the rows two entries name.
func cmpRow(a, b *entry) int {
	if a.group != b.group {
		return cmp.Compare(a.group, b.group)
	}
	if a.domain != b.domain {
		return strings.Compare(a.domain, b.domain)
	}
	if a.subject != b.subject {
		return strings.Compare(a.subject, b.subject)
	}
	if a.group == groupSpec && len(a.ref) != len(b.ref) {
		return cmp.Compare(len(a.ref), len(b.ref)) // version numbers: 9 before 10
	}
	return strings.Compare(a.ref, b.ref)
}

// bind notes what a valid, open leaf says about rows.
func (v *verifier) bind(e *probity.AuditEntry) error {
	b := entry{domain: v.intern(e.Domain), ref: e.Ref, index: e.Index, log: v.log, digest: e.Digest}
	g, binds := groupOf[e.Action]
	switch {
	case e.Action == probity.ActionSubjectErased:
		return v.erasure(e)
	case e.Action == probity.ActionLogCheckpoint:
		return v.noteSeal(e)
	case e.Action == probity.ActionKeyCreated:
		if _, seen := v.keys[e.Ref]; !seen {
			v.keys[e.Ref] = b
		}
		return nil
	case e.Action == probity.ActionEventRetracted:
		b.group, b.subject = groupEvent, subjectBytes(e.Subject)
		return v.retractions.add(b)
	case !binds:
		return nil
	case g == groupOptOut && e.Subject == nil:
		return nil
	}
	b.group = g
	switch g {
	case groupEvent:
		b.subject = subjectBytes(e.Subject)
	case groupOptOut:
		b.subject, b.ref = subjectBytes(e.Subject), ""
		if e.Action == probity.ActionOptOut {
			b.flag = 1
		}
	case groupPrincipal:
		b.domain = ""
	}
	return v.bindings.add(b)
}

func subjectBytes(p *probity.Pseudonym) string {
	if p == nil {
		return ""
	}
	return string(p[:])
}

// binder matches the rows of one group, read in the order of cmpRow, with
// the leaves that bind them.
type binder struct {
	v     *verifier
	c     *cursor
	group uint8
	// leftover takes each leaf no row claimed; nil reports it as a leaf
	// whose row is missing.
	leftover func(*entry) error
	err      error
}

// take returns the latest leaf that binds the row key names, if any, and
// moves past every leaf of the group up to it, handing over the latest of
// each other row.
func (b *binder) take(key *entry) (entry, bool) {
	for p := b.c.peek(); p != nil && p.group == b.group; p = b.c.peek() {
		c := cmpRow(p, key)
		if c > 0 {
			break
		}
		l := b.latest()
		if c == 0 {
			return l, true
		}
		b.left(&l)
	}
	return entry{}, false
}

// latest moves past every leaf of the next row and returns the latest.
func (b *binder) latest() entry {
	l := *b.c.peek()
	b.c.next()
	for p := b.c.peek(); p != nil && cmpRow(p, &l) == 0; p = b.c.peek() {
		l = *p
		b.c.next()
	}
	return l
}

// rest hands over the latest leaf of each row no row claimed.
func (b *binder) rest() error {
	for p := b.c.peek(); p != nil && p.group == b.group; p = b.c.peek() {
		l := b.latest()
		b.left(&l)
	}
	return cmp.Or(b.err, b.c.err)
}

func (b *binder) left(p *entry) {
	switch {
	case b.leftover != nil:
		if err := b.leftover(p); err != nil && b.err == nil {
			b.err = err
		}
	case b.group == groupOptOut:
		if p.flag == 1 {
			b.v.report.problem("%s: its opt-out row (%s/%x) is missing", p.leaf(), p.domain, p.subject)
		}
	default:
		b.v.report.problem("%s: its row (%s %s %s) is missing", p.leaf(), groupNames[b.group], p.domain, p.ref)
	}
}

// claim checks a row's digest against its leaf.
func (b *binder) claim(key entry, digest, row string) {
	key.group = b.group
	l, ok := b.take(&key)
	switch {
	case !ok:
		b.v.report.problem("%s: no leaf records it; it was not written by Probity", row)
	case l.digest != digest:
		b.v.report.problem("%s: does not match %s (changed behind Probity's back)", row, l.leaf())
	}
}

// rows checks every row against the leaves that bind it, a group at a
// time, in the order of the bindings.
func (v *verifier) rows() error {
	c, err := v.bindings.sorted()
	if err != nil {
		return err
	}
	binder := func(g uint8) *binder { return &binder{v: v, c: c, group: g} }
	checks := []func() error{
		func() error { return v.specRows(binder(groupSpec)) },
		func() error { return v.eventRows(binder(groupEvent)) },
		v.matchMembers,
		func() error { return v.principalRows(binder(groupPrincipal)) },
		func() error {
			b := binder(groupDispute)
			return cmp.Or(v.tx.DisputeRows(func(d *probity.Dispute) error {
				b.claim(entry{domain: d.Domain, ref: d.ID}, DisputeDigest(d), "dispute "+d.Domain+"/"+d.ID)
				return nil
			}), b.rest())
		},
		func() error {
			b := binder(groupTerm)
			return cmp.Or(v.tx.TermRows(func(t *probity.OfficialTerm) error {
				b.claim(entry{domain: t.Domain, ref: t.ID}, TermDigest(t), "official term "+t.Domain+"/"+t.ID)
				return nil
			}), b.rest())
		},
		func() error {
			b := binder(groupConsent)
			return cmp.Or(v.tx.ConsentRows(func(g *probity.ConsentGrant) error {
				b.claim(entry{domain: g.Domain, ref: g.ID}, ConsentDigest(g), "consent "+g.Domain+"/"+g.ID)
				return nil
			}), b.rest())
		},
		func() error {
			b := binder(groupOrder)
			return cmp.Or(v.tx.OrderRows(func(o *probity.CourtOrder) error {
				b.claim(entry{domain: o.Domain, ref: o.ID}, OrderDigest(o), "court order "+o.Domain+"/"+o.ID)
				return nil
			}), b.rest())
		},
		func() error { return v.optOutRows(binder(groupOptOut)) },
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (v *verifier) specRows(b *binder) error {
	err := v.tx.SpecRows(func(r *probity.SpecRow) error {
		sv := &r.SpecVersion
		v.report.Specs++
		row := fmt.Sprintf("spec %s version %d", sv.Domain, sv.Version)
		key := entry{group: groupSpec, domain: sv.Domain, ref: strconv.Itoa(sv.Version)}
		if r.Invalid != "" {
			v.report.problem("%s: %s", row, r.Invalid)
			b.take(&key)
			return nil
		}
		b.claim(key, SpecDigest(sv), row)
		if canonical, err := json.Marshal(sv.Spec); err != nil || !bytes.Equal(canonical, r.SpecJSON) {
			v.report.problem("%s: stored spec is not the spec Probity wrote (not in canonical form)", row)
		}
		if spec.Digest(sv.Spec) != sv.Digest {
			v.report.problem("%s: its digest column does not match its spec", row)
		}
		v.specs[sv.Domain] = append(v.specs[sv.Domain], *sv)
		return nil
	})
	return cmp.Or(err, b.rest())
}

// principalRows checks every principal, its token's hash included, against
// its latest leaf.
func (v *verifier) principalRows(b *binder) error {
	ps, err := v.tx.Principals()
	if err != nil {
		return err
	}
	slices.SortFunc(ps, func(a, b probity.Principal) int { return strings.Compare(a.ID, b.ID) })
	for i := range ps {
		v.report.Principals++
		b.claim(entry{ref: ps[i].ID}, PrincipalDigest(&ps[i]), "principal "+ps[i].ID)
	}
	return b.rest()
}

// optOutRows checks that the subjects out of each domain are exactly those
// whose latest opt-out leaf says so, since the time it says.
func (v *verifier) optOutRows(b *binder) error {
	err := v.tx.OptOutRows(func(o *probity.OptOut) error {
		row := "opt-out of " + o.Domain + "/" + o.Subject.String()
		l, ok := b.take(&entry{group: groupOptOut, domain: o.Domain, subject: string(o.Subject[:])})
		switch {
		case !ok:
			v.report.problem("%s: no leaf records it; it was not written by Probity", row)
		case l.flag != 1:
			v.report.problem("%s: %s took the subject back in", row, l.leaf())
		case l.digest != OptOutDigest(o.Domain, o.Subject, o.Since, true):
			v.report.problem("%s: does not match %s (changed behind Probity's back)", row, l.leaf())
		}
		return nil
	})
	if probity.ErrorCode(err) == probity.EINVALID {
		v.report.problem("%s", probity.ErrorMessage(err))
		return nil
	}
	return cmp.Or(err, b.rest())
}
