package spec

import (
	"strings"
	"testing"
)

// lateRule is a valid adverse rule to build rejections from.
const lateRule = `  - type: payment_late
    basis: repayment
    fields: {days_late: int}
    points: "days_late > 30 ? -10.0 : -5.0"
    expires: 7y
    code: L01
    reason: Late payments
`

// costly loops over a 100-element list inside a loop over it.
var costly = "[" + strings.Repeat("1,", 99) + "1].all(x, [" + strings.Repeat("1,", 99) +
	"1].all(y, x == y)) ? 1.0 : 0.0"

func TestParseRejects(t *testing.T) {
	for _, tt := range []struct {
		name  string
		src   []byte
		edit  func(s map[string]any) // applied to the example when src is nil
		path  string
		words []string
	}{
		{name: "ErrEmpty", src: []byte(" \n"), path: "spec", words: []string{"empty"}},
		{name: "ErrNotYAML", src: []byte("id: [\n"), path: "spec", words: []string{"not valid YAML or JSON"}},
		{name: "ErrNotMapping", src: []byte("- id\n"), path: "spec", words: []string{"want a mapping with keys id, name", "got a list"}},
		{name: "ErrTwoDocuments", src: append(readFile(t, "design_example.yaml"), "---\nid: x\n"...), path: "spec",
			words: []string{"more than one YAML document"}},
		{name: "ErrDuplicateKey", src: append([]byte("name: Other\n"), readFile(t, "design_example.yaml")...),
			path: "name", words: []string{`duplicate key "name"`}},
		{name: "ErrAlias", src: []byte("id: &i acme.x\nname: *i\n"), path: "name", words: []string{"alias"}},
		{name: "ErrUnknownKey", edit: func(s map[string]any) { s["colour"] = "red" },
			path: "colour", words: []string{`unknown key "colour"`, "allowed: id, name, owner"}},
		{name: "ErrUnknownEventKey", edit: func(s map[string]any) { event(s, 1)["weight"] = 2 },
			path: "events[1].weight", words: []string{`unknown key "weight"`, "allowed: type, basis, fields"}},
		{name: "ErrUnknownKeySuggests", edit: func(s map[string]any) { event(s, 0)["expire"] = "1y" },
			path: "events[0].expire", words: []string{`did you mean "expires"?`}},
		{name: "ErrMissingKey", edit: func(s map[string]any) { delete(s, "owner") },
			path: "owner", words: []string{"required"}},
		{name: "ErrMissingEventKey", edit: func(s map[string]any) { delete(event(s, 2), "code") },
			path: "events[2].code", words: []string{"required"}},
		{name: "ErrListForMapping", edit: func(s map[string]any) { s["score"] = []any{1, 2} },
			path: "score", words: []string{"want a mapping, got a list"}},
		{name: "ErrTextForWholeNumber", edit: func(s map[string]any) { s["score"].(map[string]any)["base"] = "high" },
			path: "score.base", words: []string{"want a whole number", `"high"`}},
		{name: "ErrFractionForInt", edit: func(s map[string]any) { s["score"].(map[string]any)["base"] = 600.5 },
			path: "score.base", words: []string{"want a whole number", "600.5"}},
		{name: "ErrMappingForText", edit: func(s map[string]any) { s["name"] = map[string]any{"en": "x"} },
			path: "name", words: []string{"want text, got a mapping"}},
		{name: "ErrNullRequired", edit: func(s map[string]any) { s["name"] = nil },
			path: "name", words: []string{"required, got null"}},
		{name: "ErrTextForNumber", edit: func(s map[string]any) { s["officials"] = map[string]any{"penalty_factor": "two"} },
			path: "officials.penalty_factor", words: []string{"want a finite number", `"two"`}},
		{name: "ErrTooLarge", src: append(readFile(t, "design_example.yaml"), strings.Repeat("#", MaxSourceSize)...),
			path: "spec", words: []string{"too large", "at most 1048576 bytes"}},
		{name: "ErrBadID", edit: func(s map[string]any) { s["id"] = "Acme Lending" },
			path: "id", words: []string{`"Acme Lending" is not a domain id`}},
		{name: "ErrIDTrailingDot", edit: func(s map[string]any) { s["id"] = "acme.lending." },
			path: "id", words: []string{`"acme.lending." is not a domain id`, "separated by single dots"}},
		{name: "ErrIDDoubleDot", edit: func(s map[string]any) { s["id"] = "acme..lending" },
			path: "id", words: []string{`"acme..lending" is not a domain id`, "separated by single dots"}},
		{name: "ErrIDTrailingHyphen", edit: func(s map[string]any) { s["id"] = "acme.lending-" },
			path: "id", words: []string{`"acme.lending-" is not a domain id`, "ending with a letter or digit"}},
		{name: "ErrIDLeadingDot", edit: func(s map[string]any) { s["id"] = ".acme" },
			path: "id", words: []string{`".acme" is not a domain id`}},
		{name: "ErrIDLabelLeadingHyphen", edit: func(s map[string]any) { s["id"] = "acme.-lending" },
			path: "id", words: []string{`"acme.-lending" is not a domain id`}},
		{name: "ErrIDTooLong", edit: func(s map[string]any) { s["id"] = strings.Repeat("a", 64) },
			path: "id", words: []string{"is not a domain id", "2-63"}},
		{name: "ErrUnknownCategory", edit: func(s map[string]any) { s["category"] = "social" },
			path: "category", words: []string{`"social" is not a category`, "allowed: finance, tax"}},
		{name: "ErrUnknownBasis", edit: func(s map[string]any) { event(s, 1)["basis"] = "political_opinion" },
			path: "events[1].basis", words: []string{`"political_opinion" is not a lawful basis`, "allowed: repayment, contract"}},
		{name: "ErrUnknownLawfulBasis", edit: func(s map[string]any) { s["lawful_basis"] = "legitimate_interest" },
			path: "lawful_basis", words: []string{`"legitimate_interest"`, "allowed: consent, contract, legal_obligation, public_task"}},
		{name: "ErrUnknownSubjectKind", edit: func(s map[string]any) { s["subjects"] = []any{"person", "citizen"} },
			path: "subjects[1]", words: []string{`"citizen" is not a subject kind`, "allowed: person, organization, public_body"}},
		{name: "ErrDuplicateSubject", edit: func(s map[string]any) { s["subjects"] = []any{"person", "person"} },
			path: "subjects[1]", words: []string{`duplicate "person"`}},
		{name: "ErrNoSubjects", edit: func(s map[string]any) { s["subjects"] = []any{} },
			path: "subjects", words: []string{"required"}},
		{name: "ErrUnknownPenalties", edit: func(s map[string]any) { s["penalties"] = "persons_only" },
			path: "penalties", words: []string{"allowed: all, organizations_only"}},
		{name: "ErrOptOutNotAllowedWithConsent", edit: func(s map[string]any) {
			s["lawful_basis"] = "consent"
			s["opt_out"] = "not_allowed"
		}, path: "opt_out", words: []string{"only allowed with lawful_basis legal_obligation or public_task", "consent"}},
		{name: "ErrBadPurpose", edit: func(s map[string]any) { s["purposes"] = []any{"Credit Check"} },
			path: "purposes[0]", words: []string{`"Credit Check" is not a purpose name`}},
		{name: "ErrBadDuration", edit: func(s map[string]any) { s["notice"] = "30 days" },
			path: "notice", words: []string{`"30 days" is not a duration`, "30d or 7y"}},
		{name: "ErrDurationTooLong", edit: func(s map[string]any) { event(s, 0)["expires"] = "101y" },
			path: "events[0].expires", words: []string{"at most 100y"}},
		{name: "ErrZeroDisputeSLA", edit: func(s map[string]any) { s["dispute_sla"] = "0d" },
			path: "dispute_sla", words: []string{"must be more than 0"}},
		{name: "ErrZeroHalfLife", edit: func(s map[string]any) { event(s, 0)["half_life"] = "0d" },
			path: "events[0].half_life", words: []string{"must be more than 0"}},
		{name: "ErrNegativeCap", edit: func(s map[string]any) { event(s, 1)["cap"] = -5 },
			path: "events[1].cap", words: []string{"must be more than 0"}},
		{name: "ErrPenaltyFactor", edit: func(s map[string]any) { s["officials"] = map[string]any{"penalty_factor": 0.5} },
			path: "officials.penalty_factor", words: []string{"want 1 to 10"}},
		{name: "ErrBaseOutOfRange", edit: func(s map[string]any) { s["score"].(map[string]any)["base"] = 1000 },
			path: "score.base", words: []string{"1000 is outside the score range", "min 300 and max 900"}},
		{name: "ErrMinNotBelowMax", edit: func(s map[string]any) { s["score"].(map[string]any)["max"] = 300 },
			path: "score.max", words: []string{"must be more than score.min"}},
		{name: "ErrNegativeMinEvents", edit: func(s map[string]any) { s["score"].(map[string]any)["min_events"] = -1 },
			path: "score.min_events", words: []string{"must not be negative"}},
		{name: "ErrGradesOutOfOrder", edit: func(s map[string]any) {
			g := s["grades"].([]any)
			g[1], g[2] = g[2], g[1]
		}, path: "grades[2].min", words: []string{"grades out of order", "650 is not below 500"}},
		{name: "ErrGradeOutOfRange", edit: func(s map[string]any) { s["grades"].([]any)[3].(map[string]any)["min"] = 200 },
			path: "grades[3].min", words: []string{"200 is outside the score range"}},
		{name: "ErrDuplicateGrade", edit: func(s map[string]any) { s["grades"].([]any)[1].(map[string]any)["grade"] = "A" },
			path: "grades[1].grade", words: []string{`duplicate grade "A"`}},
		{name: "ErrNoGrades", edit: func(s map[string]any) { s["grades"] = []any{} },
			path: "grades", words: []string{"required"}},
		{name: "ErrNoEvents", edit: func(s map[string]any) { s["events"] = []any{} },
			path: "events", words: []string{"required"}},
		{name: "ErrBadEventType", edit: func(s map[string]any) { event(s, 0)["type"] = "Loan Repaid" },
			path: "events[0].type", words: []string{`"Loan Repaid" is not an event type name`}},
		{name: "ErrDuplicateEventType", edit: func(s map[string]any) { event(s, 2)["type"] = "loan_repaid" },
			path: "events[2].type", words: []string{`duplicate event type "loan_repaid"`}},
		{name: "ErrBadCode", edit: func(s map[string]any) { event(s, 1)["code"] = "late-1" },
			path: "events[1].code", words: []string{`"late-1" is not a reason code`}},
		{name: "ErrBlankReason", edit: func(s map[string]any) { event(s, 1)["reason"] = " " },
			path: "events[1].reason", words: []string{"required"}},
		{name: "ErrUnknownFieldType", edit: func(s map[string]any) { event(s, 0)["fields"] = map[string]any{"amount": "float"} },
			path: "events[0].fields.amount", words: []string{`"float" is not a field type`, "allowed: number, int, bool, string, date"}},
		{name: "ErrBadFieldName", edit: func(s map[string]any) { event(s, 2)["fields"] = map[string]any{"Amount": "number"} },
			path: "events[2].fields.Amount", words: []string{`"Amount" is not a field name`}},
		{name: "ErrReservedFieldName", edit: func(s map[string]any) { event(s, 2)["fields"] = map[string]any{"in": "int"} },
			path: "events[2].fields.in", words: []string{"reserved word in CEL"}},
		{name: "ErrProtectedType", edit: func(s map[string]any) { event(s, 2)["type"] = "petition_signed" },
			path: "events[2].type", words: []string{`"petition_signed" is a protected input`, "petitions and complaints", "P2 forbids"}},
		{name: "ErrProtectedField", edit: func(s map[string]any) {
			event(s, 2)["fields"] = map[string]any{"church_attendance": "int"}
		}, path: "events[2].fields.church_attendance", words: []string{"protected input", "religion"}},
		{name: "ErrProtectedBenefit", edit: func(s map[string]any) { s["benefits"] = map[string]any{"travel_permit": "score > 700"} },
			path: "benefits.travel_permit", words: []string{"protected input", "location and movement"}},
		{name: "ErrProtectedLiteral", src: minimal(`  - type: donation
    basis: contract
    fields: {recipient: string}
    points: "recipient == 'opposition party members' ? 1.0 : 0.0"
    code: D01
    reason: Donation
`, ""), path: "events[0].points", words: []string{"protected input", "political"}},
		{name: "ErrTimeZone", src: minimal(`  - type: account_opened
    basis: contract
    fields: {opened: date}
    points: "opened.getDayOfWeek('Europe/Paris') == 0 ? 1.0 : 0.0"
    code: A01
    reason: Opened
`, ""), path: "events[0].points", words: []string{"getDayOfWeek with a time zone", "dates are UTC"}},
		{name: "ErrAdverseWithoutExpires", edit: func(s map[string]any) { delete(event(s, 1), "expires") },
			path: "events[1].expires", words: []string{"required for an adverse rule", "no entry may count forever"}},
		{name: "ErrNumberFieldPointsWithoutExpires", src: minimal(`  - type: balance_reported
    basis: contract
    fields: {balance: number}
    points: "balance / 1000.0"
    code: B01
    reason: Balance
`, ""), path: "events[0].expires", words: []string{"required for an adverse rule"}},
		{name: "ErrGraceOnNonAdverse", edit: func(s map[string]any) { event(s, 0)["grace"] = "30d" },
			path: "events[0].grace", words: []string{"only an adverse rule", "grace"}},
		{name: "ErrCuredByOnNonAdverse", edit: func(s map[string]any) { event(s, 0)["cured_by"] = []any{"payment_settled"} },
			path: "events[0].cured_by", words: []string{"only an adverse rule"}},
		{name: "ErrCuredByUnknown", edit: func(s map[string]any) { event(s, 1)["cured_by"] = []any{"payment_made"} },
			path: "events[1].cured_by[0]", words: []string{`"payment_made" is not an event type of this spec`, "declared: loan_repaid"}},
		{name: "ErrCuredBySelf", edit: func(s map[string]any) { event(s, 1)["cured_by"] = []any{"payment_late"} },
			path: "events[1].cured_by[0]", words: []string{"cannot cure itself"}},
		{name: "ErrPointsNotDouble", edit: func(s map[string]any) { event(s, 2)["points"] = "10" },
			path: "events[2].points", words: []string{"must be a double (e.g. 10.0, not 10); got int"}},
		{name: "ErrPointsSyntax", edit: func(s map[string]any) { event(s, 2)["points"] = "10.0 +" },
			path: "events[2].points", words: []string{"Syntax error"}},
		{name: "ErrUndeclaredField", edit: func(s map[string]any) { event(s, 0)["points"] = "amout > 1.0 ? 1.0 : 0.0" },
			path: "events[0].points", words: []string{"undeclared reference to 'amout'"}},
		{name: "ErrPointsTooCostly", edit: func(s map[string]any) { event(s, 2)["points"] = costly },
			path: "events[2].points", words: []string{"too costly", "at most 10000"}},
		{name: "ErrStringWorkTooCostly", src: minimal(`  - type: note_added
    basis: contract
    fields: {note: string}
    points: "[`+strings.Repeat("note,", 99)+`note].all(n, n.matches(note)) ? 1.0 : 0.0"
    code: N01
    reason: Note
`, ""), path: "events[0].points", words: []string{"too costly"}},
		{name: "ErrPointsTooLong", edit: func(s map[string]any) { event(s, 2)["points"] = strings.Repeat("1.0+", 1100) + "1.0" },
			path: "events[2].points", words: []string{"too long", "at most 4096"}},
		{name: "ErrPointsAlwaysFail", edit: func(s map[string]any) { event(s, 2)["points"] = "double(1 / 0)" },
			path: "events[2].points", words: []string{"always fails", "division by zero"}},
		{name: "ErrPointsNotFinite", edit: func(s map[string]any) { event(s, 2)["points"] = "1.0 / 0.0" },
			path: "events[2].points", words: []string{"not a finite number"}},
		{name: "ErrBadBenefitName", edit: func(s map[string]any) { s["benefits"] = map[string]any{"Deposit": "true"} },
			path: "benefits.Deposit", words: []string{`"Deposit" is not a benefit name`}},
		{name: "ErrBenefitNotBool", edit: func(s map[string]any) { s["benefits"] = map[string]any{"deposit_waived": "score"} },
			path: "benefits.deposit_waived", words: []string{"must be a bool", "got int"}},
		{name: "ErrBenefitUnknownVariable", edit: func(s map[string]any) {
			s["benefits"] = map[string]any{"deposit_waived": "status == 'rated'"}
		}, path: "benefits.deposit_waived", words: []string{"undeclared reference to 'status'"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.src
			if src == nil {
				src = exampleWith(t, tt.edit)
			}
			_, err := Parse(src)
			wantProblem(t, wantInvalid(t, err), tt.path, tt.words...)
		})
	}
}

