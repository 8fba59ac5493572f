// Package history turns a folder of run reports (as CI keeps them as artifacts, one per night)
// into a results grid over time: one row per rule, one column per run, each cell the rule's
// status in that run, the pass rate of each run, and the rules that changed most recently
// first. It renders one self-contained HTML page and a Markdown summary for the console.
package history

import (
	"sort"
	"time"

	"github.com/mpsdconf/mpsdconf/internal/outcome"
)

// Statuses of a rule in one run, worst first: a rule takes the worst status of its specs.
// All but Expected and Absent are the spec outcome classes (internal/outcome).
const (
	Failed       = outcome.Failed
	HarnessError = outcome.HarnessError
	Blocked      = outcome.Blocked
	Flaky        = outcome.Flaky
	// Expected: the rule's failures were all expected by the target's expectations file.
	Expected = "expected"
	Passed   = outcome.Passed
	Skipped  = outcome.Skipped
	// Absent: the rule had no spec in the run (not in that harness version, or filtered out).
	Absent = "absent"
)

var severity = map[string]int{Failed: 7, HarnessError: 6, Blocked: 5, Flaky: 4, Expected: 3, Passed: 2, Skipped: 1, Absent: 0}

// Spec is one spec's result in a run, as the run's report gives it.
type Spec struct {
	Rule    string
	Outcome string // passed, failed, blocked, skipped, harness-error or flaky
	// Expected is true when an expectations entry expected the spec's outcome.
	Expected bool
}

// Run is one run's report.
type Run struct {
	ID        string
	StartedAt time.Time
	Verdict   string
	Specs     []Spec
}

// Column is one run in the grid.
type Column struct {
	ID        string    `json:"id"`
	StartedAt time.Time `json:"startedAt"`
	Verdict   string    `json:"verdict"`
	// PassRate is the share of specs that ran (not skipped) and passed or failed as expected.
	PassRate float64 `json:"passRate"`
	Ran      int     `json:"ran"`
}

// Row is one rule over the runs.
type Row struct {
	Rule string `json:"rule"`
	// Statuses holds the rule's status in each run, in column order.
	Statuses []string `json:"statuses"`
	// LastChange is the column where the status last differed from the column before (-1 when
	// it never changed).
	LastChange int `json:"lastChange"`
}

// Grid is the history of a set of runs.
type Grid struct {
	Columns []Column `json:"runs"`
	Rows    []Row    `json:"rules"`
}

// Build orders the runs by start time and computes each rule's status per run. Rules are
// ordered by their last change, the most recent first, then by ID.
func Build(runs []Run) Grid {
	runs = append([]Run(nil), runs...)
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].StartedAt.Before(runs[j].StartedAt) })
	g := Grid{Columns: make([]Column, len(runs))}
	statuses := map[string][]string{}
	for c, r := range runs {
		col := Column{ID: r.ID, StartedAt: r.StartedAt, Verdict: r.Verdict}
		good := 0
		perRule := map[string]string{}
		for _, s := range r.Specs {
			st := specStatus(s)
			if st != Skipped {
				col.Ran++
				if st == Passed || st == Expected || st == Flaky {
					good++
				}
			}
			if severity[st] > severity[perRule[s.Rule]] || perRule[s.Rule] == "" {
				perRule[s.Rule] = st
			}
		}
		if col.Ran > 0 {
			col.PassRate = float64(good) / float64(col.Ran)
		}
		g.Columns[c] = col
		for rule, st := range perRule {
			if _, ok := statuses[rule]; !ok {
				statuses[rule] = make([]string, len(runs))
				for i := range statuses[rule] {
					statuses[rule][i] = Absent
				}
			}
			statuses[rule][c] = st
		}
	}
	for rule, sts := range statuses {
		row := Row{Rule: rule, Statuses: sts, LastChange: -1}
		for c := len(sts) - 1; c > 0; c-- {
			if sts[c] != sts[c-1] {
				row.LastChange = c
				break
			}
		}
		g.Rows = append(g.Rows, row)
	}
	sort.Slice(g.Rows, func(i, j int) bool {
		if g.Rows[i].LastChange != g.Rows[j].LastChange {
			return g.Rows[i].LastChange > g.Rows[j].LastChange
		}
		return g.Rows[i].Rule < g.Rows[j].Rule
	})
	return g
}

// specStatus maps a spec's outcome (and whether it was expected) to a grid status.
func specStatus(s Spec) string {
	switch {
	case s.Expected && s.Outcome != Passed:
		return Expected
	case s.Outcome == "":
		return Skipped
	}
	if _, ok := severity[s.Outcome]; ok {
		return s.Outcome
	}
	return Failed // an outcome this version does not know: show it, never hide it
}
