package web

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
)

// drawn is what a chart's SVG shows, read back with an XML parser.
type drawn struct {
	Title  string
	Desc   string
	Texts  []string
	Empty  string
	Points [][2]float64          // circles' centres
	XTicks map[string]float64    // date label to its x
	YTicks map[float64]float64   // value label to its y
	Attrs  map[string][]xml.Attr // the root's attributes, under "svg"
}

// parseChart parses svg as XML (so a title that is not escaped fails
// here) and collects its points, tick labels and texts.
func parseChart(tb testing.TB, svg []byte) drawn {
	tb.Helper()
	d := drawn{XTicks: map[string]float64{}, YTicks: map[float64]float64{}, Attrs: map[string][]xml.Attr{}}
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var open []xml.StartElement
	for {
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF {
				return d
			}
			tb.Fatalf("chart is not well-formed XML: %v\n%s", err, svg)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			open = append(open, t)
			if t.Name.Local == "svg" {
				d.Attrs["svg"] = t.Attr
			}
			if t.Name.Local == "circle" {
				d.Points = append(d.Points, [2]float64{num(tb, attr(t, "cx")), num(tb, attr(t, "cy"))})
			}
		case xml.EndElement:
			open = open[:len(open)-1]
		case xml.CharData:
			if len(open) == 0 {
				continue
			}
			el, text := open[len(open)-1], string(t)
			switch {
			case el.Name.Local == "title":
				d.Title = text
			case el.Name.Local == "desc":
				d.Desc = text
			case attr(el, "class") == "xtick":
				d.XTicks[text] = num(tb, attr(el, "x"))
			case attr(el, "class") == "ytick":
				d.YTicks[num(tb, text)] = num(tb, attr(el, "y"))
			case attr(el, "class") == "empty":
				d.Empty = text
			}
			if el.Name.Local == "text" {
				d.Texts = append(d.Texts, text)
			}
		}
	}
}

func attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func num(tb testing.TB, s string) float64 {
	tb.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		tb.Fatalf("%q is not a number: %v", s, err)
	}
	return f
}

// expectedY is where value v belongs on the y axis the chart drew,
// interpolated between its lowest and highest value labels.
func (d drawn) expectedY(tb testing.TB, v float64) float64 {
	tb.Helper()
	if len(d.YTicks) < 2 {
		tb.Fatalf("y axis has %d labels, want at least 2", len(d.YTicks))
	}
	var vs []float64
	for k := range d.YTicks {
		vs = append(vs, k)
	}
	lo, hi := slices.Min(vs), slices.Max(vs)
	if v < lo || v > hi {
		tb.Fatalf("value %g is outside the y axis's labels %g..%g", v, lo, hi)
	}
	return d.YTicks[lo] + (v-lo)/(hi-lo)*(d.YTicks[hi]-d.YTicks[lo])
}

func score(n int) *int { return &n }

var chartDay = time.Date(2026, 12, 5, 9, 30, 0, 0, time.UTC)

