package web

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/spec"
)

// registryDomain is one domain on the public registry.
type registryDomain struct {
	*probity.Domain
	Rules    []ruleWords
	Upcoming []upcomingVersion
	Figures  *probity.DomainTransparency
}

// ruleWords is an event rule told in plain words, with its CEL as a
// detail.
type ruleWords struct {
	Type, Basis, Code, Reason, Points string
	// Cases are the points case by case (spec.PointsInWords); none when
	// the expression cannot be told in words, and the CEL is shown.
	Cases  []spec.PointsCase
	Fields []string
	Terms  []string
}

// upcomingVersion is a spec version applied but not yet in effect, with
// what it changes.
type upcomingVersion struct {
	Version     int
	EffectiveAt time.Time
	Changes     []string // in plain words
	Diff        []diffLine
}

// registryEntry is one line of the registry's index.
type registryEntry struct {
	probity.DomainSummary
	Subjects string // as the figures say it ("fewer than 5"), or ""
	Rated    string
}

// handleRegistry is the public home page: a short index of the domains,
// each linking to its page.
func (p *Pages) handleRegistry(w http.ResponseWriter, r *http.Request) {
	ctx, a, signed := p.actor(w, r)
	summaries, err := p.svc.Domains(ctx)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	figures := p.figures(r)
	index := make([]registryEntry, len(summaries))
	for i, s := range summaries {
		index[i] = registryEntry{DomainSummary: s}
		if f := figures[s.ID]; f != nil {
			index[i].Subjects = f.Subjects.String()
			for _, st := range f.Statuses {
				if st.Name == string(probity.StatusRated) {
					index[i].Rated = st.Count.String()
				}
			}
		}
	}
	v := view{Title: "Public registry", Nav: "registry", Data: index, SignedIn: signed, Who: who(a)}
	p.render(w, r, "registry", v)
}

// handleRegistryDomain is a domain's public page, which reads like a
// notice: who rates whom and why, each rule in words, the announced
// changes and the transparency figures.
func (p *Pages) handleRegistryDomain(w http.ResponseWriter, r *http.Request) {
	ctx, a, signed := p.actor(w, r)
	d, err := p.svc.Domain(ctx, r.PathValue("domain"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	rd := registryDomain{Domain: d, Figures: p.figures(r)[d.ID], Upcoming: upcoming(d, time.Now())}
	for _, rule := range d.Events {
		rd.Rules = append(rd.Rules, describeRule(rule))
	}
	v := view{Title: d.Name, Nav: "registry", Data: rd, SignedIn: signed, Who: who(a)}
	p.render(w, r, "domain", v)
}

// figures returns the transparency figures by domain, as the service
// keeps them (computed in the background, reused for a few minutes); none
// while the first are being computed, and the pages say so.
func (p *Pages) figures(r *http.Request) map[string]*probity.DomainTransparency {
	figures, err := p.svc.Figures(r.Context())
	if err != nil && probity.ErrorCode(err) != probity.EUNAVAILABLE {
		p.logger.Error("transparency figures", "err", err)
	}
	out := make(map[string]*probity.DomainTransparency, len(figures))
	for i := range figures {
		out[figures[i].Domain] = &figures[i]
	}
	return out
}

// describeRule tells an event rule in plain words: when it counts, how
// its weight fades, when it stops, what cures it.
func describeRule(rule probity.EventRule) ruleWords {
	rw := ruleWords{Type: rule.Type, Basis: rule.Basis, Code: rule.Code, Reason: rule.Reason, Points: rule.Points}
	rw.Cases, _ = spec.PointsInWords(rule.Points)
	for n, t := range rule.Fields {
		rw.Fields = append(rw.Fields, words(n)+" ("+fieldKinds[t]+")")
	}
	sort.Strings(rw.Fields)
	if rule.Grace > 0 {
		rw.Terms = append(rw.Terms, fmt.Sprintf("counts only after a grace period of %s, with notice to the subject", days(rule.Grace)))
	}
	if len(rule.CuredBy) > 0 {
		cures := make([]string, len(rule.CuredBy))
		for i, c := range rule.CuredBy {
			cures[i] = words(c)
		}
		rw.Terms = append(rw.Terms, "cured by a report of "+strings.Join(cures, " or ")+": a cure within the grace period erases it, a later one halves it")
	}
	if rule.HalfLife > 0 {
		rw.Terms = append(rw.Terms, fmt.Sprintf("its weight halves every %s", days(rule.HalfLife)))
	} else {
		rw.Terms = append(rw.Terms, "its weight does not fade")
	}
	if rule.Expires > 0 {
		rw.Terms = append(rw.Terms, fmt.Sprintf("stops counting %s after it occurred", days(rule.Expires)))
	}
	if rule.Cap > 0 {
		rw.Terms = append(rw.Terms, fmt.Sprintf("all entries of this type together count at most %g points either way", rule.Cap))
	}
	return rw
}

// fieldKinds says what each field type of a spec holds.
var fieldKinds = map[string]string{"number": "a number", "int": "a whole number", "bool": "yes or no", "string": "text", "date": "a date"}

// days writes a spec duration in words: "30 days", "7 years".
func days(d probity.Duration) string {
	n := int(d)
	switch {
	case n%365 == 0 && n >= 365:
		if n == 365 {
			return "1 year"
		}
		return fmt.Sprintf("%d years", n/365)
	case n == 1:
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// upcoming returns the versions of d applied but not in effect at now,
// each with its difference from the version before it.
func upcoming(d *probity.Domain, now time.Time) []upcomingVersion {
	var out []upcomingVersion
	for i, v := range d.Versions {
		if !v.EffectiveAt.After(now) || i == 0 {
			continue
		}
		out = append(out, upcomingVersion{Version: v.Version, EffectiveAt: v.EffectiveAt,
			Changes: specChanges(d.Versions[i-1].Spec, v.Spec),
			Diff:    changedLines(diffSpecs(d.Versions[i-1].Spec, v.Spec))})
	}
	return out
}
