package identity

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"time"
)

// cnRegionsTSV lists every GB/T 2260 administrative division code that was
// ever in force; see the file's header for why any of them will do.
//
//go:embed cn_regions.tsv
var cnRegionsTSV string

// regionSet holds one bit per six-digit code: set if the code is a region.
type regionSet [1_000_000 / 64]uint64

// cnRegions parses the embedded list once, on first use. The list is part
// of the program, so a malformed line is a bug of the build: it panics.
var cnRegions = sync.OnceValue(func() *regionSet {
	set, err := parseRegions(cnRegionsTSV)
	if err != nil {
		panic(err)
	}
	return set
})

// parseRegions reads lines of a tab-separated list whose first column is a
// six-digit code; lines starting with '#' and empty lines are skipped.
func parseRegions(tsv string) (*regionSet, error) {
	set := new(regionSet)
	for n, line := range strings.Split(tsv, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		code, _, _ := strings.Cut(line, "\t")
		v, ok := sixDigits(code)
		if !ok || len(code) != 6 {
			return nil, fmt.Errorf("identity: cn_regions.tsv line %d: %q is not a six-digit code", n+1, code)
		}
		set[v/64] |= 1 << (v % 64)
	}
	return set, nil
}

// sixDigits returns the number the first six bytes of s spell, if they are
// ASCII digits.
func sixDigits[T text](s T) (int, bool) {
	if len(s) < 6 {
		return 0, false
	}
	v := 0
	for i := range 6 {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// isCNRegion reports whether the first six bytes of s are a GB/T 2260 code
// that was ever in force.
func isCNRegion[T text](s T) bool {
	v, ok := sixDigits(s)
	return ok && cnRegions()[v/64]&(1<<(v%64)) != 0
}

// chinaTime is the zone in which a resident ID's birth date is written.
var chinaTime = time.FixedZone("CST", 8*60*60)

// firstBirthYear is the earliest year of birth a resident ID may carry.
const firstBirthYear = 1900

// isBirthDate reports whether the first eight bytes of s spell YYYYMMDD, a
// real calendar date from 1900-01-01 to today (in China).
func isBirthDate[T text](s T) bool {
	if len(s) < 8 {
		return false
	}
	var d [8]int
	for i := range 8 {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		d[i] = int(c - '0')
	}
	year, month, day := d[0]*1000+d[1]*100+d[2]*10+d[3], d[4]*10+d[5], d[6]*10+d[7]
	if year < firstBirthYear || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return false
	}
	ty, tm, td := time.Now().In(chinaTime).Date()
	switch {
	case year != ty:
		return year < ty
	case month != int(tm):
		return month < int(tm)
	}
	return day <= td
}

// daysIn returns the number of days of a month (1-12) in the Gregorian calendar.
func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