func TestScoreChart(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		points := []scorePoint{
			{At: chartDay.AddDate(0, -24, 0), Status: probity.StatusUnrated},
			{At: chartDay.AddDate(0, -12, 0), Status: probity.StatusRated, Score: score(640)},
			{At: chartDay.AddDate(0, -6, 0), Status: probity.StatusRated, Score: score(655)},
			{At: chartDay, Status: probity.StatusRated, Score: score(598), Now: true},
			{At: chartDay.AddDate(0, 6, 0), Status: probity.StatusRated, Score: score(701), Projected: true},
		}
		svg, err := scoreChart("Lending", points)
		if err != nil {
			t.Fatal(err)
		}
		d := parseChart(t, svg)
		if got, want := len(d.Points), 4; got != want {
			t.Fatalf("%d points drawn, want %d (one per rated date; the unrated one has none):\n%s", got, want, svg)
		}
		for i, pt := range points[1:] {
			x, y := d.Points[i][0], d.Points[i][1]
			if x < plotLeft || x > plotRight || y < plotTop || y > plotBottom {
				t.Errorf("point %d at (%g, %g) is outside the plot area", i, x, y)
			}
			if want := d.expectedY(t, float64(*pt.Score)); math.Abs(y-want) > 0.1 {
				t.Errorf("score %d drawn at y=%g; its axis puts it at %g", *pt.Score, y, want)
			}
			if tx, ok := d.XTicks[pt.At.Format("2006-01-02")]; ok && math.Abs(tx-x) > 0.1 {
				t.Errorf("date %s labelled at x=%g, its point is at %g", pt.At.Format("2006-01-02"), tx, x)
			}
		}
		if high, low := d.Points[3][1], d.Points[2][1]; high >= low {
			t.Errorf("701 drawn at y=%g, 598 at y=%g: want the higher score higher up", high, low)
		}
		if first, last := d.Points[0][0], d.Points[3][0]; first != plotLeft || last != plotRight {
			t.Errorf("first and last points at x=%g and %g, want the plot's edges %g and %g", first, last, plotLeft, plotRight)
		}
		rated := map[string]bool{}
		for _, pt := range points[1:] {
			rated[pt.At.Format("2006-01-02")] = true
		}
		if len(d.XTicks) < 2 {
			t.Errorf("x axis labels %v: want at least 2", d.XTicks)
		}
		for label := range d.XTicks {
			if !rated[label] {
				t.Errorf("x axis label %q is not a date the chart has a score for", label)
			}
		}
		if d.Title != "Lending" || !strings.Contains(d.Desc, "598") || !strings.Contains(d.Desc, "701") {
			t.Errorf("title %q, description %q: want the domain's name and the range 598 to 701", d.Title, d.Desc)
		}
		if attr(xml.StartElement{Attr: d.Attrs["svg"]}, "role") != "img" || attr(xml.StartElement{Attr: d.Attrs["svg"]}, "aria-labelledby") == "" {
			t.Errorf("svg attributes %v: want role=img and aria-labelledby naming its title and description", d.Attrs["svg"])
		}
		if !slices.Contains(d.Texts, "projection, with no new entries") {
			t.Errorf("no legend for the projection in %q", d.Texts)
		}
	})
	t.Run("Unrated", func(t *testing.T) {
		var points []scorePoint
		for _, m := range []int{-24, -12, 0} {
			points = append(points, scorePoint{At: chartDay.AddDate(0, m, 0), Status: probity.StatusUnrated, Now: m == 0})
		}
		points = append(points, scorePoint{At: chartDay.AddDate(0, 6, 0), Status: probity.StatusUnrated, Projected: true})
		svg, _ := scoreChart("Lending", points)
		d := parseChart(t, svg)
		if len(d.Points) != 0 || len(d.XTicks) != 0 || len(d.YTicks) != 0 {
			t.Fatalf("unrated: %d points, x labels %v, y labels %v: want no axes at all", len(d.Points), d.XTicks, d.YTicks)
		}
		if !strings.Contains(d.Empty, "No scores yet") {
			t.Errorf("unrated: message %q, want it to say there are no scores yet", d.Empty)
		}
		if s := string(svg); strings.Contains(s, "1970") || strings.Contains(s, "1969") {
			t.Errorf("unrated chart names the epoch:\n%s", s)
		}
	})
	t.Run("OptedOut", func(t *testing.T) {
		svg, _ := scoreChart("Lending", []scorePoint{{At: chartDay, Status: probity.StatusOptedOut, Now: true}})
		if d := parseChart(t, svg); !strings.Contains(d.Empty, "opted out") || len(d.Points) != 0 {
			t.Errorf("opted out: message %q and %d points, want a message saying so and none", d.Empty, len(d.Points))
		}
	})
	t.Run("OnePoint", func(t *testing.T) {
		svg, _ := scoreChart("Lending", []scorePoint{{At: chartDay, Status: probity.StatusRated, Score: score(612), Now: true}})
		d := parseChart(t, svg)
		if len(d.Points) != 1 {
			t.Fatalf("%d points drawn, want 1:\n%s", len(d.Points), svg)
		}
		x, y := d.Points[0][0], d.Points[0][1]
		if x != (plotLeft+plotRight)/2 || y <= plotTop || y >= plotBottom {
			t.Errorf("the one point at (%g, %g): want it centred across and strictly inside the plot", x, y)
		}
		if want := d.expectedY(t, 612); math.Abs(y-want) > 0.1 {
			t.Errorf("612 drawn at y=%g; its axis puts it at %g", y, want)
		}
		if got, ok := d.XTicks["2026-12-05"]; len(d.XTicks) != 1 || !ok || got != x {
			t.Errorf("x axis labels %v, want only 2026-12-05 at x=%g", d.XTicks, x)
		}
		if slices.Contains(d.Texts, "projection, with no new entries") {
			t.Errorf("a projection of today alone has a legend: %q", d.Texts)
		}
		for v := range d.YTicks {
			if v != math.Trunc(v) {
				t.Errorf("y label %g is not a whole number (scores are)", v)
			}
		}
	})
	t.Run("EscapesTitle", func(t *testing.T) {
		title := `Acme </title><script>alert("x")</script> & sons`
		svg, _ := scoreChart(title, []scorePoint{{At: chartDay, Status: probity.StatusRated, Score: score(612), Now: true}})
		if d := parseChart(t, svg); d.Title != title {
			t.Errorf("title read back as %q, want %q", d.Title, title)
		}
		if bytes.Contains(svg, []byte("<script")) {
			t.Errorf("the title's markup reached the SVG:\n%s", svg)
		}
	})
}

func TestGrowthChart(t *testing.T) {
	t.Run("Minutes", func(t *testing.T) {
		var points []chartPoint
		for i := range 24 {
			points = append(points, chartPoint{At: chartDay.Add(time.Duration(i) * time.Minute), Value: float64(1 + 100*i)})
		}
		svg, _ := growthChart(points)
		d := parseChart(t, svg)
		if len(d.Points) != 24 {
			t.Fatalf("%d points drawn, want 24", len(d.Points))
		}
		want := map[string]bool{}
		for _, p := range points {
			want[p.At.Format("01-02 15:04")] = true
		}
		if len(d.XTicks) < 2 {
			t.Errorf("x axis labels %v: want at least 2", d.XTicks)
		}
		var xs []float64
		for label, x := range d.XTicks {
			if !want[label] {
				t.Errorf("x axis label %q is not the time of a sampled leaf", label)
			}
			xs = append(xs, x)
		}
		slices.Sort(xs)
		for i := 1; i < len(xs); i++ {
			if xs[i]-xs[i-1] < minTickGap {
				t.Errorf("x labels at %g and %g overlap", xs[i-1], xs[i])
			}
		}
		if y := d.Points[23][1]; math.Abs(y-d.expectedY(t, 2301)) > 0.1 {
			t.Errorf("2301 leaves drawn at y=%g, want %g", y, d.expectedY(t, 2301))
		}
	})
	t.Run("Empty", func(t *testing.T) {
		svg, _ := growthChart(nil)
		if d := parseChart(t, svg); len(d.Points) != 0 || len(d.XTicks) != 0 || d.Empty == "" {
			t.Errorf("empty log: %d points, x labels %v, message %q: want a message and no axes", len(d.Points), d.XTicks, d.Empty)
		}
	})
}
