package probity

import (
	"time"
)

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

// ParseTime reads a time given as RFC 3339 or as YYYY-MM-DD (midnight UTC),
// in the years CheckTime allows, and returns it in UTC. It is the one parser
// of every time a caller writes (API bodies, forms, command-line flags,
// event files), so that all of them take the same forms and the same range.
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, Errorf(EINVALID, "required; give a date (YYYY-MM-DD) or an RFC 3339 time")
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return time.Time{}, Errorf(EINVALID, "%s is not a time; give a date (YYYY-MM-DD) or an RFC 3339 time (2024-05-01T12:00:00Z)", Quote(s))
		}
	}
	if t = t.UTC(); CheckTime("", t) != nil {
		return time.Time{}, Errorf(EINVALID, "%s is out of range; years %d to %d are allowed", Quote(s), FirstYear, LastYear)
	}
	return t, nil
}

// CheckEnd checks an optional end time (a term's end, an expiry) that a
// store keeps as nanoseconds since 1970 with 0 for "none": the instant
// 1970-01-01T00:00:00Z itself would be read back as "none", so it is
// refused, naming the field, rather than silently dropped.
func CheckEnd(field string, t time.Time) error {
	if t.Equal(time.Unix(0, 0)) {
		return Errorf(EINVALID, "%s: 1970-01-01T00:00:00Z cannot be an end: it is stored as \"no end\"; give a time at least a nanosecond earlier or later", field)
	}
	return nil
}
