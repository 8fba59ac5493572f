// Package rundiff compares two runs spec by spec, as a nightly asks "what changed since last
// night?": regressions (a spec that passed now fails or is blocked), fixes, specs still failing,
// specs that appeared or went away, and harness errors that came, went or changed cause. It
// renders the comparison as Markdown (for a pull-request comment) and JSON.
package rundiff

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mpsdconf/mpsdconf/internal/outcome"
)

// The outcome classes the comparison tells apart (the report's, see internal/outcome).
const (
	passed       = outcome.Passed
	failed       = outcome.Failed
	blocked      = outcome.Blocked
	harnessError = outcome.HarnessError
	flaky        = outcome.Flaky
)

// Spec is one spec's result in a run.
type Spec struct {
	Name    string `json:"name"`
	Rule    string `json:"rule"`
	Outcome string `json:"outcome"`
	Cause   string `json:"cause,omitempty"`
	// Expected is true when an expectations entry expected the spec's outcome.
	Expected bool `json:"expected,omitempty"`
}

// Run is one side of the comparison.
type Run struct {
	// Label names the run in the output (its run ID or report path).
	Label string `json:"label"`
	Specs []Spec `json:"-"`
}

// Change is one spec whose result differs between the runs (or, for StillFailing, does not).
type Change struct {
	Name string `json:"name"`
	Rule string `json:"rule"`
	Old  string `json:"old"`
	New  string `json:"new"`
	// Cause is the new run's cause (the old one's for a fix or a harness error that went away).
	Cause string `json:"cause,omitempty"`
}

// Diff is the comparison of two runs.
type Diff struct {
	Old Run `json:"old"`
	New Run `json:"new"`
	// Regressions: passed (or flaky) before, failed or blocked now (not expected now).
	Regressions []Change `json:"regressions"`
	// Fixes: failed or blocked before, passed now.
	Fixes []Change `json:"fixes"`
	// StillFailing: failed or blocked in both runs.
	StillFailing []Change `json:"stillFailing"`
	// Added and Removed are specs present in only one run.
	Added   []Spec `json:"added"`
	Removed []Spec `json:"removed"`
	// HarnessErrors: a harness error that appeared, went away or changed its cause.
	HarnessErrors []Change `json:"harnessErrors"`
}

// Compare compares the runs spec by spec (by full spec name).
func Compare(old, cur Run) Diff {
	d := Diff{Old: old, New: cur, Regressions: []Change{}, Fixes: []Change{}, StillFailing: []Change{},
		Added: []Spec{}, Removed: []Spec{}, HarnessErrors: []Change{}}
	before := make(map[string]Spec, len(old.Specs))
	for _, s := range old.Specs {
		before[s.Name] = s
	}
	now := make(map[string]bool, len(cur.Specs))
	for _, s := range cur.Specs {
		now[s.Name] = true
		o, ok := before[s.Name]
		if !ok {
			d.Added = append(d.Added, s)
			continue
		}
		c := Change{Name: s.Name, Rule: s.Rule, Old: o.Outcome, New: s.Outcome, Cause: s.Cause}
		wasBad, isBad := isProblem(o.Outcome), isProblem(s.Outcome)
		switch {
		case isBad && !s.Expected && (o.Outcome == passed || o.Outcome == flaky):
			d.Regressions = append(d.Regressions, c)
		case wasBad && s.Outcome == passed:
			c.Cause = o.Cause
			d.Fixes = append(d.Fixes, c)
		case wasBad && isBad:
			d.StillFailing = append(d.StillFailing, c)
		}
		if (o.Outcome == harnessError || s.Outcome == harnessError) && (o.Outcome != s.Outcome || o.Cause != s.Cause) {
			if s.Outcome != harnessError {
				c.Cause = o.Cause
			}
			d.HarnessErrors = append(d.HarnessErrors, c)
		}
	}
	for _, s := range old.Specs {
		if !now[s.Name] {
			d.Removed = append(d.Removed, s)
		}
	}
	for _, l := range [][]Change{d.Regressions, d.Fixes, d.StillFailing, d.HarnessErrors} {
		sort.Slice(l, func(i, j int) bool { return l[i].Name < l[j].Name })
	}
	for _, l := range [][]Spec{d.Added, d.Removed} {
		sort.Slice(l, func(i, j int) bool { return l[i].Name < l[j].Name })
	}
	return d
}

// isProblem reports whether an outcome means the target broke a rule.
func isProblem(outcome string) bool { return outcome == failed || outcome == blocked }

// HasRegression reports whether a spec that passed before fails or is blocked now.
func (d Diff) HasRegression() bool { return len(d.Regressions) > 0 }

// Markdown renders the comparison for a pull-request comment: counts first, then each list.
func (d Diff) Markdown() string {
	var b strings.Builder
	verdict := "no regression"
	if d.HasRegression() {
		verdict = fmt.Sprintf("%d regression(s)", len(d.Regressions))
	}
	fmt.Fprintf(&b, "## mpsdconf diff: %s\n\n`%s` → `%s`: %d regressions, %d fixes, %d still failing, %d new specs, %d removed specs, %d harness-error changes.\n",
		verdict, d.Old.Label, d.New.Label, len(d.Regressions), len(d.Fixes), len(d.StillFailing), len(d.Added), len(d.Removed), len(d.HarnessErrors))
	changes := func(title string, l []Change) {
		if len(l) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n### %s (%d)\n\n| rule | spec | was | now | cause |\n|---|---|---|---|---|\n", title, len(l))
		for _, c := range l {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", c.Rule, cell(c.Name), c.Old, c.New, cell(c.Cause))
		}
	}
	specs := func(title string, l []Spec) {
		if len(l) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n### %s (%d)\n\n| rule | spec | outcome |\n|---|---|---|\n", title, len(l))
		for _, s := range l {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", s.Rule, cell(s.Name), s.Outcome)
		}
	}
	changes("Regressions", d.Regressions)
	changes("Fixes", d.Fixes)
	changes("Harness errors that changed", d.HarnessErrors)
	changes("Still failing", d.StillFailing)
	specs("New specs", d.Added)
	specs("Removed specs", d.Removed)
	return b.String()
}

// cell escapes a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
