package sim

import (
	"html/template"
	"io"
	"strconv"
	"strings"
)

// WriteHTML writes a self-contained HTML report of a run: the verdict and its
// thresholds, the traffic, the numbers, and SVG charts of the new conversations per
// number against their expectation, the shares over time with each number's health,
// and (HTTP driver) the latency histogram. It needs no network to display.
func WriteHTML(w io.Writer, r *Result) error {
	var summary strings.Builder
	if err := WriteSummary(&summary, r); err != nil {
		return err
	}
	data := struct {
		R       *Result
		Summary string
		Counts  template.HTML
		Shares  template.HTML
		Latency template.HTML
	}{R: r, Summary: summary.String(), Counts: template.HTML(countsChart(r)), Shares: template.HTML(sharesChart(r))}
	if r.Latency != nil {
		data.Latency = template.HTML(latencyChart(r.Latency))
	}
	return reportTemplate.Execute(w, data)
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":   pct,
	"count": count,
	"float": func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) },
	"value": func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'g', 6, 64)
	},
	"upper": strings.ToUpper,
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>poolkit sim — {{.R.Profile}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #e3e3e3; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.verdict { display: inline-block; padding: 0.2em 0.8em; border-radius: 4px; font-weight: bold; color: #fff; }
.pass { background: #3c8d40; } .fail { background: #c0392b; }
.FAIL { color: #c0392b; font-weight: bold; } .skip { color: #888; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 0.8em; }
figure { margin: 1em 0; } figcaption { font-size: 0.85em; color: #555; }
</style>
</head>
<body>
<h1>poolkit sim — {{.R.Profile}} <span class="verdict {{.R.Verdict}}">{{upper .R.Verdict}}</span></h1>
<p>{{.R.Description}}</p>
<p>{{.R.Driver}} driver{{if .R.Target}} against {{.R.Target}}{{end}}, seed {{.R.Seed}}, {{.R.Pools}} pools, strategy {{.R.Strategy}}.
{{count .R.Traffic.Sends}} sends and {{count .R.Traffic.Inbound}} inbound messages; {{count .R.Traffic.Rejected}} sends rejected.
{{if .R.Interrupted}}<strong>The run was interrupted: the figures cover the part that ran.</strong>{{end}}</p>

<h2>Thresholds</h2>
<table>
<tr><th>threshold</th><th>value</th><th>result</th></tr>
{{range .R.Thresholds}}<tr><td><code>{{.Threshold}}</code></td><td>{{value .Value}}{{.Note}}</td>
<td>{{if .Skipped}}<span class="skip">skipped: {{.Skipped}}</span>{{else if .Pass}}ok{{else}}<span class="FAIL">FAIL</span>{{end}}</td></tr>
{{end}}</table>

<h2>New conversations per number</h2>
<figure>{{.Counts}}<figcaption>Bars: new conversations the strategy gave each number; black ticks: what the
strategy should have given it, pick by pick, among the numbers eligible at that moment.
Jain's index {{.R.Fairness.Jain}}, chi-square {{float .R.Fairness.ChiSquare}} (df {{.R.Fairness.DF}}), p = {{.R.Fairness.PValue}}.</figcaption></figure>

<h2>Shares over time</h2>
<figure>{{.Shares}}<figcaption>Each number's share of the new conversations in each of
{{len .R.Timeline.New}} buckets of {{float .R.Timeline.BucketSeconds}} s; under it, each number's worst health
in the bucket (any pool). A degraded number drops out of rotation and comes back once it recovers.</figcaption></figure>

{{if .Latency}}<h2>Latency</h2>
<figure>{{.Latency}}<figcaption>Send latency from the moment the rate schedule meant the send to start:
p50 {{float .R.Latency.P50Ms}} ms, p90 {{float .R.Latency.P90Ms}} ms, p99 {{float .R.Latency.P99Ms}} ms,
max {{float .R.Latency.MaxMs}} ms; {{float .R.Latency.Throughput}} sends/s achieved with at most
{{.R.Latency.Concurrency}} in flight.</figcaption></figure>{{end}}

<h2>Numbers</h2>
<table>
<tr><th>number</th><th>relay/slot</th><th>plan</th><th>weight</th><th>new conv.</th><th>expected</th><th>share</th><th>expected share</th><th>messages</th><th>inbound</th><th>delivered</th><th>failed</th><th>health</th></tr>
{{range .R.Numbers}}<tr><td>{{.Phone}}</td><td>{{.Relay}}/{{.Slot}}</td><td>{{.PlanKind}}</td><td>{{.Weight}}</td>
<td>{{count .NewConversations}}</td><td>{{float .Expected}}</td><td>{{pct .Share}}</td><td>{{pct .ExpectedShare}}</td>
<td>{{count .Messages}}</td><td>{{count .Inbound}}</td><td>{{count .Delivered}}</td><td>{{count .Failed}}</td><td>{{.Health}}</td></tr>
{{end}}</table>

<h2>Summary</h2>
<pre>{{.Summary}}</pre>
</body>
</html>
`))
