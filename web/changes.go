package web

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/probity-dev/probity"
)

// specChanges says in plain words what a new spec version changes: each
// rule added, dropped or changed (its points, grace, how long it counts,
// its weight, its cap, what cures it), and the domain's own terms. The
// line diff of the JSON stays below it for the exact text.
func specChanges(a, b *probity.Spec) []string {
	if a == nil || b == nil {
		return nil
	}
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	for _, rb := range b.Events {
		ra := a.Rule(rb.Type)
		if ra == nil {
			add("New entry type %s (basis %s): points %s.", words(rb.Type), words(rb.Basis), rb.Points)
			continue
		}
		out = append(out, ruleChanges(ra, &rb)...)
	}
	for _, ra := range a.Events {
		if b.Rule(ra.Type) == nil {
			add("Entry type %s is dropped: entries of it already reported get no points.", words(ra.Type))
		}
	}
	change := func(what, from, to string) {
		if from != to {
			add("%s: %s, was %s.", what, to, from)
		}
	}
	change("Base score", fmt.Sprint(a.Score.Base), fmt.Sprint(b.Score.Base))
	change("Score range", fmt.Sprintf("%d to %d", a.Score.Min, a.Score.Max), fmt.Sprintf("%d to %d", b.Score.Min, b.Score.Max))
	change("Entries needed to be rated", fmt.Sprint(a.Score.MinEvents), fmt.Sprint(b.Score.MinEvents))
	change("Grades", gradeList(a.Grades), gradeList(b.Grades))
	change("Purposes a reader may give", strings.Join(a.Purposes, ", "), strings.Join(b.Purposes, ", "))
	change("Opting out", words(a.OptOut), words(b.OptOut))
	change("Penalties", words(a.Penalties), words(b.Penalties))
	change("Notice of a new version", days(a.Notice), days(b.Notice))
	change("Time to resolve a dispute", days(a.DisputeSLA), days(b.DisputeSLA))
	change("Officials' factor on adverse entries", officialsFactor(a), officialsFactor(b))
	change("Decisions offered", strings.Join(slices.Sorted(maps.Keys(a.Benefits)), ", "), strings.Join(slices.Sorted(maps.Keys(b.Benefits)), ", "))
	return out
}

// ruleChanges lists what changed in one event type's rule.
func ruleChanges(a, b *probity.EventRule) []string {
	var out []string
	change := func(what, from, to string) {
		if from != to {
			out = append(out, fmt.Sprintf("%s: %s %s, was %s.", words(b.Type), what, to, from))
		}
	}
	change("points", a.Points, b.Points)
	change("grace period", orNone(days(a.Grace)), orNone(days(b.Grace)))
	change("stops counting after", orNever(days(a.Expires)), orNever(days(b.Expires)))
	change("weight halves every", orNever(days(a.HalfLife)), orNever(days(b.HalfLife)))
	change("cap", capText(a.Cap), capText(b.Cap))
	change("cured by", orNone(strings.Join(a.CuredBy, ", ")), orNone(strings.Join(b.CuredBy, ", ")))
	change("basis", words(a.Basis), words(b.Basis))
	return out
}

func gradeList(gs []probity.GradeBand) string {
	parts := make([]string, len(gs))
	for i, g := range gs {
		parts[i] = fmt.Sprintf("%s from %d", g.Grade, g.Min)
	}
	return strings.Join(parts, ", ")
}

func officialsFactor(s *probity.Spec) string {
	if s.Officials == nil || s.Officials.PenaltyFactor == 0 {
		return "none"
	}
	return fmt.Sprintf("x%g", s.Officials.PenaltyFactor)
}

func capText(c float64) string {
	if c == 0 {
		return "none"
	}
	return fmt.Sprintf("%g points either way", c)
}

// words writes an identifier as words: "payment_late" as "payment late".
func words(s string) string { return strings.ReplaceAll(s, "_", " ") }

func orNone(s string) string {
	if s == "" || s == "0 days" {
		return "none"
	}
	return s
}

func orNever(s string) string {
	if s == "" || s == "0 days" {
		return "never"
	}
	return s
}
