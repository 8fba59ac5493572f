package report

import (
	"bytes"
	"fmt"
	"html/template"
	"sort"
	"strings"
	"time"
)

// reportTemplate is the page of report.html: one self-contained file with inline CSS, no
// scripts and no remote assets. html/template escapes every value, so spec names, failure
// messages and response bodies (untrusted: they come from the target) stay text.
const reportTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MPSD handles conformance: {{.VerdictLabel}} ({{.Summary.Metadata.RunID}})</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2328;background:#fff;margin:0 auto;padding:1.5rem 2rem 4rem;max-width:1200px}
h1{font-size:1.6rem;margin:.2rem 0 1rem}
h2{font-size:1.25rem;margin:2.2rem 0 .6rem;padding-bottom:.3rem;border-bottom:1px solid #d0d7de}
h3{font-size:1.05rem;margin:1.4rem 0 .5rem}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.75rem;overflow:auto;max-height:40rem;white-space:pre-wrap;word-break:break-word}
table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem}
th,td{border:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top;overflow-wrap:break-word}
td.specs,td.source{overflow-wrap:anywhere}
th{background:#f6f8fa}
td.id{white-space:nowrap}td.specs{min-width:18rem}
a{color:#0969da}
details>summary{cursor:pointer}
ul.specs{margin:.3rem 0;padding-left:1.1rem}
.verdict{display:flex;align-items:center;gap:1.2rem;padding:1rem 1.4rem;border-radius:10px;color:#fff;margin-bottom:1rem}
.verdict .label{font-size:2.4rem;font-weight:800;letter-spacing:.05em}
.verdict .note{font-size:1rem;opacity:.95}
.verdict.pass{background:#1a7f37}.verdict.fail{background:#cf222e}.verdict.harness-error{background:#bc4c00}
.tiles{display:flex;flex-wrap:wrap;gap:.6rem;margin:.5rem 0 1rem}
.tile{border:1px solid #d0d7de;border-radius:8px;padding:.5rem .9rem;min-width:6.5rem}
.tile .n{font-size:1.5rem;font-weight:700}
.tile .k{color:#59636e;font-size:.85rem}
.tile.failed .n{color:#cf222e}.tile.passed .n{color:#1a7f37}.tile.harness-error .n{color:#bc4c00}.tile.skipped .n{color:#59636e}.tile.blocked .n{color:#8250df}.tile.flaky .n{color:#0969da}.tile.expected .n{color:#9a6700}
.badge{display:inline-block;border-radius:1em;padding:0 .55em;font-size:.8rem;font-weight:600;color:#fff;white-space:nowrap}
.badge.passed{background:#1a7f37}.badge.failed{background:#cf222e}.badge.skipped{background:#6e7781}.badge.harness-error{background:#bc4c00}.badge.blocked{background:#8250df}.badge.flaky{background:#0969da}.badge.expected{background:#9a6700}
tr.failed td:first-child{border-left:4px solid #cf222e}tr.harness-error td:first-child{border-left:4px solid #bc4c00}
.problem{border:1px solid #d0d7de;border-left:5px solid #cf222e;border-radius:6px;padding:.6rem .9rem;margin:.8rem 0}
.problem.harness-error{border-left-color:#bc4c00}.problem.blocked{border-left-color:#8250df}
.problem .name{font-weight:600}
.muted{color:#59636e}
.warning{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:.6rem .9rem}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:.25rem 1.2rem;margin:.5rem 0 1rem}
dl.meta dt{font-weight:600}dl.meta dd{margin:0}
</style>
</head>
<body>
<header>
<h1>MPSD handles conformance</h1>
<div class="verdict {{.Summary.Verdict}}" id="verdict">
<span class="label">{{.VerdictLabel}}</span>
<span class="note">{{.VerdictNote}}</span>
</div>
{{with .Summary.Totals}}<div class="tiles" id="counts">
<div class="tile"><div class="n">{{.Specs}}</div><div class="k">specs</div></div>
<div class="tile passed"><div class="n">{{.Passed}}</div><div class="k">passed</div></div>
<div class="tile failed"><div class="n">{{.Failed}}</div><div class="k">failed</div></div>
<div class="tile blocked"><div class="n">{{.Blocked}}</div><div class="k">blocked</div></div>
<div class="tile skipped"><div class="n">{{.Skipped}}</div><div class="k">skipped</div></div>
<div class="tile harness-error"><div class="n">{{.HarnessErrors}}</div><div class="k">harness errors</div></div>
{{if .Flaky}}<div class="tile flaky"><div class="n">{{.Flaky}}</div><div class="k">flaky</div></div>{{end}}
{{if .Expected}}<div class="tile expected"><div class="n">{{.Expected}}</div><div class="k">expected failures</div></div>{{end}}
{{end}}{{with .Summary.Metadata.Requests}}<div class="tile"><div class="n">{{.Requests}}</div><div class="k">requests</div></div>
<div class="tile"><div class="n">{{.Retries}}</div><div class="k">retries</div></div>
<div class="tile"><div class="n">{{.Throttled}}</div><div class="k">throttled out</div></div>
</div>{{end}}
{{if .FailedRules}}<p id="failed-rules">Rules not met or not checked: {{range $i, $r := .FailedRules}}{{if $i}}, {{end}}<a class="mono" href="#rule-{{$r.ID}}">{{$r.ID}}</a> <span class="badge {{$r.Status}}">{{$r.Status}}</span>{{end}}. <a href="#problems">Failed, blocked and unchecked specs</a>.</p>{{end}}
{{with .Trace.RuleTotals}}<p>Rules: {{.Rules}} in the catalog, {{.Passed}} passed, {{.Failed}} failed, {{.Blocked}} blocked by another rule's break, {{.Skipped}} skipped, {{.HarnessErrors}} not checked (harness errors).</p>{{end}}
{{with .Summary.Expectations}}<p id="expectations">Expectations <span class="mono">{{.File}}</span>: {{.Matched}} spec(s) ended as expected, {{len .UnexpectedPasses}} unexpected pass(es){{range .UnexpectedPasses}} (<span class="mono">{{.Entry}}</span>){{end}}, {{len .Expired}} expired entr(y/ies) ignored.</p>{{end}}
<p class="muted">Run <span class="mono">{{.Summary.Metadata.RunID}}</span> against <span class="mono">{{.Summary.Metadata.Target}}</span>, profile {{.Summary.Metadata.Profile}}, started {{.Started}}, {{.Duration}}. Details under <a href="#run">Run</a>.</p>
</header>
{{if .CleanupProblem}}
<h2 id="cleanup">Cleanup</h2>
<p class="warning">{{.CleanupProblem}}</p>
{{end}}
{{if .Summary.CredentialProblems}}
<h2 id="credentials">Harness error: credentials refused</h2>
<p class="warning">The target refused these identities' own credentials, so the run stopped acting as them and could not check what needed them. This says nothing about the target's conformance: renew the credentials and run again.</p>
<ul>{{range .Summary.CredentialProblems}}<li>{{.}}</li>{{end}}</ul>
{{end}}
{{if .Summary.SetupFailure}}
<h2 id="setup">Harness error</h2>
<pre>{{.Summary.SetupFailure}}</pre>
{{end}}
<h2 id="rules">Rules by endpoint</h2>
{{range .Endpoints}}
<h3 id="endpoint-{{.ID}}">{{.ID}} <code>{{.Method}} {{.Path}}</code></h3>
<table>
<thead><tr><th>rule</th><th>status</th><th>evidence</th><th>statement</th><th>specs</th></tr></thead>
<tbody>
{{range .Rules}}<tr class="{{.Status}}" id="rule-{{.ID}}">
<td class="mono id">{{.ID}}</td>
<td><span class="badge {{.Status}}">{{.Status}}</span></td>
<td>{{.Evidence}}{{if .Ambiguous}} (ambiguous){{end}}</td>
<td>{{.Statement}}</td>
<td class="specs">{{.Counts}}
{{if .Problems}}<ul class="specs">{{range .Problems}}<li><span class="badge {{.Outcome}}">{{.Outcome}}</span> <a href="#{{.Anchor}}">{{.Name}}</a></li>{{end}}</ul>{{end}}
{{if .Others}}<details><summary>list {{len .Others}} spec(s)</summary><ul class="specs">{{range .Others}}<li><span class="badge {{.Outcome}}">{{.Outcome}}</span> {{.Name}}</li>{{end}}</ul></details>{{end}}
</td>
</tr>
{{end}}</tbody>
</table>
{{end}}
{{if .Unmapped}}
<h3 id="unmapped">Specs without a catalog rule</h3>
<ul class="specs">{{range .Unmapped}}<li><span class="badge {{.Outcome}}">{{.Outcome}}</span> {{if .Anchor}}<a href="#{{.Anchor}}">{{.Name}}</a>{{else}}{{.Name}}{{end}}</li>{{end}}</ul>
{{end}}
<h2 id="problems">Failed, blocked and unchecked specs ({{len .Problems}})</h2>
<p class="muted">A blocked spec's setup step got an answer that breaks the rule it names; that break is counted once, as a failure of that rule's own specs.</p>
{{if not .Problems}}<p>None.</p>{{end}}
{{range .Problems}}
<section class="problem {{.Outcome}}" id="{{.Anchor}}">
<div><span class="badge {{.Outcome}}">{{.Outcome}}</span> <a class="mono" href="#rule-{{.Rule}}">{{.Rule}}</a> <span class="muted">({{.Evidence}}, {{.Endpoint}})</span></div>
<div class="name">{{.Name}}</div>
<div>Cause: <strong>{{.Cause}}</strong></div>
{{if .Location}}<div class="muted">At <span class="mono">{{.Location}}</span></div>{{end}}
<details{{if $.OpenProblems}} open{{end}}><summary>Failure and HTTP exchange (redacted)</summary>
<pre>{{.Failure}}</pre>
</details>
</section>
{{end}}
{{if .Skipped}}
<h2 id="skipped">Skipped specs</h2>
{{range .Skipped}}<p>{{len .Specs}} skipped: <strong>{{.Cause}}</strong></p>
<details><summary>list them</summary><ul class="specs">{{range .Specs}}<li>{{.}}</li>{{end}}</ul></details>
{{end}}{{end}}
<h2 id="run">Run</h2>
{{with .Summary.Metadata}}<dl class="meta">
<dt>run ID</dt><dd class="mono">{{.RunID}}</dd>
<dt>harness version</dt><dd class="mono">{{.HarnessVersion}}</dd>
<dt>commit</dt><dd class="mono">{{$.Commit}}</dd>
<dt>target</dt><dd class="mono">{{.Target}}{{if .Embedded}} (embedded emulator){{end}}</dd>
<dt>contract version</dt><dd>{{.ContractVersion}}</dd>
<dt>profile</dt><dd>{{.Profile}}</dd>
<dt>label filter</dt><dd class="mono">{{if .LabelFilter}}{{.LabelFilter}}{{else}}(none){{end}}</dd>
<dt>random seed</dt><dd class="mono">{{.RandomSeed}}</dd>
<dt>processes</dt><dd>{{.Procs}}</dd>{{with .Shard}}<dt>shard</dt><dd>{{.}}</dd>{{end}}
{{if .Faults}}<dt>emulator faults</dt><dd class="mono">{{range $i, $f := .Faults}}{{if $i}}, {{end}}{{$f}}{{end}}</dd>{{end}}
{{if .Variants}}<dt>emulator variants</dt><dd class="mono">{{range $i, $v := .Variants}}{{if $i}}, {{end}}{{$v}}{{end}}</dd>{{end}}
<dt>started</dt><dd>{{$.Started}}</dd>
<dt>duration</dt><dd>{{$.Duration}}</dd>
<dt>requests</dt><dd>{{.Requests.Requests}} ({{.Requests.Retries}} retries of throttled requests, {{printf "%.1f" .Requests.RetryWaitSeconds}}s waited, {{.Requests.Throttled}} throttled out)</dd>
</dl>{{end}}
<details><summary>Configuration (secrets redacted)</summary>
<pre>{{.Config}}</pre>
</details>
<h2 id="traceability">Traceability matrix</h2>
<p>Every catalog rule, its status and its specs. A rule fails if any of its specs fails, is a harness error if a spec could not be checked and none failed, and is skipped if none of its specs ran.</p>
<table>
<thead><tr><th>rule</th><th>endpoint</th><th>evidence</th><th>status</th><th>source</th><th>specs</th></tr></thead>
<tbody>
{{range .Endpoints}}{{range .Rules}}<tr class="{{.Status}}">
<td class="mono id"><a href="#rule-{{.ID}}">{{.ID}}</a></td>
<td>{{.Endpoint}}</td>
<td>{{.Evidence}}</td>
<td><span class="badge {{.Status}}">{{.Status}}</span></td>
<td class="source">{{.Source}}</td>
<td class="specs">{{if .Specs}}<details><summary>{{.Counts}}</summary><ul class="specs">{{range .Specs}}<li><span class="badge {{.State}}">{{.State}}</span> {{.Name}}</li>{{end}}</ul></details>{{else}}no spec{{end}}</td>
</tr>
{{end}}{{end}}</tbody>
</table>
<footer class="muted">Generated by mpsdconf {{.Summary.Metadata.HarnessVersion}}.</footer>
</body>
</html>
`

var htmlReport = template.Must(template.New("report.html").Funcs(template.FuncMap{
	"upper": strings.ToUpper,
}).Parse(reportTemplate))

// openProblemsLimit is how many failed or harness-error specs the page shows expanded; beyond
// it (a target that is down fails every spec) their transcripts start collapsed.
const openProblemsLimit = 10

// htmlPage is the view model of report.html.
type htmlPage struct {
	Summary      Summary
	Trace        Trace
	VerdictLabel string
	VerdictNote  string
	Started      string
	Duration     string
	Commit       string
	Config       string
	// CleanupProblem says what the run left on the target, if anything.
	CleanupProblem string
	Endpoints      []htmlEndpoint
	Unmapped       []htmlSpec
	Problems       []htmlProblem
	OpenProblems   bool
	// FailedRules are the rules that failed or could not be checked, for the page head.
	FailedRules []TracedRule
	// Skipped are the specs skipped for a reason of their own, by reason.
	Skipped []htmlSkipped
}

// htmlSkipped is one reason specs were skipped for, and those specs.
type htmlSkipped struct {
	Cause string
	Specs []string
}

// htmlEndpoint is one endpoint's table of rules.
type htmlEndpoint struct {
	ID, Method, Path string
	Rules            []htmlRule
}

// htmlRule is one catalog rule with its specs split into problems (failed or harness error,
// listed and linked to their details) and the rest (passed or skipped, collapsed).
type htmlRule struct {
	TracedRule
	Endpoint string
	Counts   string
	Problems []htmlSpec
	Others   []htmlSpec
}

// htmlSpec is a spec as listed under its rule; Anchor links to its details when it failed.
type htmlSpec struct {
	Name    string
	Outcome string
	Anchor  string
}

// htmlProblem is a failed or harness-error spec with its cause, location and transcript.
type htmlProblem struct {
	SpecResult
	Anchor string
}

// verdictText returns the verdict's label and a sentence saying what it means.
func verdictText(verdict string) (label, note string) {
	switch verdict {
	case VerdictPass:
		return "PASS", "The target followed every rule that was checked."
	case VerdictFail:
		return "FAIL", "The target broke at least one rule: see the failed specs below."
	default:
		return "HARNESS ERROR", "Some rules could not be checked (no answer, timeout, throttling, setup failure or a harness bug); the run says nothing about those rules."
	}
}

// RenderHTML renders report.html from a run summary and its traceability matrix. The summary
// carries only redacted material (configuration and HTTP transcripts are redacted upstream).
func RenderHTML(s Summary, t Trace) ([]byte, error) {
	p := htmlPage{Summary: s, Trace: t, Commit: orUnknown(s.Metadata.Commit)}
	p.VerdictLabel, p.VerdictNote = verdictText(s.Verdict)
	if !s.Metadata.StartedAt.IsZero() {
		p.Started = s.Metadata.StartedAt.UTC().Format(time.RFC3339)
	}
	p.Duration = fmt.Sprintf("%.1fs", s.Metadata.DurationSeconds)
	p.CleanupProblem = s.Cleanup.Problem(s.Metadata.Target, s.Metadata.RunID)
	causes, byCause := SkippedByCause(s.Specs)
	for _, c := range causes {
		p.Skipped = append(p.Skipped, htmlSkipped{Cause: c, Specs: byCause[c]})
	}
	cfg, err := marshalReadable(s.Metadata.Config)
	if err != nil {
		return nil, fmt.Errorf("encode configuration: %w", err)
	}
	p.Config = string(cfg)

	anchors := map[string]string{}
	for _, sp := range s.Specs {
		if IsProblem(sp.Outcome) {
			a := fmt.Sprintf("spec-%d", len(p.Problems)+1)
			anchors[sp.Name] = a
			p.Problems = append(p.Problems, htmlProblem{SpecResult: sp, Anchor: a})
		}
	}
	p.OpenProblems = len(p.Problems) <= openProblemsLimit

	traced := map[string]bool{}
	for _, e := range t.Endpoints {
		he := htmlEndpoint{ID: e.ID, Method: e.Method, Path: e.Path}
		for _, r := range e.Rules {
			traced[r.ID] = true
			if r.Status == RuleFailed || r.Status == RuleHarnessError || r.Status == RuleBlocked {
				p.FailedRules = append(p.FailedRules, r)
			}
			hr := htmlRule{TracedRule: r, Endpoint: e.ID, Counts: outcomeCounts(r.Specs)}
			for _, sp := range r.Specs {
				hs := htmlSpec{Name: sp.Name, Outcome: sp.State, Anchor: anchors[sp.Name]}
				if hs.Anchor != "" {
					hr.Problems = append(hr.Problems, hs)
				} else {
					hr.Others = append(hr.Others, hs)
				}
			}
			he.Rules = append(he.Rules, hr)
		}
		p.Endpoints = append(p.Endpoints, he)
	}
	for _, sp := range s.Specs {
		if !traced[sp.Rule] {
			p.Unmapped = append(p.Unmapped, htmlSpec{Name: sp.Name, Outcome: sp.Outcome, Anchor: anchors[sp.Name]})
		}
	}

	var b bytes.Buffer
	if err := htmlReport.Execute(&b, p); err != nil {
		return nil, fmt.Errorf("execute template: %w", err)
	}
	return b.Bytes(), nil
}

// outcomeCounts summarises specs as "2 failed, 5 passed", or "no spec".
func outcomeCounts(specs []TracedSpec) string {
	counts := map[string]int{}
	for _, sp := range specs {
		counts[sp.State]++
	}
	if len(counts) == 0 {
		return "no spec"
	}
	order := []string{OutcomeFailed, OutcomeHarnessError, OutcomeBlocked, OutcomePassed, OutcomeSkipped}
	parts := make([]string, 0, len(counts))
	for _, o := range order {
		if n := counts[o]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, o))
			delete(counts, o)
		}
	}
	rest := make([]string, 0, len(counts))
	for o, n := range counts {
		rest = append(rest, fmt.Sprintf("%d %s", n, o))
	}
	sort.Strings(rest)
	return strings.Join(append(parts, rest...), ", ")
}
