package probity

import "time"

// Years at which CheckTime draws its range. Every store keeps times as
// nanoseconds since 1970 in an int64, which ends in 1677 and 2262: a time
// past them is stored as another (9999 becomes 1816) and then no longer
// matches its audit leaf, so audit verification fails for good.
const (
	FirstYear = 1900
	LastYear  = 2200
)

// CheckTime refuses a time outside the years FirstYear to LastYear with
// EINVALID naming the field. Every time a caller brings (API, CLI, files)
// passes here before it reaches a store; the zero time ("none") is the
// caller's to allow or refuse.
func CheckTime(field string, t time.Time) error {
	if y := t.UTC().Year(); y < FirstYear || y > LastYear {
		return Errorf(EINVALID, "%s: %s is out of range; years %d to %d are allowed", field, t.UTC().Format(time.RFC3339), FirstYear, LastYear)
	}
	return nil
}
