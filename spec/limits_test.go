package spec

import (
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

func TestLimits(t *testing.T) {
	t.Run("DefaultsWhenAbsent", func(t *testing.T) {
		s := mustParse(t, readFile(t, "design_example.yaml"))
		if s.Limits != nil {
			t.Fatalf("Limits=%+v, want nil: a spec without limits keeps its digest", s.Limits)
		}
		if got, want := s.EventsPerSubject(), probity.DefaultEventsPerSubject; got != want {
			t.Fatalf("EventsPerSubject=%d, want %d", got, want)
		}
		if got, want := s.EntriesPerPage(), probity.DefaultEntriesPerPage; got != want {
			t.Fatalf("EntriesPerPage=%d, want %d", got, want)
		}
	})
	t.Run("OK", func(t *testing.T) {
		s := mustParse(t, exampleWith(t, func(s map[string]any) {
			s["limits"] = map[string]any{"events_per_subject": 500, "entries_per_page": 20}
		}))
		if got, want := s.EventsPerSubject(), 500; got != want {
			t.Fatalf("EventsPerSubject=%d, want %d", got, want)
		}
		if got, want := s.EntriesPerPage(), 20; got != want {
			t.Fatalf("EntriesPerPage=%d, want %d", got, want)
		}
		if err := Validate(s); err != nil {
			t.Fatalf("Validate of a parsed spec: %v", err)
		}
	})
	t.Run("OneLeftOut", func(t *testing.T) {
		s := mustParse(t, exampleWith(t, func(s map[string]any) { s["limits"] = map[string]any{"entries_per_page": 20} }))
		if got, want := s.EventsPerSubject(), probity.DefaultEventsPerSubject; got != want {
			t.Fatalf("EventsPerSubject=%d, want %d", got, want)
		}
	})
}

func TestParseRejectsLimitsAndDurations(t *testing.T) {
	limits := func(k string, v any) func(s map[string]any) {
		return func(s map[string]any) { s["limits"] = map[string]any{k: v} }
	}
	for _, tt := range []struct {
		name  string
		edit  func(s map[string]any)
		path  string
		words []string
	}{
		{name: "ErrLimitsNotMapping", edit: func(s map[string]any) { s["limits"] = 10 },
			path: "limits", words: []string{"want a mapping"}},
		{name: "ErrLimitsUnknownKey", edit: limits("events_per_subjects", 10),
			path: "limits.events_per_subjects", words: []string{"unknown key", `did you mean "events_per_subject"?`}},
		{name: "ErrEventsPerSubjectZero", edit: limits("events_per_subject", 0),
			path: "limits.events_per_subject", words: []string{"must be more than 0", "default of 10000"}},
		{name: "ErrEventsPerSubjectNegative", edit: limits("events_per_subject", -1),
			path: "limits.events_per_subject", words: []string{"-1 is out of range", "want 1 to 100000"}},
		{name: "ErrEventsPerSubjectTooMany", edit: limits("events_per_subject", 300000),
			path: "limits.events_per_subject", words: []string{"300000 is out of range", "want 1 to 100000"}},
		{name: "ErrEventsPerSubjectText", edit: limits("events_per_subject", "many"),
			path: "limits.events_per_subject", words: []string{"want a whole number"}},
		{name: "ErrEntriesPerPageZero", edit: limits("entries_per_page", 0),
			path: "limits.entries_per_page", words: []string{"must be more than 0", "default of 100"}},
		{name: "ErrEntriesPerPageTooMany", edit: limits("entries_per_page", 5000),
			path: "limits.entries_per_page", words: []string{"5000 is out of range", "want 1 to 1000"}},
		{name: "ErrExpiresBeyondRange", edit: func(s map[string]any) { event(s, 0)["expires"] = "999999y" },
			path: "events[0].expires", words: []string{"too long", "at most 100y (36500d)"}},
		{name: "ErrExpiresOverflow", edit: func(s map[string]any) { event(s, 0)["expires"] = "50539024328600000y" },
			path: "events[0].expires", words: []string{"too long", "at most 100y"}},
		{name: "ErrExpiresDays", edit: func(s map[string]any) { event(s, 0)["expires"] = "36501d" },
			path: "events[0].expires", words: []string{"too long", "at most 100y (36500d)"}},
		{name: "ErrHalfLife", edit: func(s map[string]any) { event(s, 0)["half_life"] = "101y" },
			path: "events[0].half_life", words: []string{"too long", "at most 100y"}},
		{name: "ErrGrace", edit: func(s map[string]any) { event(s, 1)["grace"] = "1000000d" },
			path: "events[1].grace", words: []string{"too long", "at most 100y"}},
		{name: "ErrNotice", edit: func(s map[string]any) { s["notice"] = "9999y" },
			path: "notice", words: []string{"too long", "at most 100y"}},
		{name: "ErrDisputeSLA", edit: func(s map[string]any) { s["dispute_sla"] = "200y" },
			path: "dispute_sla", words: []string{"too long", "at most 100y"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(exampleWith(t, tt.edit))
			wantProblem(t, wantInvalid(t, err), tt.path, tt.words...)
		})
	}
}

// TestValidateRejectsLimitsAndDurations covers specs built in Go or read
// back from storage, which never pass through the YAML decoder.
func TestValidateRejectsLimitsAndDurations(t *testing.T) {
	for _, tt := range []struct {
		name  string
		edit  func(s *probity.Spec)
		path  string
		words []string
	}{
		{name: "ErrExpires", edit: func(s *probity.Spec) { s.Events[0].Expires = 999999 * 365 },
			path: "events[0].expires", words: []string{"too long", "at most 100y (36500d)", "years 1900 to 2200"}},
		{name: "ErrHalfLife", edit: func(s *probity.Spec) { s.Events[0].HalfLife = probity.MaxDuration + 1 },
			path: "events[0].half_life", words: []string{"at most 100y"}},
		{name: "ErrGrace", edit: func(s *probity.Spec) { s.Events[1].Grace = probity.MaxDuration + 1 },
			path: "events[1].grace", words: []string{"at most 100y"}},
		{name: "ErrGraceNegative", edit: func(s *probity.Spec) { s.Events[1].Grace = -1 },
			path: "events[1].grace", words: []string{"must not be negative"}},
		{name: "ErrNotice", edit: func(s *probity.Spec) { s.Notice = probity.MaxDuration + 1 },
			path: "notice", words: []string{"at most 100y"}},
		{name: "ErrDisputeSLA", edit: func(s *probity.Spec) { s.DisputeSLA = probity.MaxDuration * 2 },
			path: "dispute_sla", words: []string{"at most 100y"}},
		{name: "ErrEventsPerSubject", edit: func(s *probity.Spec) { s.Limits = &probity.Limits{EventsPerSubject: -5} },
			path: "limits.events_per_subject", words: []string{"-5 is out of range", "want 1 to 100000"}},
		{name: "ErrEntriesPerPage", edit: func(s *probity.Spec) { s.Limits = &probity.Limits{EntriesPerPage: 1001} },
			path: "limits.entries_per_page", words: []string{"1001 is out of range", "want 1 to 1000"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, readFile(t, "design_example.yaml"))
			tt.edit(s)
			wantProblem(t, wantInvalid(t, Validate(s)), tt.path, tt.words...)
		})
	}
}

// TestMaxDurationStaysInRange guards the bound itself: today plus the
// longest duration a spec may hold is a time the installation can store.
func TestMaxDurationStaysInRange(t *testing.T) {
	if err := probity.CheckTime("now + MaxDuration", time.Now().Add(probity.MaxDuration.Std())); err != nil {
		t.Fatalf("MaxDuration %s reaches beyond the installation's range: %v", probity.MaxDuration, err)
	}
	if _, err := probity.ParseDuration(probity.MaxDuration.String()); err != nil {
		t.Fatalf("ParseDuration(%s): %v", probity.MaxDuration, err)
	}
}
