package bureau_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

func TestIngest(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		f := newFixture(t)
		f.applyFile(t, lending)
		sum := f.mustIngest(t, "acme.lending", `{"key":"k1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-01-10","fields":{"amount":12000}}
{"key":"k2","type":"payment_late","subject":"`+alice+`","occurred_at":"2026-01-10T08:00:00Z","fields":{"days_late":45}}
{"key":"k3","type":"loan_repaid","subject":"`+acme+`","occurred_at":"2025-02-01","fields":{"amount":500.5}}
`)
		if got, want := sum.Accepted, 3; got != want || !sum.Applied {
			t.Fatalf("Accepted=%d Applied=%v, want %d true", got, sum.Applied, want)
		}
		s := f.score(t, "acme.lending", alice, time.Time{})
		if got, want := len(s.Contributions), 2; got != want {
			t.Fatalf("contributions=%d, want %d", got, want)
		}
	})
	t.Run("Duplicates", func(t *testing.T) {
		f := newFixture(t)
		f.applyFile(t, lending)
		line := `{"key":"k1","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-01-10","fields":{"amount":12000}}` + "\n"
		f.mustIngest(t, "acme.lending", line)
		// The same content, also written differently (1.2e4, RFC 3339 midnight), is a duplicate.
		same := `{"key":"k1","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-01-10T00:00:00Z","fields":{"amount":1.2e4}}` + "\n"
		sum := f.mustIngest(t, "acme.lending", line+same)
		if sum.Accepted != 0 || sum.Duplicates != 2 {
			t.Fatalf("Accepted=%d Duplicates=%d, want 0 2", sum.Accepted, sum.Duplicates)
		}
	})
	t.Run("ErrConflictingDuplicate", func(t *testing.T) {
		f := newFixture(t)
		f.applyFile(t, lending)
		f.mustIngest(t, "acme.lending", `{"key":"k1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-01-10","fields":{"amount":12000}}`)
		sum, err := f.ingest(t, "acme.lending", `{"key":"k9","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-01-11","fields":{"amount":1}}
{"key":"k1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-01-10","fields":{"amount":13000}}`, false)
		if probity.ErrorCode(err) != probity.EINVALID || sum.Applied {
			t.Fatalf("err=%v applied=%v, want EINVALID and nothing applied", err, sum.Applied)
		}
		if got := sum.Errors[0]; got.Line != 2 || !strings.Contains(got.Message, "fields differs") {
			t.Fatalf("error = %+v, want line 2 naming the fields", got)
		}
		// k9 was good but must not have been applied.
		s := f.score(t, "acme.lending", alice, time.Time{})
		if got, want := len(s.Contributions), 1; got != want {
			t.Fatalf("contributions=%d, want %d: a rejected input was half-applied", got, want)
		}
	})
	t.Run("SkipInvalid", func(t *testing.T) {
		f := newFixture(t)
		f.applyFile(t, lending)
		sum, err := f.ingest(t, "acme.lending", `{"key":"k1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-01-10","fields":{"amount":12000}}
{"key":"k2","type":"loan_repaid","subject":"cn-rid:110105194912310021","occurred_at":"2025-01-10","fields":{"amount":1}}
{"key":"k3","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-01-11","fields":{"amount":1}}`, true)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Accepted != 2 || sum.Rejected != 1 || !sum.Applied || sum.Errors[0].Line != 2 {
			t.Fatalf("summary = %+v, want 2 accepted, line 2 rejected, applied", sum)
		}
	})
}

