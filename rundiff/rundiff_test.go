package rundiff

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	old := Run{Label: "night-1", Specs: []Spec{
		{Name: "a regresses", Rule: "R-A", Outcome: "passed"},
		{Name: "b is fixed", Rule: "R-B", Outcome: "failed", Cause: "was 500"},
		{Name: "c still fails", Rule: "R-C", Outcome: "failed"},
		{Name: "d goes away", Rule: "R-D", Outcome: "passed"},
		{Name: "e blocked now", Rule: "R-E", Outcome: "flaky"},
		{Name: "f harness error clears", Rule: "R-F", Outcome: "harness-error", Cause: "no response"},
		{Name: "g expected failure", Rule: "R-G", Outcome: "passed"},
		{Name: "h unchanged", Rule: "R-H", Outcome: "passed"},
	}}
	cur := Run{Label: "night-2", Specs: []Spec{
		{Name: "a regresses", Rule: "R-A", Outcome: "failed", Cause: "unexpected status 200, want 201"},
		{Name: "b is fixed", Rule: "R-B", Outcome: "passed"},
		{Name: "c still fails", Rule: "R-C", Outcome: "blocked"},
		{Name: "e blocked now", Rule: "R-E", Outcome: "blocked"},
		{Name: "f harness error clears", Rule: "R-F", Outcome: "passed"},
		{Name: "g expected failure", Rule: "R-G", Outcome: "failed", Expected: true},
		{Name: "h unchanged", Rule: "R-H", Outcome: "passed"},
		{Name: "i is new", Rule: "R-I", Outcome: "passed"},
	}}
	d := Compare(old, cur)
	names := func(l []Change) string {
		var s []string
		for _, c := range l {
			s = append(s, c.Name)
		}
		return strings.Join(s, ",")
	}
	if got := names(d.Regressions); got != "a regresses,e blocked now" {
		t.Errorf("regressions %q", got)
	}
	if got := names(d.Fixes); got != "b is fixed" || d.Fixes[0].Cause != "was 500" {
		t.Errorf("fixes %q %+v", got, d.Fixes)
	}
	if got := names(d.StillFailing); got != "c still fails" {
		t.Errorf("still failing %q", got)
	}
	if len(d.Added) != 1 || d.Added[0].Name != "i is new" || len(d.Removed) != 1 || d.Removed[0].Name != "d goes away" {
		t.Errorf("added %+v removed %+v", d.Added, d.Removed)
	}
	if got := names(d.HarnessErrors); got != "f harness error clears" || d.HarnessErrors[0].Cause != "no response" {
		t.Errorf("harness errors %q %+v", got, d.HarnessErrors)
	}
	if !d.HasRegression() {
		t.Error("no regression reported")
	}
	md := d.Markdown()
	for _, want := range []string{"2 regression(s)", "`night-1` → `night-2`", "### Regressions (2)", "| R-A | a regresses | passed | failed | unexpected status 200, want 201 |", "### New specs (1)", "### Removed specs (1)"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	raw, err := json.Marshal(d)
	if err != nil || !strings.Contains(string(raw), `"regressions":[{"name":"a regresses"`) {
		t.Errorf("json: %v %s", err, raw)
	}
	if same := Compare(cur, cur); same.HasRegression() || len(same.Fixes)+len(same.Added)+len(same.Removed)+len(same.HarnessErrors) != 0 {
		t.Errorf("a run compared with itself: %+v", same)
	}
}
