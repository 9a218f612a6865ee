package web

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/probity-dev/probity"
)

// The charts are drawn here, by hand, as a few dozen SVG elements: a
// plotting library brought fonts, LaTeX, PDF and golang.org/x/image (with
// its advisories) into the server for two line charts (issue 14, item 8).
//
// Geometry, in CSS pixels: the SVG's size is the one the templates give
// its <img> (605×265); the plot area leaves room for the title and legend
// above, the value labels on the left, the date labels below and half a
// date label to the right of the last point.
const (
	chartWidth  = 605
	chartHeight = 265
	plotLeft    = 64.0
	plotRight   = 567.0
	plotTop     = 48.0
	plotBottom  = 229.0
	// minTickGap is the least distance between two date labels, so the
	// widest label ("2006-01-02", about 60 px) never touches the next.
	minTickGap = 80.0
	// valueTicks is about how many value labels the y axis gets.
	valueTicks = 4
)

// Colours of the two lines: dark enough on white for WCAG's 3:1 for
// graphics, and told apart by the dash as well as by colour.
var seriesColours = []string{"#1d4e89", "#a34700"}

// scorePoint is one point of a score over time: a past read, today, or a
// projection.
type scorePoint struct {
	At        time.Time
	Status    probity.Status
	Score     *int
	Grade     *string
	Now       bool
	Projected bool
}

// chartPoint is one value at one time. Missing marks a date with no value
// (the subject was not rated then): it gets no point and breaks the line,
// so a chart never draws a score across a time there was none (P6:
// unrated is not low).
type chartPoint struct {
	At      time.Time
	Value   float64
	Missing bool
}

// chartSeries is one line of a chart, with its legend.
type chartSeries struct {
	Name   string
	Points []chartPoint
	Dashed bool
}

// timeChart is a line chart of whole-number values (scores, leaf counts)
// over time. Its axes span only the values it has: with none it shows
// Empty instead of axes, never an axis invented around nothing.
type timeChart struct {
	Title  string
	Unit   string
	Series []chartSeries
	Empty  string
}

// scoreChart draws a score over time as SVG: the scores read and today's
// as a solid line, the projection as a dashed one. Dates when the subject
// was not rated have no point (P6: unrated is not low); with no score on
// any date the chart is a sentence saying so. The page shows the same
// points as a table, for readers who cannot see the chart. The error is
// always nil: it keeps the callers' shape should drawing ever fail.
func scoreChart(title string, points []scorePoint) ([]byte, error) {
	past := chartSeries{Name: "score"}
	ahead := chartSeries{Name: "projection, with no new entries", Dashed: true}
	empty := "No scores yet: not rated on any of these dates"
	for _, pt := range points {
		cp := chartPoint{At: pt.At, Missing: pt.Score == nil}
		if pt.Score != nil {
			cp.Value = float64(*pt.Score)
		}
		if !pt.Projected {
			past.Points = append(past.Points, cp)
		}
		if pt.Projected || pt.Now {
			ahead.Points = append(ahead.Points, cp)
		}
		if pt.Now && pt.Status == probity.StatusOptedOut {
			empty = "No score: opted out of this domain"
		}
	}
	c := timeChart{Title: title, Unit: "score", Series: []chartSeries{past, ahead}, Empty: empty}
	return c.svg(), nil
}

// growthChart draws the log's size over time from sampled leaves: each
// point is a leaf's time and its index+1.
func growthChart(points []chartPoint) ([]byte, error) {
	c := timeChart{Title: "Audit log size over time", Unit: "leaves",
		Series: []chartSeries{{Name: "leaves", Points: points}}, Empty: "The log has no leaves yet"}
	return c.svg(), nil
}

