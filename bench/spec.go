package bench

import (
	_ "embed"
	"fmt"
	"strings"
)

// lendingYAML is version 1 of the bench's domain spec.
//
//go:embed lending.yaml
var lendingYAML string

// DomainID is the id of the bench's first domain; with several domains the
// others are copies with the same rules, named DomainID-2, DomainID-3, ...
const DomainID = "bench.lending"

// Purpose is the purpose every score read of the bench states.
const Purpose = "credit_application"

// The points of loan_repaid in version 1 and in version 2, the spec change
// the rescoring scenario applies: repayments earn more.
const (
	repaidV1 = `points: "amount > 1000.0 ? 10.0 : 5.0"`
	repaidV2 = `points: "amount > 1000.0 ? 12.0 : 6.0"`
)

// domainIDs returns the ids of n bench domains.
func domainIDs(n int) []string {
	ids := []string{DomainID}
	for i := 2; i <= n; i++ {
		ids = append(ids, fmt.Sprintf("%s-%d", DomainID, i))
	}
	return ids
}

// specSource returns the YAML of a version (1 or 2) of the bench spec as
// the domain id.
func specSource(id string, version int) []byte {
	s := strings.Replace(lendingYAML, "id: "+DomainID+"\n", "id: "+id+"\n", 1)
	if version == 2 {
		s = strings.Replace(s, repaidV1, repaidV2, 1)
	}
	return []byte(s)
}

// plainRules are the bench spec's points written in plain Go, as a program
// without a rules engine would hard-code them: the baseline of rescoring.
type plainRules struct{ repaidHigh, repaidLow float64 }

// plainV2 are the rules of version 2.
var plainV2 = plainRules{repaidHigh: 12, repaidLow: 6}

// points returns the raw points of an event from its fields as decoded from
// JSON (numbers are float64).
func (p plainRules) points(typ string, fields map[string]any) (float64, error) {
	switch typ {
	case "loan_repaid":
		amount, ok := fields["amount"].(float64)
		if !ok {
			return 0, fmt.Errorf("loan_repaid without a numeric amount")
		}
		if amount > 1000 {
			return p.repaidHigh, nil
		}
		return p.repaidLow, nil
	case "payment_late":
		days, ok := fields["days_late"].(float64)
		switch {
		case !ok:
			return 0, fmt.Errorf("payment_late without a numeric days_late")
		case days >= 90:
			return -80, nil
		case days >= 30:
			return -40, nil
		}
		return -15, nil
	case "account_opened":
		return 2, nil
	}
	return 0, fmt.Errorf("%q is not an event type of the bench spec", typ)
}
