package report

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mpsdconf/mpsdconf/catalog"
)

// Rule outcomes in the traceability report.
const (
	RulePassed  = "passed"
	RuleFailed  = "failed"
	RuleSkipped = "skipped"
	// RuleHarnessError: some spec of the rule could not be checked and none failed.
	RuleHarnessError = "harness-error"
	// RuleBlocked: some spec of the rule was blocked by a setup step that broke another rule,
	// and none failed or could not be checked.
	RuleBlocked = "blocked"
)

// TracedSpec is one spec of a rule and its state.
type TracedSpec struct {
	Name  string `json:"name"`
	State string `json:"state"`
}

// TracedRule is one catalog rule with its specs and the rule's outcome: failed if any of its
// specs failed, passed if its specs ran and passed, skipped if none ran.
type TracedRule struct {
	catalog.Rule
	Status string       `json:"status"`
	Specs  []TracedSpec `json:"specs"`
}

// TracedEndpoint groups the rules of one endpoint.
type TracedEndpoint struct {
	catalog.Endpoint
	Rules []TracedRule `json:"rules"`
}

// RuleTotals counts rule outcomes.
type RuleTotals struct {
	Rules   int `json:"rules"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
	// HarnessErrors counts rules that could not be checked (and did not fail).
	HarnessErrors int `json:"harnessErrors"`
	// Blocked counts rules some of whose specs were blocked by another rule's break (and that
	// did not fail or meet a harness error).
	Blocked int `json:"blocked"`
}

// Trace is the traceability matrix of a run (reports/summary.json, reports/traceability.md).
type Trace struct {
	Metadata   Metadata         `json:"run"`
	Verdict    string           `json:"verdict"`
	SpecTotals Totals           `json:"specTotals"`
	RuleTotals RuleTotals       `json:"ruleTotals"`
	Endpoints  []TracedEndpoint `json:"endpoints"`
}

// BuildTrace maps every catalog rule to its specs' results.
func BuildTrace(s Summary, cat *catalog.Catalog) Trace {
	t := Trace{Metadata: s.Metadata, Verdict: s.Verdict, SpecTotals: s.Totals}
	byRule := map[string][]TracedSpec{}
	for _, sp := range s.Specs {
		byRule[sp.Rule] = append(byRule[sp.Rule], TracedSpec{Name: sp.Name, State: sp.Outcome})
	}
	for _, e := range cat.Endpoints {
		te := TracedEndpoint{Endpoint: e}
		for _, r := range cat.Rules {
			if r.Endpoint != e.ID {
				continue
			}
			tr := TracedRule{Rule: r, Specs: byRule[r.ID], Status: RuleSkipped}
			ran := false
			for _, sp := range tr.Specs {
				switch sp.State {
				case OutcomePassed:
					ran = true
				case OutcomeSkipped:
				case OutcomeHarnessError:
					if tr.Status != RuleFailed {
						tr.Status = RuleHarnessError
					}
				case OutcomeBlocked:
					if tr.Status != RuleFailed && tr.Status != RuleHarnessError {
						tr.Status = RuleBlocked
					}
				default:
					tr.Status = RuleFailed
				}
			}
			if tr.Status == RuleSkipped && ran {
				tr.Status = RulePassed
			}
			if tr.Specs == nil {
				tr.Specs = []TracedSpec{}
			}
			t.RuleTotals.Rules++
			switch tr.Status {
			case RulePassed:
				t.RuleTotals.Passed++
			case RuleFailed:
				t.RuleTotals.Failed++
			case RuleHarnessError:
				t.RuleTotals.HarnessErrors++
			case RuleBlocked:
				t.RuleTotals.Blocked++
			default:
				t.RuleTotals.Skipped++
			}
			te.Rules = append(te.Rules, tr)
		}
		if len(te.Rules) > 0 {
			t.Endpoints = append(t.Endpoints, te)
		}
	}
	return t
}

// Traceability file names inside the report directory.
const (
	TraceJSONFile     = "summary.json"
	TraceMarkdownFile = "traceability.md"
)

// WriteTrace writes summary.json and traceability.md into dir.
func WriteTrace(dir string, t Trace) error {
	if err := writeJSON(filepath.Join(dir, TraceJSONFile), t); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, TraceMarkdownFile), []byte(t.Markdown()), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", TraceMarkdownFile, err)
	}
	return nil
}

// Markdown renders the traceability matrix.
func (t Trace) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Traceability: %s\n\n", strings.ToUpper(t.Verdict))
	m := t.Metadata
	fmt.Fprintf(&b, "Run %s against %s (contract version %d), profile %s, label filter `%s`, seed %d, %d process(es); harness %s, commit %s.\n\n",
		m.RunID, m.Target, m.ContractVersion, m.Profile, m.LabelFilter, m.RandomSeed, m.Procs, m.HarnessVersion, orUnknown(m.Commit))
	if cfg, err := marshalReadable(m.Config); err == nil {
		fmt.Fprintf(&b, "<details><summary>Configuration (secrets redacted)</summary>\n\n```json\n%s\n```\n\n</details>\n\n", cfg)
	}
	fmt.Fprintf(&b, "| | total | passed | failed | blocked | skipped | harness errors |\n|---|---|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| rules | %d | %d | %d | %d | %d | %d |\n", t.RuleTotals.Rules, t.RuleTotals.Passed, t.RuleTotals.Failed, t.RuleTotals.Blocked, t.RuleTotals.Skipped, t.RuleTotals.HarnessErrors)
	fmt.Fprintf(&b, "| specs | %d | %d | %d | %d | %d | %d |\n", t.SpecTotals.Specs, t.SpecTotals.Passed, t.SpecTotals.Failed, t.SpecTotals.Blocked, t.SpecTotals.Skipped, t.SpecTotals.HarnessErrors)
	for _, e := range t.Endpoints {
		fmt.Fprintf(&b, "\n## %s `%s %s`\n\n| rule | evidence | status | statement | specs |\n|---|---|---|---|---|\n", e.ID, e.Method, e.Path)
		for _, r := range e.Rules {
			amb := ""
			if r.Ambiguous {
				amb = " (ambiguous)"
			}
			specs := make([]string, 0, len(r.Specs))
			counts := map[string]int{}
			for _, sp := range r.Specs {
				counts[sp.State]++
				if sp.State != "passed" && sp.State != "skipped" {
					specs = append(specs, fmt.Sprintf("%s: %s", sp.State, sp.Name))
				}
			}
			states := make([]string, 0, len(counts))
			for st, n := range counts {
				states = append(states, fmt.Sprintf("%d %s", n, st))
			}
			sort.Strings(states)
			cell := strings.Join(states, ", ")
			if len(specs) > 0 {
				cell += "<br>" + strings.Join(specs, "<br>")
			}
			if cell == "" {
				cell = "no spec"
			}
			fmt.Fprintf(&b, "| %s | %s%s | %s | %s | %s |\n", r.ID, r.Evidence, amb, r.Status,
				EscapeCell(r.Statement), EscapeCell(cell))
		}
	}
	return b.String()
}