// TestIngestRejections checks that each kind of bad line is rejected with its
// line number and a message that names the field and what is allowed.
func TestIngestRejections(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	f.mustIngest(t, "acme.lending", `{"key":"late-a","type":"payment_late","subject":"`+alice+`","occurred_at":"2026-01-01","fields":{"days_late":40}}
{"key":"repaid-a","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-01-01","fields":{"amount":40}}`)
	future := t0.Add(time.Hour).Format(time.RFC3339)
	tests := []struct {
		name, line, want string
	}{
		{"ErrMissingKey", `{"type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-01-10","fields":{"amount":1}}`, "key: required"},
		{"ErrUnknownType", `{"key":"x","type":"loan_forgiven","subject":"` + alice + `","occurred_at":"2025-01-10"}`, `type: "loan_forgiven" is not an event type`},
		{"ErrCheckDigit", `{"key":"x","type":"loan_repaid","subject":"cn-rid:110105194912310021","occurred_at":"2025-01-10","fields":{"amount":1}}`, "check digit"},
		{"ErrKindNotRated", `{"key":"x","type":"loan_repaid","subject":"` + city + `","occurred_at":"2025-01-10","fields":{"amount":1}}`, "does not rate public_body"},
		{"ErrFutureEvent", `{"key":"x","type":"loan_repaid","subject":"` + alice + `","occurred_at":"` + future + `","fields":{"amount":1}}`, "in the future"},
		{"ErrBadTime", `{"key":"x","type":"loan_repaid","subject":"` + alice + `","occurred_at":"10/01/2025","fields":{"amount":1}}`, "occurred_at:"},
		{"ErrFieldType", `{"key":"x","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-01-10","fields":{"amount":"lots"}}`, "fields.amount"},
		{"ErrMissingField", `{"key":"x","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-01-10","fields":{}}`, "amount"},
		{"ErrIdentifierInKey", `{"key":"loan-11010519491231002X","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-01-10","fields":{"amount":1}}`, "identifier"},
		{"ErrCureUnknown", `{"key":"x","type":"payment_settled","subject":"` + alice + `","occurred_at":"2026-01-05","cures":"nope"}`, `cures: no event with key "nope"`},
		{"ErrCureWrongType", `{"key":"x","type":"payment_settled","subject":"` + alice + `","occurred_at":"2026-01-05","cures":"repaid-a"}`, "cannot cure a loan_repaid"},
		{"ErrCureOtherSubject", `{"key":"x","type":"payment_settled","subject":"` + bob + `","occurred_at":"2026-01-05","cures":"late-a"}`, "another subject"},
		{"ErrCureBefore", `{"key":"x","type":"payment_settled","subject":"` + alice + `","occurred_at":"2025-12-01","cures":"late-a"}`, "before the event it cures"},
		{"ErrDecode", `{"key":"x",`, "invalid JSON"},
		{"ErrAncientDate", `{"key":"x","type":"loan_repaid","subject":"` + alice + `","occurred_at":"1600-01-01","fields":{"amount":1}}`, "years 1900 to 2200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := `{"key":"good","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-01-10","fields":{"amount":1}}` + "\n" + tt.line + "\n"
			sum, err := f.ingest(t, "acme.lending", input, false)
			if probity.ErrorCode(err) != probity.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
			if len(sum.Errors) != 1 || sum.Errors[0].Line != 2 || !strings.Contains(sum.Errors[0].Message, tt.want) {
				t.Fatalf("errors = %+v, want one on line 2 containing %q", sum.Errors, tt.want)
			}
			if sum.Applied {
				t.Fatal("applied despite a bad line")
			}
		})
	}
	t.Run("ErrUnknownDomain", func(t *testing.T) {
		_, err := f.ingest(t, "no.such", `{"key":"x"}`, false)
		if probity.ErrorCode(err) != probity.ENOTFOUND {
			t.Fatalf("err = %v, want ENOTFOUND", err)
		}
	})
	t.Run("EveryBadLineListed", func(t *testing.T) {
		var b strings.Builder
		for i := range 50 {
			fmt.Fprintf(&b, `{"key":"bad-%d","type":"nope","subject":"%s","occurred_at":"2025-01-10"}`+"\n", i, alice)
		}
		sum, _ := f.ingest(t, "acme.lending", b.String(), false)
		if sum.Rejected != 50 || len(sum.Errors) != 50 || sum.Errors[49].Line != 50 {
			t.Fatalf("rejected=%d listed=%d, want 50 and 50", sum.Rejected, len(sum.Errors))
		}
	})
}

func TestIngestCSV(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	sum := f.mustIngest(t, "acme.lending", "key,type,subject,occurred_at,cures,amount,days_late\n"+
		"c1,loan_repaid,"+alice+",2025-01-10,,12000,\n"+
		"c2,payment_late,"+alice+",2026-05-01,,,31\n"+
		"c3,payment_settled,"+alice+",2026-05-10,c2,,\n")
	if sum.Accepted != 3 {
		t.Fatalf("Accepted=%d, want 3", sum.Accepted)
	}
	s := f.score(t, "acme.lending", alice, time.Time{})
	if got, want := len(s.Cured), 1; got != want {
		t.Fatalf("cured=%d, want %d (c3 cures c2 within grace)", got, want)
	}
}

// TestIngestCureOfConflict: a cure names the stored event with its key, never
// a rejected line that reused that key for another subject.
func TestIngestCureOfConflict(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	f.mustIngest(t, "acme.lending", `{"key":"K1","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2026-01-01","fields":{"amount":40}}`)
	sum, err := f.ingest(t, "acme.lending", `{"key":"K1","type":"payment_late","subject":"`+bob+`","occurred_at":"2026-01-02","fields":{"days_late":40}}
{"key":"K2","type":"payment_settled","subject":"`+bob+`","occurred_at":"2026-01-05","cures":"K1"}`, true)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Accepted != 0 || sum.Rejected != 2 {
		t.Fatalf("summary = %+v, want both lines rejected (a conflict, and a cure of another subject's event)", sum)
	}
}
