package audit_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/probity-dev/probity"
	_ "modernc.org/sqlite"
)

// eventRow is a stored event, read behind Probity's back.
type eventRow struct {
	domain, key, typ, kind, fields, cures string
	pseudonym, points                     []byte
	occurred, recorded                    int64
}

const eventColumns = `domain, key, pseudonym, type, kind, occurred_at, recorded_at, fields, cures, points`

func (e *eventRow) name() string { return "event " + e.domain + "/" + e.key }

func (e *eventRow) values() []any {
	return []any{e.domain, e.key, e.pseudonym, e.typ, e.kind, e.occurred, e.recorded, e.fields, e.cures, e.points}
}

// eventAt returns the n-th event in key order.
func eventAt(db *rawDB, n int) (*eventRow, error) {
	e := &eventRow{}
	err := db.QueryRow(`SELECT `+eventColumns+` FROM events ORDER BY domain, key LIMIT 1 OFFSET ?`, n).
		Scan(&e.domain, &e.key, &e.pseudonym, &e.typ, &e.kind, &e.occurred, &e.recorded, &e.fields, &e.cures, &e.points)
	return e, err
}

func nthEvent(tb testing.TB, db *rawDB, n int) *eventRow {
	tb.Helper()
	e, err := eventAt(db, n)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func randomEvent(r *rand.Rand, db *rawDB) (*eventRow, error) {
	n, err := count(db, "events")
	if err != nil {
		return nil, err
	}
	return eventAt(db, r.IntN(n))
}

// editEvent sets one column of a random event to what edit returns.
func editEvent(column string, edit func(r *rand.Rand, db *rawDB, e *eventRow) (old, new any, err error)) func(*rand.Rand, *rawDB) (change, error) {
	return func(r *rand.Rand, db *rawDB) (change, error) {
		e, err := randomEvent(r, db)
		if err != nil {
			return change{}, err
		}
		old, nv, err := edit(r, db, e)
		if err != nil {
			return change{}, err
		}
		if err := exec1(db, `UPDATE events SET `+column+` = ? WHERE domain = ? AND key = ?`, nv, e.domain, e.key); err != nil {
			return change{}, err
		}
		return change{fmt.Sprintf("%s: %s %s → %s", e.name(), column, show(old), show(nv)), e.name() + ":"}, nil
	}
}

func encodePoints(points []probity.Points) []byte {
	var buf []byte
	for _, p := range points {
		buf = binary.BigEndian.AppendUint32(buf, uint32(p.Version))
		buf = binary.BigEndian.AppendUint64(buf, math.Float64bits(p.Raw))
	}
	return buf
}

func decodePoints(buf []byte) []probity.Points {
	var out []probity.Points
	for i := 0; i+12 <= len(buf); i += 12 {
		out = append(out, probity.Points{Version: int(binary.BigEndian.Uint32(buf[i:])), Raw: math.Float64frombits(binary.BigEndian.Uint64(buf[i+4:]))})
	}
	return out
}

// editPoints changes one (version, raw) pair of a random event.
func editPoints(edit func(r *rand.Rand, p *probity.Points)) func(*rand.Rand, *rawDB) (change, error) {
	return editEvent("points", func(r *rand.Rand, _ *rawDB, e *eventRow) (any, any, error) {
		points := decodePoints(e.points)
		if len(points) == 0 {
			return nil, nil, errNoop
		}
		old := slices.Clone(points)
		edit(r, &points[r.IntN(len(points))])
		return old, encodePoints(points), nil
	})
}

// swapEvents exchanges one column between two random events that differ in it.
func swapEvents(column string, get func(*eventRow) any) func(*rand.Rand, *rawDB) (change, error) {
	return func(r *rand.Rand, db *rawDB) (change, error) {
		a, err := randomEvent(r, db)
		if err != nil {
			return change{}, err
		}
		b, err := randomEvent(r, db)
		if err != nil {
			return change{}, err
		}
		if fmt.Sprint(get(a)) == fmt.Sprint(get(b)) {
			return change{}, errNoop
		}
		for _, s := range []struct{ to, from *eventRow }{{a, b}, {b, a}} {
			if err := exec1(db, `UPDATE events SET `+column+` = ? WHERE domain = ? AND key = ?`, get(s.from), s.to.domain, s.to.key); err != nil {
				return change{}, err
			}
		}
		return change{fmt.Sprintf("%s and %s: %s swapped (%v, %v)", a.name(), b.name(), column, get(a), get(b)), a.name() + ":"}, nil
	}
}

func eventTampers() []tamper {
	return []tamper{
		{"events.type", editEvent("type", func(r *rand.Rand, _ *rawDB, e *eventRow) (any, any, error) {
			t := pick(r, "loan_repaid", "payment_late", "payment_settled", "loan_default", "default_settled", "loan_forgiven")
			if t == e.typ {
				return nil, nil, errNoop
			}
			return e.typ, t, nil
		})},
		{"events.occurred_at", editEvent("occurred_at", func(r *rand.Rand, _ *rawDB, e *eventRow) (any, any, error) {
			return e.occurred, shift(r, e.occurred), nil
		})},
		{"events.recorded_at", editEvent("recorded_at", func(r *rand.Rand, _ *rawDB, e *eventRow) (any, any, error) {
			return e.recorded, shift(r, e.recorded), nil
		})},
		{"events.fields", editEvent("fields", func(r *rand.Rand, _ *rawDB, e *eventRow) (any, any, error) {
			fields, _, err := mutateJSON(r, e.fields)
			return e.fields, fields, err
		})},
		{"events.cures", editEvent("cures", func(r *rand.Rand, db *rawDB, e *eventRow) (any, any, error) {
			other, err := randomEvent(r, db)
			if err != nil {
				return nil, nil, err
			}
			cures := other.key
			if e.cures != "" && r.IntN(2) == 0 {
				cures = ""
			}
			if cures == e.cures {
				return nil, nil, errNoop
			}
			return e.cures, cures, nil
		})},
		{"events.kind", editEvent("kind", func(r *rand.Rand, _ *rawDB, e *eventRow) (any, any, error) {
			kind := map[string]string{"person": "organization", "organization": "person"}[e.kind]
			return e.kind, kind, nil
		})},
		{"events.pseudonym", editEvent("pseudonym", func(r *rand.Rand, _ *rawDB, e *eventRow) (any, any, error) {
			return fmt.Sprintf("%x", e.pseudonym), flipByte(r, e.pseudonym), nil
		})},
		{"events.points.raw", editPoints(func(r *rand.Rand, p *probity.Points) {
			p.Raw += pick(r, 1, -1, 0.5, -10, 100, 1e-9)
		})},
		{"events.points.version", editPoints(func(r *rand.Rand, p *probity.Points) {
			p.Version += 1 + r.IntN(3)
		})},
		{"events.key", func(r *rand.Rand, db *rawDB) (change, error) {
			e, err := randomEvent(r, db)
			if err != nil {
				return change{}, err
			}
			orig, old := e.name(), e.key
			e.key += string(alnum[r.IntN(len(alnum))])
			return change{fmt.Sprintf("%s: key changed to %s", orig, e.key), e.name() + ":"},
				exec1(db, `UPDATE events SET key = ? WHERE domain = ? AND key = ?`, e.key, e.domain, old)
		}},
		{"events.delete", func(r *rand.Rand, db *rawDB) (change, error) {
			e, err := randomEvent(r, db)
			if err != nil {
				return change{}, err
			}
			name, err := eventLeafName(db, e)
			if err != nil {
				return change{}, err
			}
			return change{e.name() + ": deleted", name}, exec1(db, `DELETE FROM events WHERE domain = ? AND key = ?`, e.domain, e.key)
		}},
		{"events.insert", func(r *rand.Rand, db *rawDB) (change, error) {
			e, err := randomEvent(r, db)
			if err != nil {
				return change{}, err
			}
			orig := e.name()
			e.key += "-forged"
			err = exec1(db, `INSERT INTO events (`+eventColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.values()...)
			return change{e.name() + ": inserted, a copy of " + orig, e.name() + ":"}, err
		}},
		{"events.swap.fields", swapEvents("fields", func(e *eventRow) any { return e.fields })},
		{"events.swap.points", swapEvents("points", func(e *eventRow) any { return e.points })},
	}
}
