package audit_test

import (
	"fmt"
	"math/rand/v2"

	_ "modernc.org/sqlite"
)

// specRow is a stored spec version.
type specRow struct {
	domain             string
	version            int
	digest, spec       string
	applied, effective int64
}

func randomSpec(r *rand.Rand, db *rawDB) (*specRow, error) {
	n, err := count(db, "spec_versions")
	if err != nil {
		return nil, err
	}
	s := &specRow{}
	err = db.QueryRow(`SELECT domain, version, digest, applied_at, effective_at, spec FROM spec_versions ORDER BY domain, version LIMIT 1 OFFSET ?`, r.IntN(n)).
		Scan(&s.domain, &s.version, &s.digest, &s.applied, &s.effective, &s.spec)
	return s, err
}

func specName(domain string, version int) string {
	return fmt.Sprintf("spec %s version %d:", domain, version)
}

// editSpec sets one column of a random spec version to what edit returns.
func editSpec(column string, edit func(r *rand.Rand, s *specRow) (old, new any, err error)) func(*rand.Rand, *rawDB) (change, error) {
	return func(r *rand.Rand, db *rawDB) (change, error) {
		s, err := randomSpec(r, db)
		if err != nil {
			return change{}, err
		}
		old, nv, err := edit(r, s)
		if err != nil {
			return change{}, err
		}
		if err := exec1(db, `UPDATE spec_versions SET `+column+` = ? WHERE domain = ? AND version = ?`, nv, s.domain, s.version); err != nil {
			return change{}, err
		}
		return change{fmt.Sprintf("spec %s version %d: %s %s → %s", s.domain, s.version, column, show(old), show(nv)), specName(s.domain, s.version)}, nil
	}
}

func specTampers() []tamper {
	return []tamper{
		{"spec.json", func(r *rand.Rand, db *rawDB) (change, error) {
			s, err := randomSpec(r, db)
			if err != nil {
				return change{}, err
			}
			spec, what, err := mutateJSON(r, s.spec)
			if err != nil {
				return change{}, err
			}
			return change{fmt.Sprintf("spec %s version %d: spec %s", s.domain, s.version, what), specName(s.domain, s.version)},
				exec1(db, `UPDATE spec_versions SET spec = ? WHERE domain = ? AND version = ?`, spec, s.domain, s.version)
		}},
		{"spec.digest", editSpec("digest", func(r *rand.Rand, s *specRow) (any, any, error) {
			d, err := replaceChar(r, s.digest, 0, len(s.digest), "0123456789abcdef")
			return s.digest, d, err
		})},
		{"spec.effective_at", editSpec("effective_at", func(r *rand.Rand, s *specRow) (any, any, error) {
			return s.effective, shift(r, s.effective), nil
		})},
		{"spec.applied_at", editSpec("applied_at", func(r *rand.Rand, s *specRow) (any, any, error) {
			return s.applied, shift(r, s.applied), nil
		})},
		{"spec.delete", func(r *rand.Rand, db *rawDB) (change, error) {
			s, err := randomSpec(r, db)
			if err != nil {
				return change{}, err
			}
			return change{fmt.Sprintf("spec %s version %d: deleted", s.domain, s.version), fmt.Sprintf("spec.applied %s %d)", s.domain, s.version)},
				exec1(db, `DELETE FROM spec_versions WHERE domain = ? AND version = ?`, s.domain, s.version)
		}},
		{"spec.insert.next", func(r *rand.Rand, db *rawDB) (change, error) {
			s, err := randomSpec(r, db)
			if err != nil {
				return change{}, err
			}
			return change{fmt.Sprintf("spec %s version %d: inserted, a copy of version %d", s.domain, s.version+1, s.version), specName(s.domain, s.version+1)},
				exec1(db, `INSERT INTO spec_versions (domain, version, digest, applied_at, effective_at, spec) SELECT domain, version + 1, digest, applied_at, effective_at, spec FROM spec_versions WHERE domain = ? AND version = ?`, s.domain, s.version)
		}},
	}
}
