package web

import (
	"bytes"
	"time"

	"github.com/probity-dev/probity"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

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

// scoreChart draws a score over time as SVG: the scores read and today's
// as a solid line, the projection as a dashed one. Dates when the subject
// was not rated have no point (P6: unrated is not low). The page shows the
// same points as a table, for readers who cannot see the chart.
func scoreChart(title string, points []scorePoint) ([]byte, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = "score"
	p.X.Tick.Marker = plot.TimeTicks{Format: "2006-01"}
	var past, ahead plotter.XYs
	for _, pt := range points {
		if pt.Score == nil {
			continue
		}
		xy := plotter.XY{X: float64(pt.At.Unix()), Y: float64(*pt.Score)}
		if !pt.Projected {
			past = append(past, xy)
		}
		if pt.Projected || pt.Now {
			ahead = append(ahead, xy)
		}
	}
	if err := addLine(p, past, "score", nil); err != nil {
		return nil, err
	}
	if err := addLine(p, ahead, "projection, with no new entries", []vg.Length{vg.Points(4), vg.Points(3)}); err != nil {
		return nil, err
	}
	p.Legend.Top = true
	if len(past) == 0 && len(ahead) == 0 {
		p.Title.Text = title + ": not rated on any of these dates"
	}
	w, err := p.WriterTo(16*vg.Centimeter, 7*vg.Centimeter, "svg")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// addLine adds a line with its points and a legend entry, if it has points.
func addLine(p *plot.Plot, xys plotter.XYs, name string, dashes []vg.Length) error {
	if len(xys) == 0 {
		return nil
	}
	line, scatter, err := plotter.NewLinePoints(xys)
	if err != nil {
		return err
	}
	line.LineStyle.Width = vg.Points(1.5)
	line.LineStyle.Dashes = dashes
	scatter.GlyphStyle.Shape = draw.CircleGlyph{}
	p.Add(line, scatter)
	p.Legend.Add(name, line)
	return nil
}

// growthChart draws the log's size over time from sampled leaves.
func growthChart(points plotter.XYs) ([]byte, error) {
	p := plot.New()
	p.Title.Text = "Audit log size over time"
	p.Y.Label.Text = "leaves"
	p.X.Tick.Marker = plot.TimeTicks{Format: "2006-01-02\n15:04"}
	if err := addLine(p, points, "leaves", nil); err != nil {
		return nil, err
	}
	w, err := p.WriterTo(16*vg.Centimeter, 7*vg.Centimeter, "svg")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
