package bench

import (
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/probity-dev/probity"
)

// Population is the bench's deterministic synthetic population: subjects
// person:b00000001, person:b00000002, ... each with exactly EventsPerSubject
// events in every domain, occurring over the six years before Anchor. The
// same fields always give the same events, whatever order they are asked in.
type Population struct {
	Subjects         int
	EventsPerSubject int
	Domains          int
	Seed             uint64
	Anchor           time.Time
}

// historySeconds is how far back histories go: six years.
const historySeconds = 6 * 365 * 24 * 60 * 60

// Event mix, in percent: late payments are the adverse entries.
const (
	latePercent   = 15
	openedPercent = 10
)

// Subject returns the identifier of subject i (0-based).
func (p Population) Subject(i int) string { return fmt.Sprintf("person:b%08d", i+1) }

// Events returns the events of subject i in the domain with index d.
func (p Population) Events(d, i int) []probity.EventInput {
	r := rand.New(rand.NewPCG(p.Seed, uint64(d)<<40|uint64(i)))
	subject := p.Subject(i)
	out := make([]probity.EventInput, p.EventsPerSubject)
	for j := range out {
		at := p.Anchor.Add(-time.Duration(r.Int64N(historySeconds)) * time.Second)
		e := probity.EventInput{
			Key:        fmt.Sprintf("e%d", i*p.EventsPerSubject+j), // opaque: no identifier in keys
			Subject:    subject,
			OccurredAt: at.UTC().Format(time.RFC3339),
		}
		switch k := r.IntN(100); {
		case k < latePercent:
			e.Type, e.Fields = "payment_late", map[string]any{"days_late": int64(1 + r.IntN(120))}
		case k < latePercent+openedPercent:
			e.Type, e.Fields = "account_opened", map[string]any{}
		default:
			e.Type, e.Fields = "loan_repaid", map[string]any{"amount": float64(1000+r.IntN(500000)) / 100}
		}
		out[j] = e
	}
	return out
}

// Chunk returns the events of subjects [from, to) in domain d, numbered as
// lines of one input.
func (p Population) Chunk(d, from, to int) []probity.EventInput {
	out := make([]probity.EventInput, 0, (to-from)*p.EventsPerSubject)
	for i := from; i < to; i++ {
		out = append(out, p.Events(d, i)...)
	}
	for i := range out {
		out[i].Line = i + 1
	}
	return out
}

// Total is the number of events of the population.
func (p Population) Total() int { return p.Subjects * p.EventsPerSubject * p.Domains }

// chunkEvents is about how many events one ingest call carries: one
// transaction each, as a reporter would send a day's file.
const chunkEvents = 50000

// chunks calls fn with the events of every domain, a chunk of subjects at a
// time, in order.
func (p Population) chunks(fn func(d int, inputs []probity.EventInput) error) error {
	per := max(1, chunkEvents/max(1, p.EventsPerSubject))
	for d := range p.Domains {
		for from := 0; from < p.Subjects; from += per {
			if err := fn(d, p.Chunk(d, from, min(from+per, p.Subjects))); err != nil {
				return err
			}
		}
	}
	return nil
}

// sliceReader replays prepared inputs, so that ingest is measured and not
// the generation of the population.
type sliceReader struct {
	inputs []probity.EventInput
	i      int
}

// Next returns the next input, or io.EOF.
func (r *sliceReader) Next() (probity.EventInput, error) {
	if r.i == len(r.inputs) {
		return probity.EventInput{}, io.EOF
	}
	r.i++
	return r.inputs[r.i-1], nil
}
