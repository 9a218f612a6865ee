package web

import (
	"encoding/json"
	"strings"

	"github.com/probity-dev/probity"
)

// diffLine is one line of a difference between two spec versions.
type diffLine struct {
	Op   string // " ", "+" or "-"
	Text string
}

// diffSpecs compares two specs line by line in their indented JSON form
// (the canonical form their digest is computed from), by longest common
// subsequence.
func diffSpecs(a, b *probity.Spec) []diffLine {
	return diffLines(specLines(a), specLines(b))
}

func specLines(s *probity.Spec) []string {
	if s == nil {
		return nil
	}
	buf, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return []string{err.Error()}
	}
	return strings.Split(string(buf), "\n")
}

// diffLines returns the edit script from a to b.
func diffLines(a, b []string) []diffLine {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []diffLine
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			out = append(out, diffLine{" ", a[i]})
			i, j = i+1, j+1
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, diffLine{"-", a[i]})
			i++
		default:
			out = append(out, diffLine{"+", b[j]})
			j++
		}
	}
	for ; i < n; i++ {
		out = append(out, diffLine{"-", a[i]})
	}
	for ; j < m; j++ {
		out = append(out, diffLine{"+", b[j]})
	}
	return out
}

// changedLines keeps the changed lines with one line of context each side.
func changedLines(d []diffLine) []diffLine {
	var out []diffLine
	for i, l := range d {
		near := l.Op != " " || i > 0 && d[i-1].Op != " " || i+1 < len(d) && d[i+1].Op != " "
		if near {
			out = append(out, l)
		}
	}
	return out
}
