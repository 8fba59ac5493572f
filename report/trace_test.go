package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpsdconf/mpsdconf/catalog"
)

func TestBuildTraceRuleStatuses(t *testing.T) {
	cat, err := catalog.Parse([]byte(`
endpoints:
  - {id: e1, method: GET, path: /a}
  - {id: e2, method: PUT, path: /b}
  - {id: unused, method: GET, path: /c}
rules:
  - {id: R-PASS, endpoint: e1, statement: x MUST y, evidence: doc, source: s, evidenceNote: n}
  - {id: R-FAIL, endpoint: e1, statement: x MUST y, evidence: wire, source: s, evidenceNote: n}
  - {id: R-SKIP, endpoint: e2, statement: x MUST y, evidence: inferred, source: s, evidenceNote: n, ambiguous: true}
  - {id: R-NONE, endpoint: e2, statement: x MUST y, evidence: inferred, source: s, evidenceNote: n}
  - {id: R-BLOCK, endpoint: e2, statement: x MUST y, evidence: doc, source: s, evidenceNote: n}
`))
	if err != nil {
		t.Fatal(err)
	}
	s := Summary{Verdict: VerdictFail, Specs: []SpecResult{
		{Name: "p1", Rule: "R-PASS", Outcome: OutcomePassed},
		{Name: "p2", Rule: "R-PASS", Outcome: OutcomeSkipped},
		{Name: "f1", Rule: "R-FAIL", Outcome: OutcomePassed},
		{Name: "f2", Rule: "R-FAIL", Outcome: OutcomeFailed},
		{Name: "s1", Rule: "R-SKIP", Outcome: OutcomeSkipped},
		{Name: "b1", Rule: "R-BLOCK", Outcome: OutcomePassed},
		{Name: "b2", Rule: "R-BLOCK", Outcome: OutcomeBlocked, BlockedBy: "R-FAIL"},
	}}
	tr := BuildTrace(s, cat)
	got := map[string]string{}
	for _, e := range tr.Endpoints {
		for _, r := range e.Rules {
			got[r.ID] = r.Status
		}
	}
	want := map[string]string{"R-PASS": RulePassed, "R-FAIL": RuleFailed, "R-SKIP": RuleSkipped, "R-NONE": RuleSkipped, "R-BLOCK": RuleBlocked}
	for id, st := range want {
		if got[id] != st {
			t.Errorf("%s: status %q, want %q", id, got[id], st)
		}
	}
	if tr.RuleTotals != (RuleTotals{Rules: 5, Passed: 1, Failed: 1, Skipped: 2, Blocked: 1}) {
		t.Errorf("rule totals %+v", tr.RuleTotals)
	}
	if len(tr.Endpoints) != 2 {
		t.Errorf("endpoints without rules must be left out: %d", len(tr.Endpoints))
	}
	dir := t.TempDir()
	if err := WriteTrace(dir, tr); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, TraceMarkdownFile))
	for _, want := range []string{"R-FAIL | wire | failed", "failed: f2", "inferred (ambiguous)", "| rules | 5 | 1 | 1 | 1 | 2 |", "blocked: b2", "no spec"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("traceability.md lacks %q:\n%s", want, md)
		}
	}
}
