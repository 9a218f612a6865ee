package sqlstore

import "database/sql"

// FirstLeaf returns the smallest index of a log's leaf rows, if it has
// any: one step down the primary key, where LeafRows counts every row.
// The verifier, which counts the rows it reads in [0, LogSize), needs no
// more to know that no row lies outside the log.
func (tx *Tx) FirstLeaf(log string) (int64, bool, error) {
	var first sql.NullInt64
	err := tx.queryRow(`SELECT MIN(idx) FROM log_leaves WHERE log = ?`, log).Scan(&first)
	return first.Int64, first.Valid, err
}
