package history

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
)

// short are the one-letter CSS classes of the statuses (the grid has tens of thousands of cells).
var short = map[string]string{Failed: "f", HarnessError: "h", Blocked: "b", Flaky: "k", Expected: "e", Passed: "p", Skipped: "s", Absent: "a"}

var legend = []string{Passed, Failed, Blocked, Expected, Flaky, HarnessError, Skipped, Absent}

var page = template.Must(template.New("history").Funcs(template.FuncMap{
	"short": func(s string) string { return short[s] },
	"pct":   func(f float64) string { return fmt.Sprintf("%.0f", 100*f) },
	"day":   func(c Column) string { return c.StartedAt.UTC().Format("2006-01-02 15:04") },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>mpsdconf history: {{len .Columns}} runs</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1f2328}
table{border-collapse:collapse}td,th{padding:0}th.rule{text-align:left;padding-right:.6em;font:12px ui-monospace,monospace;white-space:nowrap}
td{width:9px;height:14px;border:1px solid #fff}
.p{background:#1a7f37}.f{background:#cf222e}.b{background:#8250df}.e{background:#d4a72c}.k{background:#54aeff}.h{background:#bc4c00}.s{background:#d0d7de}.a{background:#f6f8fa}
.rate td{vertical-align:bottom;height:40px;border:1px solid #fff}.rate div{background:#1a7f37;width:9px}
.legend span{display:inline-block;width:12px;height:12px;margin:0 .3em 0 1em;vertical-align:middle}
.muted{color:#59636e}
</style></head><body>
<h1>mpsdconf history</h1>
<p>{{len .Columns}} runs{{if .Columns}} from {{day (index .Columns 0)}} to {{day .Last}} (UTC); the latest verdict: <b>{{.Last.Verdict}}</b>, pass rate {{pct .Last.PassRate}}%{{end}}. Rows: {{len .Rows}} rules, the most recently changed first. Hover a cell for its run and status.</p>
<p class="legend">{{range .Legend}}<span class="{{short .}}"></span>{{.}}{{end}}</p>
<table>
<tr class="rate"><th class="rule muted">pass rate</th>{{range .Columns}}<td title="{{.ID}} {{day .}}: {{pct .PassRate}}% of {{.Ran}} specs, {{.Verdict}}"><div style="height:{{pct .PassRate}}%"></div></td>{{end}}</tr>
{{range $r := .Rows}}<tr><th class="rule">{{$r.Rule}}</th>{{range $i, $s := $r.Statuses}}<td class="{{short $s}}" title="{{$r.Rule}} in {{(index $.Columns $i).ID}}: {{$s}}"></td>{{end}}</tr>
{{end}}</table>
</body></html>
`))

// HTML renders the grid as one self-contained page: inline CSS, no scripts, no remote assets.
func (g Grid) HTML() ([]byte, error) {
	var b bytes.Buffer
	data := struct {
		Grid
		Last   Column
		Legend []string
	}{Grid: g, Legend: legend}
	if len(g.Columns) > 0 {
		data.Last = g.Columns[len(g.Columns)-1]
	}
	if err := page.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("render history: %w", err)
	}
	return b.Bytes(), nil
}

// Markdown summarises the grid for the console: the runs, the pass rate of the last ten, and
// the rules that changed most recently (up to limit) with their last statuses.
func (g Grid) Markdown(limit int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# mpsdconf history: %d runs, %d rules\n\n", len(g.Columns), len(g.Rows))
	if len(g.Columns) == 0 {
		return b.String()
	}
	last := g.Columns[len(g.Columns)-1]
	fmt.Fprintf(&b, "Latest run %s (%s): %s, pass rate %.1f%%.\n\n", last.ID, last.StartedAt.UTC().Format("2006-01-02 15:04"), last.Verdict, 100*last.PassRate)
	from := max(0, len(g.Columns)-10)
	fmt.Fprintf(&b, "| run | started (UTC) | verdict | pass rate |\n|---|---|---|---|\n")
	for _, c := range g.Columns[from:] {
		fmt.Fprintf(&b, "| %s | %s | %s | %.1f%% |\n", c.ID, c.StartedAt.UTC().Format("2006-01-02 15:04"), c.Verdict, 100*c.PassRate)
	}
	fmt.Fprintf(&b, "\n## Rules that changed most recently\n\n| rule | changed in | was | now |\n|---|---|---|---|\n")
	shown := 0
	for _, r := range g.Rows {
		if r.LastChange < 0 || shown == limit {
			break
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.Rule, g.Columns[r.LastChange].ID, r.Statuses[r.LastChange-1], r.Statuses[r.LastChange])
		shown++
	}
	if shown == 0 {
		fmt.Fprintf(&b, "| (none: every rule kept its status in every run) | | | |\n")
	}
	return b.String()
}
