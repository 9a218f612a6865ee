package audit_test

import (
	"fmt"
	"math/rand/v2"
)

// tileTampers change a stored tile of the domain's log: the tiles are a
// copy of what the leaves make, served to followers and read for proofs.
func tileTampers() []tamper {
	edit := func(column string) func(*rand.Rand, *rawDB) (change, error) {
		return func(r *rand.Rand, db *rawDB) (change, error) {
			var n int64
			if err := db.QueryRow(`SELECT COUNT(*) FROM log_tiles WHERE log = 'acme.lending' AND level = 0`).Scan(&n); err != nil {
				return change{}, err
			}
			if n == 0 {
				return change{}, fmt.Errorf("the pristine store has no full tile")
			}
			idx := r.Int64N(n)
			var old []byte
			if err := db.QueryRow(`SELECT `+column+` FROM log_tiles WHERE log = 'acme.lending' AND level = 0 AND idx = ?`, idx).Scan(&old); err != nil {
				return change{}, err
			}
			return change{fmt.Sprintf("tile 0/%d of acme.lending: a byte of its %s flipped", idx, column), fmt.Sprintf("tile tile/0/%03d", idx)},
				exec1(db, `UPDATE log_tiles SET `+column+` = ? WHERE log = 'acme.lending' AND level = 0 AND idx = ?`, flipByte(r, old), idx)
		}
	}
	return []tamper{{"tiles.hashes", edit("hashes")}, {"tiles.root", edit("root")}}
}