func TestProtected(t *testing.T) {
	for _, tt := range []struct {
		name, category string
	}{
		{"petition_signed", "petitions and complaints to authorities"},
		{"complaint_filed", "petitions and complaints to authorities"},
		{"political_donation", "political opinions and activity"},
		{"votes_cast", "political opinions and activity"},
		{"party_membership", "political opinions and activity"},
		{"church_attendance", "religion and belief"},
		{"ethnic_origin", "ethnic origin and nationality"},
		{"races", "ethnic origin and nationality"},
		{"health_check", "health and genetic data"},
		{"covid19_test", "health and genetic data"},
		{"union_member", "trade union membership"},
		{"sexual_orientation", "sex life and sexual orientation"},
		{"fingerprint_match", "biometric data"},
		{"gps_fix", "location and movement"},
		{"travel_abroad", "location and movement"},
		{"friend_count", "social relationships and social media"},
		{"wechat_posts", "social relationships and social media"},
		{"alcohol_purchase", "lifestyle and purchases"},
		{"gaming_hours", "lifestyle and purchases"},
		{"grace_extended", ""},
		{"trace_number", ""},
		{"contract_signed", ""},
		{"third_party_collection", ""},
		{"credit_union_loan", ""},
		{"face_value", ""},
		{"audit_opinion_qualified", ""},
		{"national_id_checked", ""},
		{"loan_repaid", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := protected(tt.name); got != tt.category {
				t.Fatalf("protected(%q)=%q, want %q", tt.name, got, tt.category)
			}
		})
	}
}