// values are the chart's points that have a value, in time order.
func (c timeChart) values() []chartPoint {
	var out []chartPoint
	for _, s := range c.Series {
		for _, p := range s.Points {
			if !p.Missing {
				out = append(out, p)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b chartPoint) int { return a.At.Compare(b.At) })
	return out
}

// svg renders the chart as a standalone SVG document. Every text in it is
// XML-escaped (a title may be a domain's name, chosen by its admin), and
// the root carries role="img" with the title and a description of the
// figures for assistive technology.
func (c timeChart) svg() []byte {
	var b bytes.Buffer
	vals := c.values()
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-labelledby="chart-title chart-desc" font-family="sans-serif" font-size="11" fill="#222">`,
		chartWidth, chartHeight, chartWidth, chartHeight)
	fmt.Fprintf(&b, `<title id="chart-title">%s</title><desc id="chart-desc">%s</desc>`, esc(c.Title), esc(c.describe(vals)))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/>`, chartWidth, chartHeight)
	fmt.Fprintf(&b, `<text x="%g" y="17" text-anchor="middle" font-size="13" font-weight="bold">%s</text>`, chartWidth/2.0, esc(c.Title))
	if len(vals) == 0 {
		fmt.Fprintf(&b, `<text class="empty" x="%g" y="%g" text-anchor="middle" font-size="13">%s</text></svg>`,
			chartWidth/2.0, (plotTop+plotBottom)/2, esc(c.Empty))
		return b.Bytes()
	}
	xs, ys := newTimeScale(vals), newValueScale(vals)
	fmt.Fprintf(&b, `<text x="14" y="%g" transform="rotate(-90 14 %g)" text-anchor="middle">%s</text>`,
		(plotTop+plotBottom)/2, (plotTop+plotBottom)/2, esc(c.Unit))
	for _, v := range ys.ticks() {
		y := ys.at(v)
		fmt.Fprintf(&b, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" stroke="#ddd"/>`, plotLeft, plotRight, y, y)
		fmt.Fprintf(&b, `<text class="ytick" x="%g" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`,
			plotLeft-6, y, strconv.FormatFloat(v, 'f', -1, 64))
	}
	for _, t := range xs.ticks(vals) {
		x := xs.at(t)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%g" y2="%g" stroke="#222"/>`, x, x, plotBottom, plotBottom+4)
		fmt.Fprintf(&b, `<text class="xtick" x="%.1f" y="%g" text-anchor="middle">%s</text>`, x, plotBottom+17, xs.label(t))
	}
	fmt.Fprintf(&b, `<path d="M%g %gV%gH%g" stroke="#222" fill="none"/>`, plotLeft, plotTop, plotBottom, plotRight)
	c.drawSeries(&b, xs, ys)
	b.WriteString(`</svg>`)
	return b.Bytes()
}

// drawSeries draws each series that adds a point to those drawn before
// it (a projection of today alone adds nothing): its line (broken where a
// value is missing), its points, and its legend entry above the plot.
func (c timeChart) drawSeries(b *bytes.Buffer, xs timeScale, ys valueScale) {
	legendX := plotLeft
	seen := map[string]bool{}
	at := func(p chartPoint) string { return fmt.Sprintf("%.1f,%.1f", xs.at(p.At), ys.at(p.Value)) }
	for i, s := range c.Series {
		if !slices.ContainsFunc(s.Points, func(p chartPoint) bool { return !p.Missing && !seen[at(p)] }) {
			continue
		}
		colour := seriesColours[i%len(seriesColours)]
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="5 3"`
		}
		var line []string
		flush := func() {
			if len(line) > 1 {
				fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.5"%s/>`, strings.Join(line, " "), colour, dash)
			}
			line = line[:0]
		}
		for _, p := range s.Points {
			if p.Missing {
				flush()
				continue
			}
			xy := at(p)
			line = append(line, xy)
			if !seen[xy] {
				seen[xy] = true
				x, y, _ := strings.Cut(xy, ",")
				fmt.Fprintf(b, `<circle class="point" cx="%s" cy="%s" r="2.5" fill="%s"/>`, x, y, colour)
			}
		}
		flush()
		fmt.Fprintf(b, `<line x1="%g" x2="%g" y1="34" y2="34" stroke="%s" stroke-width="1.5"%s/>`, legendX, legendX+18, colour, dash)
		fmt.Fprintf(b, `<text class="legend" x="%g" y="38">%s</text>`, legendX+22, esc(s.Name))
		legendX += 40 + 6.5*float64(len(s.Name))
	}
}

