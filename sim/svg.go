package sim

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// The charts of the HTML report are written by hand as inline SVG: three chart shapes,
// no dependency, and the report works offline.

// palette colours the numbers' series (Tableau 10), cycling.
var palette = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

func colour(i int) string { return palette[i%len(palette)] }

// healthColour shades the health strip under the shares chart.
var healthColour = map[string]string{
	"active": "#e8f3e8", "degraded": "#f6c85f", "offline": "#9e9e9e", "banned": "#d9534f", "unassigned": "#ffffff",
}

type svg struct {
	b    strings.Builder
	w, h int
}

func newSVG(w, h int, title string) *svg {
	s := &svg{w: w, h: h}
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" font-family="sans-serif" font-size="11">`, w, h, w, h)
	fmt.Fprintf(&s.b, `<title>%s</title>`, html.EscapeString(title))
	return s
}

func (s *svg) text(x, y float64, anchor, txt string, extra string) {
	fmt.Fprintf(&s.b, `<text x="%.1f" y="%.1f" text-anchor="%s"%s>%s</text>`, x, y, anchor, extra, html.EscapeString(txt))
}

func (s *svg) line(x1, y1, x2, y2 float64, stroke string, width float64, extra string) {
	fmt.Fprintf(&s.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%.1f"%s/>`, x1, y1, x2, y2, stroke, width, extra)
}

func (s *svg) rect(x, y, w, h float64, fill, title string) {
	if title == "" {
		fmt.Fprintf(&s.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, x, y, w, h, fill)
		return
	}
	fmt.Fprintf(&s.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`, x, y, w, h, fill, html.EscapeString(title))
}

func (s *svg) String() string { return s.b.String() + "</svg>" }

// niceMax rounds v up to 1, 2 or 5 times a power of ten, for axis ticks.
func niceMax(v float64) float64 {
	if v <= 0 || math.IsNaN(v) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func fmtTick(v float64) string {
	if v >= 10000 {
		return count(int64(v))
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// yAxis draws horizontal grid lines and labels from 0 to top.
func (s *svg) yAxis(left, right, top, bottom, max float64, format func(float64) string) {
	for k := 0; k <= 4; k++ {
		v := max * float64(k) / 4
		y := bottom - (bottom-top)*float64(k)/4
		s.line(left, y, right, y, "#ddd", 1, "")
		s.text(left-6, y+4, "end", format(v), "")
	}
}

// countsChart is a bar per number (its new conversations) with its expected count as a
// black tick.
func countsChart(r *Result) string {
	n := len(r.Numbers)
	w, h := max(480, 100+n*46), 300
	s := newSVG(w, h, "New conversations per number: actual (bars) and expected (ticks)")
	left, right, top, bottom := 84.0, float64(w)-16, 16.0, float64(h)-70
	top2 := 0.0
	for _, nr := range r.Numbers {
		top2 = math.Max(top2, math.Max(float64(nr.NewConversations), nr.Expected))
	}
	ymax := niceMax(top2)
	s.yAxis(left, right, top, bottom, ymax, fmtTick)
	slot := (right - left) / float64(max(n, 1))
	y := func(v float64) float64 { return bottom - (bottom-top)*v/ymax }
	for i, nr := range r.Numbers {
		x := left + slot*float64(i)
		bw := slot * 0.6
		v := float64(nr.NewConversations)
		s.rect(x+(slot-bw)/2, y(v), bw, bottom-y(v), colour(i),
			fmt.Sprintf("%s: %s new conversations, expected %.1f (%s vs %s)", nr.Phone, count(nr.NewConversations), nr.Expected, pct(nr.Share), pct(nr.ExpectedShare)))
		s.line(x+slot*0.1, y(nr.Expected), x+slot*0.9, y(nr.Expected), "#000", 2, "")
		s.text(x+slot/2, bottom+14, "end", nr.Phone, fmt.Sprintf(` transform="rotate(-40 %.1f %.1f)"`, x+slot/2, bottom+14))
	}
	s.line(left, bottom, right, bottom, "#333", 1, "")
	return s.String()
}

// sharesChart draws each number's share of the new conversations per time bucket, with
// a strip per number under it coloured by the worst health it had in the bucket.
func sharesChart(r *Result) string {
	tl := &r.Timeline
	n, buckets := len(tl.Numbers), len(tl.New)
	strip := 9.0
	w, h := 760, 260+int(strip)*n+40
	s := newSVG(w, h, "Share of new conversations per number over time, with each number's health")
	left, right, top, bottom := 64.0, float64(w)-150, 16.0, 236.0
	shares := tl.Shares()
	top2 := 0.0
	for _, row := range shares {
		for _, v := range row {
			if !math.IsNaN(v) {
				top2 = math.Max(top2, v)
			}
		}
	}
	ymax := math.Min(niceMax(top2*1.05), 1)
	s.yAxis(left, right, top, bottom, ymax, func(v float64) string { return strconv.FormatFloat(v*100, 'g', 3, 64) + "%" })
	if buckets == 0 {
		return s.String()
	}
	bw := (right - left) / float64(buckets)
	x := func(b int) float64 { return left + bw*(float64(b)+0.5) }
	y := func(v float64) float64 { return bottom - (bottom-top)*v/ymax }
	for i := range n {
		var path strings.Builder
		pen := false
		for b := range buckets {
			v := shares[b][i]
			if math.IsNaN(v) {
				pen = false
				continue
			}
			cmd := "L"
			if !pen {
				cmd = "M"
			}
			fmt.Fprintf(&path, "%s%.1f %.1f ", cmd, x(b), y(v))
			pen = true
		}
		fmt.Fprintf(&s.b, `<path d="%s" fill="none" stroke="%s" stroke-width="1.6"><title>%s</title></path>`,
			strings.TrimSpace(path.String()), colour(i), html.EscapeString(tl.Numbers[i]))
		s.rect(right+12, top+float64(i)*14, 10, 10, colour(i), "")
		s.text(right+26, top+float64(i)*14+9, "start", tl.Numbers[i], "")
	}
	s.line(left, bottom, right, bottom, "#333", 1, "")
	// Time axis: five labels.
	for k := 0; k <= 4; k++ {
		b := float64(buckets) * float64(k) / 4
		s.text(left+bw*b, bottom+14, "middle", seconds(b*tl.BucketSeconds), "")
	}
	// Health strips.
	sy := bottom + 28
	for i := range n {
		for b := range buckets {
			st := tl.Health[b][i]
			s.rect(left+bw*float64(b), sy+float64(i)*strip, bw+0.5, strip-1, healthColour[st],
				fmt.Sprintf("%s at %s: %s", tl.Numbers[i], seconds(float64(b)*tl.BucketSeconds), st))
		}
		s.rect(left-14, sy+float64(i)*strip, 10, strip-1, colour(i), tl.Numbers[i])
	}
	ly := sy + float64(n)*strip + 16
	lx := left
	for _, st := range []string{"active", "degraded", "offline", "banned", "unassigned"} {
		s.rect(lx, ly-9, 10, 10, healthColour[st], "")
		fmt.Fprintf(&s.b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="none" stroke="#999"/>`, lx, ly-9)
		s.text(lx+14, ly, "start", st, "")
		lx += 90
	}
	return s.String()
}

