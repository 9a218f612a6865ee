package web

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/probity-dev/probity"
)

// registryDomain is one domain on the public registry.
type registryDomain struct {
	*probity.Domain
	Rules    []ruleWords
	Upcoming []upcomingVersion
	Figures  *probity.DomainTransparency
}

// ruleWords is an event rule told in plain words.
type ruleWords struct {
	Type, Basis, Code, Reason, Points string
	Terms                             []string
}

// upcomingVersion is a spec version applied but not yet in effect, with
// what it changes.
type upcomingVersion struct {
	Version     int
	EffectiveAt time.Time
	Changes     []string // in plain words
	Diff        []diffLine
}

// handleRegistry is the public home page: every domain, its rules in
// plain words, its announced changes and its transparency figures.
func (p *Pages) handleRegistry(w http.ResponseWriter, r *http.Request) {
	ctx, a, signed := p.actor(w, r)
	summaries, err := p.svc.Domains(ctx)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	figures := p.transparency(r)
	var domains []registryDomain
	for _, s := range summaries {
		d, err := p.svc.Domain(ctx, s.ID)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		rd := registryDomain{Domain: d, Figures: figures[s.ID]}
		for _, rule := range d.Events {
			rd.Rules = append(rd.Rules, describeRule(rule))
		}
		rd.Upcoming = upcoming(d, time.Now())
		domains = append(domains, rd)
	}
	v := view{Title: "Public registry", Nav: "registry", Data: domains, SignedIn: signed, Who: who(a)}
	p.render(w, r, "registry", v)
}

// figuresWait is how long a registry page waits for figures being
// computed before it is shown without them (they follow on a reload).
const figuresWait = 2 * time.Second

// transparency returns the figures by domain. They are computed in the
// background at most once per TransparencyTTL (computing them scores every
// subject), and the last figures are served meanwhile; nil, and the
// registry says so, while the first are not ready or cannot be computed.
func (p *Pages) transparency(r *http.Request) map[string]*probity.DomainTransparency {
	p.mu.Lock()
	if p.figuresBusy == nil && (p.figures == nil || time.Since(p.figuresAt) > TransparencyTTL) {
		busy := make(chan struct{})
		p.figuresBusy = busy
		go p.computeFigures(context.WithoutCancel(r.Context()), busy)
	}
	busy, figures := p.figuresBusy, p.figures
	p.mu.Unlock()
	if figures == nil && busy != nil {
		select {
		case <-busy:
		case <-time.After(figuresWait):
		}
		p.mu.Lock()
		figures = p.figures
		p.mu.Unlock()
	}
	out := make(map[string]*probity.DomainTransparency, len(figures))
	for i := range figures {
		out[figures[i].Domain] = &figures[i]
	}
	return out
}

// computeFigures computes the figures and closes busy when done.
func (p *Pages) computeFigures(ctx context.Context, busy chan struct{}) {
	figures, err := p.svc.Transparency(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.logger.Error("transparency figures", "err", err)
	} else {
		p.figures, p.figuresAt = figures, time.Now()
	}
	p.figuresBusy = nil
	close(busy)
}

// describeRule tells an event rule in plain words: when it counts, how
// its weight fades, when it stops, what cures it.
func describeRule(rule probity.EventRule) ruleWords {
	rw := ruleWords{Type: rule.Type, Basis: rule.Basis, Code: rule.Code, Reason: rule.Reason, Points: rule.Points}
	if len(rule.Fields) > 0 {
		names := make([]string, 0, len(rule.Fields))
		for n, t := range rule.Fields {
			names = append(names, n+" ("+t+")")
		}
		sort.Strings(names)
		rw.Terms = append(rw.Terms, "reported with "+strings.Join(names, ", "))
	}
	if rule.Grace > 0 {
		rw.Terms = append(rw.Terms, fmt.Sprintf("counts only after a grace period of %s, with notice to the subject", days(rule.Grace)))
	}
	if len(rule.CuredBy) > 0 {
		rw.Terms = append(rw.Terms, "cured by "+strings.Join(rule.CuredBy, " or ")+": a cure within the grace period erases it, a later one halves it")
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