// describe says in words what the chart shows, for the SVG's <desc>.
func (c timeChart) describe(vals []chartPoint) string {
	if len(vals) == 0 {
		return c.Empty
	}
	lo, hi := vals[0].Value, vals[0].Value
	for _, p := range vals {
		lo, hi = min(lo, p.Value), max(hi, p.Value)
	}
	layout := "2006-01-02"
	if newTimeScale(vals).layout != layout {
		layout = "2006-01-02 15:04:05 UTC"
	}
	return fmt.Sprintf("%s from %s to %s, between %s and %s.", c.Unit,
		vals[0].At.UTC().Format(layout), vals[len(vals)-1].At.UTC().Format(layout),
		strconv.FormatFloat(lo, 'f', -1, 64), strconv.FormatFloat(hi, 'f', -1, 64))
}

// timeScale maps the data's times onto the plot's width.
type timeScale struct {
	from, to time.Time
	layout   string
}

// newTimeScale spans exactly the first to the last value's time; its
// labels show days, or minutes, or seconds, as the span needs (a single
// time is shown as its date).
func newTimeScale(vals []chartPoint) timeScale {
	s := timeScale{from: vals[0].At, to: vals[len(vals)-1].At, layout: "2006-01-02"}
	switch span := s.to.Sub(s.from); {
	case span == 0 || span >= 48*time.Hour:
	case span >= 2*time.Minute:
		s.layout = "01-02 15:04"
	default:
		s.layout = "15:04:05"
	}
	return s
}

// at is t's x coordinate; a chart of one time has it in the middle.
func (s timeScale) at(t time.Time) float64 {
	span := s.to.Sub(s.from)
	if span <= 0 {
		return (plotLeft + plotRight) / 2
	}
	return plotLeft + float64(t.Sub(s.from))/float64(span)*(plotRight-plotLeft)
}

// label is t as the axis shows it, in UTC as the pages' dates are.
func (s timeScale) label(t time.Time) string { return t.UTC().Format(s.layout) }

// ticks are the data's own times to label, from the left, each far enough
// from the last and not repeating its label: the axis names only dates
// the chart has a value for.
func (s timeScale) ticks(vals []chartPoint) []time.Time {
	var out []time.Time
	lastX, lastLabel := math.Inf(-1), ""
	for _, p := range vals {
		x, l := s.at(p.At), s.label(p.At)
		if x-lastX < minTickGap || l == lastLabel {
			continue
		}
		out = append(out, p.At)
		lastX, lastLabel = x, l
	}
	return out
}

// valueScale maps whole-number values onto the plot's height, from a round
// number at or below the least value to one at or above the greatest.
type valueScale struct{ lo, hi, step float64 }

// newValueScale picks a step of 1, 2 or 5 times a power of ten (at least
// 1: the values are whole numbers) giving about valueTicks labels. A
// single value, or many equal ones, gets a span around it.
func newValueScale(vals []chartPoint) valueScale {
	lo, hi := vals[0].Value, vals[0].Value
	for _, p := range vals {
		lo, hi = min(lo, p.Value), max(hi, p.Value)
	}
	if lo == hi {
		pad := max(1, math.Abs(lo)*0.05)
		lo, hi = lo-pad, hi+pad
	}
	raw := (hi - lo) / valueTicks
	step := math.Pow(10, math.Floor(math.Log10(raw)))
	switch f := raw / step; {
	case f > 5:
		step *= 10
	case f > 2:
		step *= 5
	case f > 1:
		step *= 2
	}
	step = max(step, 1)
	return valueScale{lo: math.Floor(lo/step) * step, hi: math.Ceil(hi/step) * step, step: step}
}

// at is v's y coordinate.
func (s valueScale) at(v float64) float64 {
	return plotBottom - (v-s.lo)/(s.hi-s.lo)*(plotBottom-plotTop)
}

// ticks are the round values from lo to hi.
func (s valueScale) ticks() []float64 {
	var out []float64
	for i := 0; ; i++ {
		v := s.lo + float64(i)*s.step
		if v > s.hi+s.step/2 {
			return out
		}
		out = append(out, v)
	}
}

// esc escapes text for an SVG element's content or attribute.
func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