// latencyChart is the HTTP driver's latency histogram on log-spaced buckets.
func latencyChart(l *LatencyResult) string {
	n := len(l.Histogram)
	w, h := 760, 280
	s := newSVG(w, h, "Send latency histogram")
	left, right, top, bottom := 64.0, float64(w)-16, 16.0, float64(h)-60
	var top2 int64
	for _, b := range l.Histogram {
		top2 = max(top2, b.Count)
	}
	ymax := niceMax(float64(top2))
	s.yAxis(left, right, top, bottom, ymax, fmtTick)
	if n == 0 {
		return s.String()
	}
	bw := (right - left) / float64(n)
	for i, b := range l.Histogram {
		hgt := (bottom - top) * float64(b.Count) / ymax
		s.rect(left+bw*float64(i)+1, bottom-hgt, math.Max(bw-2, 1), hgt, "#4e79a7",
			fmt.Sprintf("≤ %.3f ms: %s sends", b.UpToMs, count(b.Count)))
		if n <= 24 || i%(n/12+1) == 0 {
			s.text(left+bw*(float64(i)+0.5), bottom+14, "end", strconv.FormatFloat(b.UpToMs, 'g', 3, 64)+"ms",
				fmt.Sprintf(` transform="rotate(-40 %.1f %.1f)"`, left+bw*(float64(i)+0.5), bottom+14))
		}
	}
	for _, q := range []struct {
		name string
		v    float64
	}{{"p50", l.P50Ms}, {"p99", l.P99Ms}} {
		// The percentile's bucket.
		for i, b := range l.Histogram {
			if q.v <= b.UpToMs {
				xq := left + bw*(float64(i)+0.5)
				s.line(xq, top, xq, bottom, "#e15759", 1, ` stroke-dasharray="4 3"`)
				s.text(xq+3, top+10, "start", fmt.Sprintf("%s %.2fms", q.name, q.v), ` fill="#e15759"`)
				break
			}
		}
	}
	s.line(left, bottom, right, bottom, "#333", 1, "")
	return s.String()
}
